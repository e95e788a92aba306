"""Thin web3.py helpers shared by deploy scripts and tests: connect, sign locally, send, wait.

Transactions are signed with a local key (never an unlocked node account), priced with EIP-1559 fields from the
node, and awaited with a short receipt poll (web3's default 0.1 s poll caps a fast local node at ~10 tx/s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound
from web3.types import TxParams, TxReceipt

from chain.build import load_artifact


class TxRevertedError(Exception):
    """A transaction was mined but reverted."""


def connect(url: str, timeout: float = 30.0) -> Web3:
    """A Web3 over HTTP JSON-RPC."""
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    """A contract object for a compiled artifact at ``address``."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name)["abi"])


@dataclass
class Signer:
    """Signs and sends transactions from one key, keeping the nonce locally."""

    w3: Web3
    account: LocalAccount
    nonce: int | None = None
    poll: float = 0.005

    @classmethod
    def from_key(cls, w3: Web3, key: str) -> Signer:
        return cls(w3, Account.from_key(key))

    @property
    def address(self) -> str:
        return str(self.account.address)

    def _next_nonce(self) -> int:
        if self.nonce is None:
            self.nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        n = self.nonce
        self.nonce += 1
        return n

    def _fees(self) -> dict[str, int]:
        block = self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = 1_000_000_000
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def send(self, tx: TxParams, gas: int | None = None) -> bytes:
        """Sign and submit; return the transaction hash."""
        tx = dict(tx)  # type: ignore[assignment]
        tx.setdefault("from", self.account.address)
        tx.setdefault("chainId", self.w3.eth.chain_id)
        tx.update(self._fees())  # type: ignore[typeddict-item]
        if gas is not None:
            tx["gas"] = gas
        elif "gas" not in tx:
            tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 12 // 10) + 10_000
        tx["nonce"] = self._next_nonce()  # type: ignore[typeddict-item]
        signed = self.account.sign_transaction(tx)  # type: ignore[arg-type]
        try:
            return bytes(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        except Exception:
            self.nonce = None  # resync from the node on the next send
            raise

    def wait(self, tx_hash: bytes, timeout: float = 60.0) -> TxReceipt:
        """Poll for the receipt; raise ``TxRevertedError`` if the transaction reverted."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                receipt = None
            if receipt is not None:
                if receipt["status"] != 1:
                    raise TxRevertedError(f"transaction 0x{tx_hash.hex()} reverted")
                return receipt
            if time.monotonic() > deadline:
                raise TimeoutError(f"no receipt for 0x{tx_hash.hex()} after {timeout}s")
            time.sleep(self.poll)

    def transact(self, fn: Any, gas: int | None = None, value: int = 0) -> TxReceipt:
        """Build a contract function call, send it, wait for success."""
        tx: TxParams = {"from": self.account.address, "value": value}  # type: ignore[typeddict-item]
        if gas is None:
            built = fn.build_transaction(tx)
        else:
            tx["gas"] = gas
            built = fn.build_transaction(tx)
        built.pop("maxFeePerGas", None)
        built.pop("maxPriorityFeePerGas", None)
        built.pop("nonce", None)
        return self.wait(self.send(built, gas=built.get("gas")))

    def deploy(self, name: str, *args: Any) -> Contract:
        """Deploy a compiled artifact and return the contract bound to its address."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = self.transact(factory.constructor(*args))
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=artifact["abi"])
