"""V2 orders (Polymarket's current protocol): the signed struct, its EIP-712 digest and signing.

V2 signs `Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,
uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)`
under the domain {name: "Polymarket CTF Exchange", version: "2", chainId, verifyingContract: the V2
exchange}. V1's taker, nonce and feeRateBps are gone; `expiration` travels in the JSON unsigned, so it is a
field of `OrderV2` that is not hashed. The digest is what `ExchangeV2.hashOrder` returns (the order id).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache

from orders.eip712 import DOMAIN_NAME, EIP712_DOMAIN_TYPEHASH
from orders.keccak import keccak_256
from orders.signing import sign_digest

DOMAIN_VERSION_V2 = "2"
ORDER_V2_TYPE = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,"
    "uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)"
)
ORDER_V2_TYPEHASH: bytes = keccak_256(ORDER_V2_TYPE.encode()).digest()
ZERO32 = bytes(32)


class SignatureTypeV2(IntEnum):
    """V2 signature types; POLY_1271 is an ERC-1271 contract wallet (maker == signer)."""

    EOA = 0
    POLY_PROXY = 1
    POLY_GNOSIS_SAFE = 2
    POLY_1271 = 3


def _address_word(address: str) -> bytes:
    raw = bytes.fromhex(address.removeprefix("0x").removeprefix("0X"))
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return bytes(12) + raw


def _bytes32(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError("metadata and builder are 32 bytes")
    return value


@dataclass(frozen=True, slots=True)
class OrderV2:
    """A V2 order; fields up to `builder` are the EIP-712 hash order. `side` is 0 = BUY, 1 = SELL.
    `expiration` (seconds, 0 = none) is not signed: the API enforces it, the contract cannot."""

    salt: int
    maker: str
    signer: str
    token_id: int
    maker_amount: int
    taker_amount: int
    side: int
    signature_type: int = SignatureTypeV2.EOA
    timestamp: int = 0
    metadata: bytes = ZERO32
    builder: bytes = ZERO32
    signature: bytes = b""
    expiration: int = 0


@lru_cache(maxsize=64)
def domain_separator_v2(chain_id: int, exchange: str) -> bytes:
    """hashStruct(EIP712Domain) of the V2 exchange at `exchange` on `chain_id`."""
    return keccak_256(
        b"".join(
            (
                EIP712_DOMAIN_TYPEHASH,
                keccak_256(DOMAIN_NAME.encode()).digest(),
                keccak_256(DOMAIN_VERSION_V2.encode()).digest(),
                chain_id.to_bytes(32, "big"),
                _address_word(exchange),
            )
        )
    ).digest()


def struct_hash_v2(order: OrderV2) -> bytes:
    """hashStruct(Order) of a V2 order: the type hash and eleven 32-byte words."""
    return keccak_256(
        b"".join(
            (
                ORDER_V2_TYPEHASH,
                order.salt.to_bytes(32, "big"),
                _address_word(order.maker),
                _address_word(order.signer),
                order.token_id.to_bytes(32, "big"),
                order.maker_amount.to_bytes(32, "big"),
                order.taker_amount.to_bytes(32, "big"),
                int(order.side).to_bytes(32, "big"),
                int(order.signature_type).to_bytes(32, "big"),
                order.timestamp.to_bytes(32, "big"),
                _bytes32(order.metadata),
                _bytes32(order.builder),
            )
        )
    ).digest()


def hash_order_v2(order: OrderV2, chain_id: int, exchange: str) -> bytes:
    """The EIP-712 digest of a V2 order (= ExchangeV2.hashOrder = the order id), 32 bytes."""
    return keccak_256(b"\x19\x01" + domain_separator_v2(chain_id, exchange) + struct_hash_v2(order)).digest()


def sign_order_v2(order: OrderV2, key: bytes | str, chain_id: int, exchange: str) -> OrderV2:
    """`order` with an EOA signature by `key` over its V2 digest."""
    return replace(order, signature=sign_digest(hash_order_v2(order, chain_id, exchange), key))


def protocol_fee(rate_bps: int, exponent: int, side: int, making: int, taking: int) -> int:
    """The V2 protocol fee of a fill, exactly as ExchangeV2 computes it, in the asset the order receives.

    shares = outcome tokens of the fill, p = collateral * 1e18 // shares, q = p * (1e18 - p) // 1e18, q ** exponent
    by repeated multiply-and-floor; BUY pays shares * rate * q^e // (p * 10_000) tokens, SELL
    shares * rate * q^e // 10^22 collateral. Zero without a rate or at p = 0 or p >= 1.
    """
    one = 10**18
    if rate_bps == 0:
        return 0
    shares, collateral = (taking, making) if side == 0 else (making, taking)
    if collateral == 0 or collateral >= shares:
        return 0
    p = collateral * one // shares
    q = p * (one - p) // one
    qe = one
    for _ in range(exponent):
        qe = qe * q // one
    if side == 0:
        return shares * rate_bps * qe // (p * 10_000)
    return shares * rate_bps * qe // (10_000 * one)
