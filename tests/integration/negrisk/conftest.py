"""Neg-risk fixtures: one event of three outcomes and funded traders, set up once for this package.

The setup sits on the session chain between a package-level snapshot (reverted when the package is done) and a
per-test snapshot (each test starts from the funded state).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.negrisk.negrisk_support import NegRiskEnv, build_env
from tests.support.chain import Chain, package_setup, per_test


@pytest.fixture(scope="package")
def negrisk_package(chain_session: Chain) -> Iterator[NegRiskEnv]:
    yield from package_setup(
        chain_session, lambda: build_env(chain_session.anvil, chain_session.w3, chain_session.manifest)
    )


@pytest.fixture
def nr(negrisk_package: NegRiskEnv) -> Iterator[NegRiskEnv]:
    """The funded neg-risk setup, reverted after the test."""
    yield from per_test(negrisk_package.anvil, negrisk_package, negrisk_package.reset_nonces)
