"""Events: the only outputs of the engine, in the order they happened within a command.

A `PlaceOrder` that trades yields, in order: `OrderAccepted`; `OrderCancelled` for resting orders removed on the
way (self-trade, expired); one `Trade` carrying every maker fill; `OrderUpdated` per maker touched; the taker's
own outcome (`OrderUpdated`, or `OrderCancelled` with FAK_REMAINDER); then `BookDelta`s, two per changed price
level (the level as seen from the YES book and from the NO book).

Amounts are in base units, prices in pips of the order's own token. Fill amounts are in the contract's terms:
`making` is what the order gives (its maker asset), `taking` what it receives before the fee, `fee` what the
exchange keeps of `taking`.

The hot events also have module-level constructors (`book_delta`, `order_updated`, ...), about three times
faster than the dataclass `__init__` (see "fast construction" below); both build identical events.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from clob.engine.types import (
    Address,
    BaseUnits,
    CancelReason,
    MarketId,
    MarketStatus,
    MatchType,
    OrderId,
    OrderStatus,
    Pips,
    RejectReason,
    Seq,
    Side,
    TokenId,
)


@dataclass(frozen=True, slots=True)
class MarketCreated:
    market: MarketId
    yes_token: TokenId
    no_token: TokenId
    tick_decimals: int
    min_size: BaseUnits
    fee_rate_bps: int


@dataclass(frozen=True, slots=True)
class MarketStatusChanged:
    market: MarketId
    status: MarketStatus


@dataclass(frozen=True, slots=True)
class TickSizeChanged:
    market: MarketId
    old_tick_decimals: int
    new_tick_decimals: int


@dataclass(frozen=True, slots=True)
class CommandRejected:
    """A market or admin command that changed nothing."""

    seq: Seq
    reason: RejectReason


class _OrderAcceptedSlots:
    __slots__ = ("market", "order_id", "owner")


@dataclass(frozen=True, slots=True)
class OrderAccepted(_OrderAcceptedSlots):
    order_id: OrderId
    market: MarketId
    owner: Address


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A `PlaceOrder` that changed nothing (FOK/FAK that could not trade included)."""

    order_id: OrderId
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class CancelRejected:
    order_id: OrderId
    reason: RejectReason


class _OrderCancelledSlots:
    __slots__ = ("market", "order_id", "owner", "reason", "remaining")


@dataclass(frozen=True, slots=True)
class OrderCancelled(_OrderCancelledSlots):
    """The order is gone; `remaining` (maker units) was never filled."""

    order_id: OrderId
    market: MarketId
    owner: Address
    reason: CancelReason
    remaining: BaseUnits


class _OrderUpdatedSlots:
    __slots__ = ("market", "order_id", "owner", "remaining", "status")


@dataclass(frozen=True, slots=True)
class OrderUpdated(_OrderUpdatedSlots):
    """After fills: `remaining` in maker units, as the contract tracks it. MATCHED means the order is done; its
    remaining, if not zero, is dust smaller than one exact fill (see `clob.engine.matching`)."""

    order_id: OrderId
    market: MarketId
    owner: Address
    remaining: BaseUnits
    status: OrderStatus


class _MakerFillSlots:
    __slots__ = ("fee", "maker", "making", "match_type", "order_id", "price", "side", "taking", "token_id")


@dataclass(frozen=True, slots=True)
class MakerFill(_MakerFillSlots):
    """One maker's part of a trade. `price` is the maker's own price (pips of `token_id`): the execution price."""

    order_id: OrderId
    maker: Address
    token_id: TokenId
    side: Side
    match_type: MatchType
    price: Pips
    making: BaseUnits
    taking: BaseUnits
    fee: BaseUnits


class _TradeSlots:
    __slots__ = (
        "makers",
        "market",
        "seq",
        "side",
        "taker",
        "taker_fee",
        "taker_fill",
        "taker_order_id",
        "taker_taking",
        "token_id",
        "trade_id",
    )


@dataclass(frozen=True, slots=True)
class Trade(_TradeSlots):
    """One taker match, i.e. one `matchOrders(taker, makers, taker_fill, [m.making for m in makers])` call.

    `taker_fill` is the taker's making (maker units of the taker order); `taker_taking` is all the taker
    receives (the exchange's whole balance of that asset, price improvement included) before `taker_fee`.
    A BUY taker is refunded `taker_fill` minus what the makers were paid.
    """

    trade_id: str
    seq: Seq
    market: MarketId
    taker_order_id: OrderId
    taker: Address
    token_id: TokenId
    side: Side
    taker_fill: BaseUnits
    taker_taking: BaseUnits
    taker_fee: BaseUnits
    makers: tuple[MakerFill, ...]


class _BookDeltaSlots:
    __slots__ = ("market", "price", "side", "size", "token_id")


@dataclass(frozen=True, slots=True)
class BookDelta(_BookDeltaSlots):
    """The new total size (shares, base units) of one price level of one token's book; 0 removes the level."""

    market: MarketId
    token_id: TokenId
    side: Side
    price: Pips
    size: BaseUnits


Event = (
    MarketCreated
    | MarketStatusChanged
    | TickSizeChanged
    | CommandRejected
    | OrderAccepted
    | OrderRejected
    | CancelRejected
    | OrderCancelled
    | OrderUpdated
    | Trade
    | BookDelta
)

# -- fast construction ------------------------------------------------------------------------------------------
#
# A frozen dataclass's `__init__` goes through `object.__setattr__` for every field, which costs about as much as
# the rest of handling a command. The hot events are instead filled in as a "draft": an instance of a plain class
# with the very same slots (so the same memory layout), whose attribute stores are ordinary and fast, and then
# re-classed to the frozen type, which CPython allows between layout-identical classes. The result is an ordinary
# instance of the event class (equal, hashable, immutable); tests compare both ways of building. The hot paths
# (`placement`, `matching`, `admin.cancel_order`) fill drafts inline, as the constructors below do:
#
#     event = DeltaDraft(); event.market = ...; ...; event.__class__ = BookDelta
#
# (calling the draft class is cheaper than `object.__new__(draft)`; about 0.3 us per event on the bench box.)


def _draft_of(cls: type) -> Any:
    """A plain class sharing the event's slots. The slots live in a common base class (`_BookDeltaSlots`...), which
    makes the re-classing cheaper still: CPython then skips comparing the two classes' slot lists."""
    base = cls.__mro__[1]
    if cls.__dict__["__slots__"] or set(base.__dict__["__slots__"]) != {f.name for f in fields(cls)}:
        raise TypeError(f"{cls.__name__} must keep its fields in the slots of its base class")
    return type(f"_{cls.__name__}Draft", (base,), {"__slots__": ()})


_BUY, _SELL = Side.BUY, Side.SELL
AcceptedDraft = _draft_of(OrderAccepted)
DeltaDraft = _draft_of(BookDelta)
UpdatedDraft = _draft_of(OrderUpdated)
CancelledDraft = _draft_of(OrderCancelled)
FillDraft = _draft_of(MakerFill)
TradeDraft = _draft_of(Trade)


def order_accepted(order_id: OrderId, market: MarketId, owner: Address) -> OrderAccepted:
    draft = AcceptedDraft()
    draft.order_id = order_id
    draft.market = market
    draft.owner = owner
    draft.__class__ = OrderAccepted
    event: OrderAccepted = draft
    return event


def book_delta(market: MarketId, token_id: TokenId, side: Side, price: int, size: int) -> BookDelta:
    draft = DeltaDraft()
    draft.market = market
    draft.token_id = token_id
    draft.side = side
    draft.price = price
    draft.size = size
    draft.__class__ = BookDelta
    event: BookDelta = draft
    return event


def book_delta_pair(
    out: list[Event], market: MarketId, yes_token: TokenId, no_token: TokenId, is_bid: bool, price: int, size: int
) -> None:
    """Append the two views of one YES-price level: the YES book's and the mirrored NO book's."""
    yes = DeltaDraft()
    yes.market = market
    yes.token_id = yes_token
    yes.side = _BUY if is_bid else _SELL
    yes.price = price
    yes.size = size
    yes.__class__ = BookDelta
    no = DeltaDraft()
    no.market = market
    no.token_id = no_token
    no.side = _SELL if is_bid else _BUY
    no.price = 10_000 - price
    no.size = size
    no.__class__ = BookDelta
    out.append(yes)
    out.append(no)


def order_updated(
    order_id: OrderId, market: MarketId, owner: Address, remaining: int, status: OrderStatus
) -> OrderUpdated:
    draft = UpdatedDraft()
    draft.order_id = order_id
    draft.market = market
    draft.owner = owner
    draft.remaining = remaining
    draft.status = status
    draft.__class__ = OrderUpdated
    event: OrderUpdated = draft
    return event


def order_cancelled(
    order_id: OrderId, market: MarketId, owner: Address, reason: CancelReason, remaining: int
) -> OrderCancelled:
    draft = CancelledDraft()
    draft.order_id = order_id
    draft.market = market
    draft.owner = owner
    draft.reason = reason
    draft.remaining = remaining
    draft.__class__ = OrderCancelled
    event: OrderCancelled = draft
    return event


def maker_fill(
    order_id: OrderId,
    maker: Address,
    token_id: TokenId,
    side: Side,
    match_type: MatchType,
    price: int,
    making: int,
    taking: int,
    fee: int,
) -> MakerFill:
    draft = FillDraft()
    draft.order_id = order_id
    draft.maker = maker
    draft.token_id = token_id
    draft.side = side
    draft.match_type = match_type
    draft.price = price
    draft.making = making
    draft.taking = taking
    draft.fee = fee
    draft.__class__ = MakerFill
    event: MakerFill = draft
    return event


def trade(
    trade_id: str,
    seq: Seq,
    market: MarketId,
    taker_order_id: OrderId,
    taker: Address,
    token_id: TokenId,
    side: Side,
    taker_fill: int,
    taker_taking: int,
    taker_fee: int,
    makers: tuple[MakerFill, ...],
) -> Trade:
    draft = TradeDraft()
    draft.trade_id = trade_id
    draft.seq = seq
    draft.market = market
    draft.taker_order_id = taker_order_id
    draft.taker = taker
    draft.token_id = token_id
    draft.side = side
    draft.taker_fill = taker_fill
    draft.taker_taking = taker_taking
    draft.taker_fee = taker_fee
    draft.makers = makers
    draft.__class__ = Trade
    event: Trade = draft
    return event
