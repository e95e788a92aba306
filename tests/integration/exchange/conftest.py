"""Exchange test fixtures: two registered markets and funded traders, set up once for this package.

The setup sits on the session chain between a package-level snapshot (reverted when the package is done, so other
packages see the plain deployment) and a per-test snapshot (each test starts from the funded state).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.exchange.exchange_support import ExchangeEnv, build_env
from tests.support.chain import Chain, package_setup, per_test


@pytest.fixture(scope="package")
def exchange_env_package(chain_session: Chain) -> Iterator[ExchangeEnv]:
    yield from package_setup(
        chain_session, lambda: build_env(chain_session.anvil, chain_session.w3, chain_session.manifest.contracts)
    )


@pytest.fixture
def env(exchange_env_package: ExchangeEnv) -> Iterator[ExchangeEnv]:
    """The funded exchange, reverted after the test."""
    pkg = exchange_env_package

    def reset() -> None:
        pkg.reset_nonces()
        pkg.extra_holders.clear()

    yield from per_test(pkg.anvil, pkg, reset)
