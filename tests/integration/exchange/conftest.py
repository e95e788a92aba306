"""Exchange test fixtures: two registered markets and funded traders, set up once for this package.

The setup sits on the session chain between a package-level snapshot (reverted when the package is done, so other
packages see the plain deployment) and a per-test snapshot (each test starts from the funded state).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.exchange.exchange_support import ExchangeEnv, build_env
from tests.support.chain import Chain


@pytest.fixture(scope="package")
def exchange_env_package(chain_session: Chain) -> Iterator[ExchangeEnv]:
    anvil = chain_session.anvil
    base = anvil.snapshot()
    chain_session.deployer.nonce = None
    env = build_env(anvil, chain_session.w3, chain_session.manifest.contracts)
    try:
        yield env
    finally:
        anvil.revert(base)
        chain_session.deployer.nonce = None


@pytest.fixture
def env(exchange_env_package: ExchangeEnv) -> Iterator[ExchangeEnv]:
    """The funded exchange, reverted after the test."""
    anvil = exchange_env_package.anvil
    snap = anvil.snapshot()
    try:
        yield exchange_env_package
    finally:
        anvil.revert(snap)
        exchange_env_package.reset_nonces()
        exchange_env_package.extra_holders.clear()
