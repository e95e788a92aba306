"""What the facade answers with, and how engine outcomes map to it: placements, cancel results, market specs,
the engine's reject reasons as coded `ServiceError`s, and small parsers shared with the API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clob.engine import (
    CancelAll,
    CancelOrder,
    MatchType,
    OrderId,
    RejectReason,
    Side,
    Trade,
    UnixSeconds,
)
from clob.engine.types import Address as EngineAddress
from clob.service.errors import ErrorCode, ServiceError
from clob.service.submission import UNSEQUENCED

MAX_BATCH_ORDERS = 15
MAX_CANCEL_IDS = 3000
_ORDER_ID_LENGTH = 66
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Placement:
    """The outcome of one order of POST /order(s). ``error`` set means it was not placed."""

    order_id: str
    status: str = ""
    """"live" (resting, nothing traded) or "matched" (traded on arrival; a GTC/GTD remainder rests)."""
    making: int = 0
    """What the order gave on arrival, base units of its maker asset."""
    taking: int = 0
    """What it received on arrival, net of the fee, base units of its taker asset."""
    trade_ids: tuple[str, ...] = ()
    error: ServiceError | None = None


@dataclass(frozen=True, slots=True)
class CancelResult:
    canceled: list[str]
    not_canceled: dict[str, str]


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """What the admin API needs to open a market (the on-chain condition and registry are set up elsewhere)."""

    condition_id: str
    question_id: str
    yes_token_id: int
    no_token_id: int
    tick_size: str = "0.01"
    min_order_size: int = 5_000_000
    """Minimum order size in share base units (5 shares by default, as Polymarket)."""
    fee_rate_bps: int = 0
    question: str = ""
    description: str = ""
    market_slug: str = ""
    oracle: str = ""
    end_date_iso: str = ""
    shard: str = ""
    """Distributed mode: the shard to open it on (default: chosen by a hash of the condition id)."""


_REJECTS: dict[RejectReason, tuple[ErrorCode, str]] = {
    RejectReason.UNKNOWN_TOKEN: (ErrorCode.MARKET_NOT_FOUND, "invalid order: no market trades this token id"),
    RejectReason.MARKET_NOT_OPEN: (ErrorCode.MARKET_NOT_READY, "the market is not accepting orders"),
    RejectReason.MARKET_RESOLVED: (ErrorCode.MARKET_NOT_READY, "the market is closed"),
    RejectReason.DUPLICATE_ORDER: (ErrorCode.INVALID_ORDER_DUPLICATED, "order {id} is invalid. Duplicated."),
    RejectReason.INVALID_AMOUNT: (ErrorCode.INVALID_ORDER_AMOUNT, "invalid order: invalid amounts"),
    RejectReason.INVALID_PRICE: (ErrorCode.INVALID_ORDER_AMOUNT, "invalid order: invalid price"),
    RejectReason.INVALID_PRECISION: (ErrorCode.INVALID_ORDER_AMOUNT, "invalid order: invalid amount precision"),
    RejectReason.INVALID_TICK: (ErrorCode.INVALID_ORDER_MIN_TICK_SIZE, "invalid order: price breaks the tick size"),
    RejectReason.BELOW_MIN_SIZE: (ErrorCode.INVALID_ORDER_MIN_SIZE, "invalid order: size lower than the minimum"),
    RejectReason.INVALID_FEE_RATE: (ErrorCode.INVALID_ORDER_FEE_RATE, "invalid order: invalid fee rate"),
    RejectReason.INVALID_ORDER_TYPE: (ErrorCode.INVALID_ORDER_PAYLOAD, "invalid order: invalid order type"),
    RejectReason.INVALID_EXPIRATION: (ErrorCode.INVALID_ORDER_EXPIRATION, "invalid order: invalid expiration"),
    RejectReason.INVALID_POST_ONLY: (
        ErrorCode.INVALID_ORDER_POST_ONLY,
        "invalid post-only order: only GTC and GTD orders can be post-only",
    ),
    RejectReason.POST_ONLY_WOULD_CROSS: (
        ErrorCode.INVALID_ORDER_POST_ONLY,
        "invalid post-only order: order crosses book",
    ),
    RejectReason.FOK_NOT_FILLED: (
        ErrorCode.FOK_ORDER_NOT_FILLED_ERROR,
        "order couldn't be fully filled. FOK orders are fully filled or killed.",
    ),
    RejectReason.FAK_NO_MATCH: (
        ErrorCode.FAK_ORDER_NOT_FILLED_ERROR,
        "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.",
    ),
}

CANCEL_REASONS: dict[RejectReason, str] = {
    RejectReason.ORDER_NOT_FOUND: "order can't be found - already canceled or matched",
    RejectReason.NOT_OWNER: "not authorized to cancel this order",
}


def engine_reject(order_id: str, reason: RejectReason) -> ServiceError:
    code, message = _REJECTS.get(reason, (ErrorCode.INVALID_ORDER_PAYLOAD, f"invalid order: {reason.value}"))
    return ServiceError(code, message.format(id=order_id))


def taker_amounts(trade: Trade) -> tuple[int, int]:
    """What the taker gave and received (net of its fee) in one trade.

    A SELL taker gives ``taker_fill`` shares. A BUY taker is refunded what it signed for beyond the makers' prices,
    so it gives what COMPLEMENTARY makers receive (their ``taking``) plus, for each MINT maker, the complement of
    the maker's collateral in the split (``taking - making``).
    """
    makers = ((m.match_type == MatchType.COMPLEMENTARY, m.making, m.taking) for m in trade.makers)
    return _taker_amounts(trade.side == Side.SELL, trade.taker_fill, trade.taker_taking, trade.taker_fee, makers)


def stored_taker_amounts(payload: Mapping[str, Any]) -> tuple[int, int]:
    """`taker_amounts` of a trade as stored (``trades.payload``, `clob.service.projections.trade_to_json`)."""
    makers = ((m["match_type"] == "COMPLEMENTARY", int(m["making"]), int(m["taking"])) for m in payload["makers"])
    return _taker_amounts(
        payload["side"] == "SELL",
        int(payload["taker_fill"]),
        int(payload["taker_taking"]),
        int(payload["taker_fee"]),
        makers,
    )


def _taker_amounts(
    sell: bool, taker_fill: int, taker_taking: int, taker_fee: int, makers: Iterable[tuple[bool, int, int]]
) -> tuple[int, int]:
    received = int(taker_taking - taker_fee)
    if sell:
        return int(taker_fill), received
    given = 0
    for complementary, making, taking in makers:
        given += taking if complementary else taking - making
    return given, received


def is_order_id(text: str) -> bool:
    return len(text) == _ORDER_ID_LENGTH and text[:2] == "0x" and set(text[2:]) <= _HEX


def parse_token_id(text: str | None) -> int:
    """A uint256 token id from a decimal string; `INVALID_TOKEN_ID` otherwise."""
    if text is None or not (0 < len(text) <= 78 and text.isascii() and text.isdigit()) or int(text) >= 1 << 256:
        raise ServiceError(ErrorCode.INVALID_TOKEN_ID, "Invalid token id")
    return int(text)


def cancel_one_command(now: UnixSeconds, order_id: OrderId, owner: EngineAddress) -> CancelOrder:
    """The cancellation of one order of ``owner``, as a `Submission` command (not sequenced yet)."""
    return CancelOrder(UNSEQUENCED, now, order_id, owner)


def cancel_all_command(now: UnixSeconds, owner: EngineAddress) -> CancelAll:
    """The cancellation of every resting order of ``owner``, as a `Submission` command (not sequenced yet)."""
    return CancelAll(UNSEQUENCED, now, owner)
