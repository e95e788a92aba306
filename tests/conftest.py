"""Shared fixtures: one anvil chain per test session, contracts deployed once, snapshot/revert per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contracts.anvil import Anvil, dev_key
from contracts.chain import Signer, connect
from contracts.deploy import deploy
from tests.support.chain import Chain


@pytest.fixture(scope="session")
def anvil_session() -> Iterator[Anvil]:
    with Anvil() as node:
        yield node


@pytest.fixture(scope="session")
def chain_session(anvil_session: Anvil) -> Chain:
    manifest = deploy(anvil_session.url, dev_key(0))
    w3 = connect(anvil_session.url)
    return Chain(anvil_session, w3, manifest, Signer.from_key(w3, dev_key(0)))


@pytest.fixture
def chain(chain_session: Chain) -> Iterator[Chain]:
    """The session chain, reverted to its deployed state after the test."""
    snap = chain_session.anvil.snapshot()
    try:
        yield chain_session
    finally:
        chain_session.anvil.revert(snap)
        chain_session.deployer.nonce = None
