"""Units, enums and constants of the matching engine.

Every quantity is an integer with a named unit:

- `BaseUnits`: USDC or outcome shares in 6-decimal base units (1 share = 1_000_000), exactly as the exchange
  contract and the signed orders carry them.
- `Pips`: a price in units of 0.0001 USDC per share, the finest Polymarket tick (0.55 is 5_500). A market's tick
  size is 1, 10, 100 or 1_000 pips (0.0001 to 0.1). Keeping one fixed price unit for every market means a tick
  size change never re-keys the book, and a YES price `p` and its NO complement `PRICE_SCALE - p` are both exact.
- Token ids are the CTF position ids (`int`, uint256); market ids are condition ids (``0x`` hex `str`); order ids
  are the EIP-712 order hashes (``0x`` + 64 hex `str`); addresses are compared exactly as given (the API layer
  normalises them).

Enums compare by value, so equal-valued enums from the API layer (``Side.BUY == 0``, ``OrderType.GTC == "GTC"``)
work as well; reject and cancel reasons carry stable string codes.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final, NewType

BaseUnits = NewType("BaseUnits", int)
Pips = NewType("Pips", int)
TokenId = NewType("TokenId", int)
MarketId = NewType("MarketId", str)
OrderId = NewType("OrderId", str)
Address = NewType("Address", str)
Seq = NewType("Seq", int)
UnixSeconds = NewType("UnixSeconds", int)

PRICE_SCALE: Final = 10_000
"""Pips per 1.0 USDC/share."""
SHARE_STEP: Final = 10_000
"""0.01 share in base units: limit-order sizes are multiples of this (2 size decimals)."""
MARKET_MAKER_STEP: Final = 10_000
"""Market (FOK/FAK) orders: maker amount has at most 2 decimals."""
MARKET_TAKER_STEP: Final = 100
"""Market (FOK/FAK) orders: taker amount has at most 4 decimals."""
MIN_MARKET_BUY: Final = 1_000_000
"""A market (FOK/FAK) BUY spends at least 1 USDC: Polymarket sizes it in dollars, not in shares."""
MAX_AMOUNT: Final = 10**15
"""Upper bound for a signed amount (one billion shares or USDC)."""
MAX_FEE_RATE_BPS: Final = 1_000
"""The exchange contract reverts above 10 % (`FeeTooHigh`)."""
GTD_SAFETY_MARGIN_S: Final = 60
"""An order is treated as expired `GTD_SAFETY_MARGIN_S` seconds before its signed expiration, so that a fill never
reaches the chain after the contract would reject it (Polymarket documents the same 60 s threshold)."""
TICK_DECIMALS: Final = (1, 2, 3, 4)
"""Allowed tick sizes as decimals: 0.1, 0.01, 0.001, 0.0001."""


def tick_pips(tick_decimals: int) -> Pips:
    """The tick size of a market in pips (decimals 2 -> 0.01 -> 100 pips)."""
    return Pips(10 ** (4 - tick_decimals))


class Side(IntEnum):
    """Order side, with the exchange contract's encoding."""

    BUY = 0
    SELL = 1


class OrderType(StrEnum):
    """Time in force. GTC/GTD may rest on the book; FOK/FAK never rest."""

    GTC = "GTC"
    GTD = "GTD"
    FOK = "FOK"
    FAK = "FAK"


class MatchType(IntEnum):
    """How the exchange settles one maker against the taker (the contract's `MatchType`).

    - COMPLEMENTARY: a BUY meets a SELL of the same token; assets swap hands.
    - MINT: two BUYs of complementary tokens; their collateral is split into a YES and a NO share each.
    - MERGE: two SELLs of complementary tokens; a YES and a NO share are merged back into collateral.
    """

    COMPLEMENTARY = 0
    MINT = 1
    MERGE = 2


class MarketStatus(StrEnum):
    OPEN = "OPEN"
    HALTED = "HALTED"
    RESOLVED = "RESOLVED"


class OrderStatus(StrEnum):
    """Status carried by `OrderUpdated`: LIVE rests on the book, MATCHED is done (filled, up to dust)."""

    LIVE = "LIVE"
    MATCHED = "MATCHED"


class RejectReason(StrEnum):
    """Why a command was rejected. The values are stable codes; the API maps them to Polymarket's texts."""

    STALE_SEQ = "STALE_SEQ"
    UNKNOWN_MARKET = "UNKNOWN_MARKET"
    DUPLICATE_MARKET = "DUPLICATE_MARKET"
    INVALID_MARKET_PARAMS = "INVALID_MARKET_PARAMS"
    UNKNOWN_TOKEN = "UNKNOWN_TOKEN"
    MARKET_NOT_OPEN = "MARKET_NOT_OPEN"
    MARKET_RESOLVED = "MARKET_RESOLVED"
    DUPLICATE_ORDER = "DUPLICATE_ORDER"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_TICK = "INVALID_TICK"
    INVALID_PRECISION = "INVALID_PRECISION"
    BELOW_MIN_SIZE = "BELOW_MIN_SIZE"
    INVALID_FEE_RATE = "INVALID_FEE_RATE"
    INVALID_ORDER_TYPE = "INVALID_ORDER_TYPE"
    INVALID_EXPIRATION = "INVALID_EXPIRATION"
    INVALID_POST_ONLY = "INVALID_POST_ONLY"
    POST_ONLY_WOULD_CROSS = "POST_ONLY_WOULD_CROSS"
    FOK_NOT_FILLED = "FOK_NOT_FILLED"
    FAK_NO_MATCH = "FAK_NO_MATCH"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    NOT_OWNER = "NOT_OWNER"
    TICK_SIZE_NOT_FINER = "TICK_SIZE_NOT_FINER"


class CancelReason(StrEnum):
    """Why a resting (or in-flight) order left the book without being matched."""

    USER = "USER"
    EXPIRED = "EXPIRED"
    SELF_TRADE = "SELF_TRADE"
    FAK_REMAINDER = "FAK_REMAINDER"
    MARKET_RESOLVED = "MARKET_RESOLVED"
    ADMIN = "ADMIN"


class EngineError(Exception):
    """Root of the engine's exceptions: a broken invariant or a misuse, never a business rejection (those are
    `OrderRejected` / `CommandRejected` events)."""


class InvariantError(EngineError):
    """`check_invariants` found the state inconsistent."""
