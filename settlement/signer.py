"""The operator's local signer: EIP-1559 (type 2) transactions signed in process, never by the node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from settlement.fees import Fees

CANCEL_GAS = 21_000


@dataclass(frozen=True, slots=True)
class SignedTx:
    raw_tx: str
    """0x hex of the signed envelope, what ``eth_sendRawTransaction`` takes"""
    tx_hash: str
    """0x lower-case hex"""


class OperatorSigner:
    """Signs the operator's transactions with a private key held in memory."""

    def __init__(self, key: str, chain_id: int) -> None:
        self._account: LocalAccount = Account.from_key(key)
        self.chain_id = chain_id

    @property
    def address(self) -> str:
        """Checksummed."""
        return str(self._account.address)

    def sign(self, *, nonce: int, to: str, data: bytes, gas: int, fees: Fees, value: int = 0) -> SignedTx:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": to,
            "value": value,
            "data": "0x" + data.hex(),
            "gas": gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        }
        signed = self._account.sign_transaction(tx)
        return SignedTx("0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex())

    def sign_cancel(self, *, nonce: int, fees: Fees) -> SignedTx:
        """A 0-value transfer to itself: consumes ``nonce`` without touching the exchange."""
        return self.sign(nonce=nonce, to=self.address, data=b"", gas=CANCEL_GAS, fees=fees)
