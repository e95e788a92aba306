"""Test-side view of a deployed local chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest
from chain.rpc import Signer, contract_at


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
