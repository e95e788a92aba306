"""Test-side view of a deployed local chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest
from chain.rpc import Signer, contract_at

T = TypeVar("T")


@dataclass
class Chain:
    """A running anvil with our contracts deployed and a funded deployer."""

    anvil: Anvil
    w3: Web3
    manifest: Manifest
    deployer: Signer

    def signer(self, index: int) -> Signer:
        """A signer for anvil dev account ``index`` (each has 10,000 ETH)."""
        return Signer.from_key(self.w3, dev_key(index))

    def contract(self, name: str, role: str) -> Any:
        return contract_at(self.w3, name, self.manifest.contracts[role])


def package_setup(chain: Chain, build: Callable[[], T]) -> Iterator[T]:
    """Build a package's on-chain setup on the session chain between a package-level snapshot, reverted when the
    package is done so other packages see the plain deployment."""
    base = chain.anvil.snapshot()
    chain.deployer.nonce = None
    try:
        yield build()
    finally:
        chain.anvil.revert(base)
        chain.deployer.nonce = None


def per_test(anvil: Anvil, env: T, reset: Callable[[], None]) -> Iterator[T]:
    """Hand a test the package's funded setup and revert the chain to it afterwards (``reset`` clears what the
    test left in the Python side, e.g. cached nonces)."""
    snap = anvil.snapshot()
    try:
        yield env
    finally:
        anvil.revert(snap)
        reset()
