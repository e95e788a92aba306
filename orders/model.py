"""The order vocabulary: one `Order`, `Side`, `SignatureType`, `OrderType` and `Address` for the whole project.

`Order` is the V1 Polymarket order as signed by the client and checked by CTFExchange: exactly the twelve EIP-712
fields of the exchange's `Order` struct, in hash order, plus the 65-byte signature (not hashed). Its class
attribute `version` names the order generation (`OrderVersion`), which selects the EIP-712 domain and struct
(`orders.eip712`); a later generation is another frozen class with its own fields and the same attribute, so
hashing, signing and encoding dispatch on it instead of copying the vocabulary. Amounts are 6-decimal base units
(USDC and CTF shares both use 6 decimals):

- BUY: `maker_amount` is the USDC paid, `taker_amount` the shares received; `token_id` is bought.
- SELL: `maker_amount` is the shares sold, `taker_amount` the USDC received.

Addresses are kept as lower-case ``0x`` hex strings (`Address`): cheap to compare, to key dicts and to store,
and exactly what keccak's hexdigest yields during signature recovery. Use `checksum_address` only when
rendering an address outward (web3 8 rejects lower-case input). Hashing and ABI encoding read the address bytes,
so an order built with checksummed addresses (a test's, a tool's) hashes and encodes the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import ClassVar, NewType

from orders.keccak import keccak_256

Address = NewType("Address", str)
"""A 20-byte address as ``0x`` + 40 lower-case hex digits."""

BaseUnits = NewType("BaseUnits", int)
"""An amount of USDC or outcome shares in 6-decimal base units (1 share = 1_000_000)."""

ZERO_ADDRESS = Address("0x" + "0" * 40)
UINT256_MAX = (1 << 256) - 1


class Side(IntEnum):
    BUY = 0
    SELL = 1


class SignatureType(IntEnum):
    """Who signs for the maker: the maker itself (EOA), the owner of its proxy wallet or Gnosis Safe, or a
    contract by EIP-1271. The exchange contract knows all four; the API accepts the types `orders.parse` lists."""

    EOA = 0
    POLY_PROXY = 1
    POLY_GNOSIS_SAFE = 2
    POLY_1271 = 3


class OrderVersion(IntEnum):
    """The order generation, which fixes its EIP-712 domain version and struct (see `orders.eip712`)."""

    V1 = 1


class OrderType(StrEnum):
    """Time in force. GTC/GTD rest on the book (limit orders); FOK/FAK never rest (market orders)."""

    GTC = "GTC"
    GTD = "GTD"
    FOK = "FOK"
    FAK = "FAK"

    @property
    def is_market(self) -> bool:
        return self is OrderType.FOK or self is OrderType.FAK


@dataclass(frozen=True, slots=True)
class Order:
    """A signed V1 order. Field order is the EIP-712 hash order."""

    version: ClassVar[OrderVersion] = OrderVersion.V1

    salt: int
    maker: Address
    signer: Address
    taker: Address
    token_id: int
    maker_amount: int
    taker_amount: int
    expiration: int
    nonce: int
    fee_rate_bps: int
    side: Side
    signature_type: SignatureType = SignatureType.EOA
    signature: bytes = b""


@dataclass(frozen=True, slots=True)
class SignedOrderRequest:
    """One entry of POST /order or POST /orders: the order plus how to place it."""

    order: Order
    owner: str
    """The API key the client claims owns the order (checked against the L2 key by the API layer)."""
    order_type: OrderType
    post_only: bool = False
    defer_exec: bool = False


def checksum_address(address: str) -> str:
    """EIP-55 checksummed form of a ``0x`` + 40-hex address (any case in, mixed case out)."""
    return _checksum(address[2:].lower())


@lru_cache(maxsize=65_536)
def _checksum(hex_lower: str) -> str:
    """Cached: order intake checks the same few makers' addresses over and over (~40 µs each uncached)."""
    digest = keccak_256(hex_lower.encode("ascii")).hexdigest()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hex_lower)
    )


def order_id(order_hash: bytes) -> str:
    """The API's order id: the EIP-712 digest as ``0x`` + 64 lower-case hex digits."""
    return "0x" + order_hash.hex()


def normalize_address(text: str) -> Address:
    """Validate ``0x`` + 40 hex digits and return the lower-case `Address`.

    Accepts all-lower-case, all-upper-case (no checksum, per EIP-55) or a correctly checksummed address; a
    mixed-case address whose checksum is wrong is rejected, since it is most likely a typo.
    Raises ValueError with a short reason.
    """
    if type(text) is str:  # (a str subclass could compare differently: not cached)
        return _normalized(text)
    return _normalize(text)


@lru_cache(maxsize=65_536)
def _normalized(text: str) -> Address:
    """Cached: every order names its maker and signer (and the zero taker), the same few addresses over and over.
    Only valid addresses are cached (lru_cache does not keep raised errors)."""
    return _normalize(text)


def _normalize(text: str) -> Address:
    if len(text) != 42 or text[:2] not in ("0x", "0X"):
        raise ValueError("must be 0x followed by 40 hex digits")
    body = text[2:]
    try:
        raw = bytes.fromhex(body)  # also accepts spaces, hence the length check below
    except ValueError:
        raw = b""
    if len(raw) != 20:
        raise ValueError("must be 0x followed by 40 hex digits")
    lower = body.lower()
    if body != lower and body != body.upper() and checksum_address(text)[2:] != body:
        raise ValueError("has an invalid EIP-55 checksum")
    return Address("0x" + lower)
