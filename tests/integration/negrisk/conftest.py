"""Neg-risk fixtures: one event of three outcomes and funded traders, set up once for this package.

The setup sits on the session chain between a package-level snapshot (reverted when the package is done) and a
per-test snapshot (each test starts from the funded state).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.negrisk.negrisk_support import NegRiskEnv, build_env
from tests.support.chain import Chain


@pytest.fixture(scope="package")
def negrisk_package(chain_session: Chain) -> Iterator[NegRiskEnv]:
    anvil = chain_session.anvil
    base = anvil.snapshot()
    chain_session.deployer.nonce = None
    env = build_env(anvil, chain_session.w3, chain_session.manifest)
    try:
        yield env
    finally:
        anvil.revert(base)
        chain_session.deployer.nonce = None


@pytest.fixture
def nr(negrisk_package: NegRiskEnv) -> Iterator[NegRiskEnv]:
    """The funded neg-risk setup, reverted after the test."""
    anvil = negrisk_package.anvil
    snap = anvil.snapshot()
    try:
        yield negrisk_package
    finally:
        anvil.revert(snap)
        negrisk_package.reset_nonces()
