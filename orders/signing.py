"""Signing orders, for tests, the demo and the load generator (the server never signs orders).

libsecp256k1 signs deterministically (RFC 6979) and always emits low-s signatures, so `sign_order` gives
byte-for-byte the signature that py-order-utils (eth-account / eth-keys) gives for the same key and order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coincurve import PrivateKey

from orders.eip712 import domain_separator, hash_order
from orders.keccak import keccak_256
from orders.model import Address, Order, OrderVersion


@dataclass(frozen=True, slots=True)
class ExchangeDomain:
    """The EIP-712 domain of one CTF exchange deployment (for the orders of one generation)."""

    chain_id: int
    exchange: str
    version: OrderVersion = OrderVersion.V1

    @property
    def separator(self) -> bytes:
        return domain_separator(self.chain_id, self.exchange, self.version)


def _private_key(key: bytes | str) -> PrivateKey:
    if isinstance(key, str):
        key = bytes.fromhex(key.removeprefix("0x"))
    return PrivateKey(key)


def sign_digest(digest: bytes, key: bytes | str) -> bytes:
    """65-byte r ‖ s ‖ v signature (v = 27 or 28) of a 32-byte digest."""
    rs_recid = _private_key(key).sign_recoverable(digest, hasher=None)
    return rs_recid[:64] + bytes((rs_recid[64] + 27,))


def address_of(key: bytes | str) -> Address:
    """The lower-case address controlled by a private key (32 bytes or 0x-hex)."""
    public = _private_key(key).public_key.format(compressed=False)[1:]
    return Address("0x" + keccak_256(public).hexdigest()[24:])


def sign_order(order: Order, key: bytes | str, domain: ExchangeDomain) -> Order:
    """Return `order` with its `signature` set to the EIP-712 signature under `domain`."""
    return replace(order, signature=sign_digest(hash_order(order, domain.separator), key))
