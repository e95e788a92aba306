"""Events: the only outputs of the engine, in the order they happened within a command.

A `PlaceOrder` that trades yields, in order: `OrderAccepted`; `OrderCancelled` for resting orders removed on the
way (self-trade, expired); one `Trade` carrying every maker fill; `OrderUpdated` per maker touched; the taker's
own outcome (`OrderUpdated`, or `OrderCancelled` with FAK_REMAINDER); then `BookDelta`s, two per changed price
level (the level as seen from the YES book and from the NO book).

Amounts are in base units, prices in pips of the order's own token. Fill amounts are in the contract's terms:
`making` is what the order gives (its maker asset), `taking` what it receives before the fee, `fee` what the
exchange keeps of `taking`.

Events are immutable value objects (like frozen dataclasses: compared and hashed by their fields, writes raise
`FrozenInstanceError`). The hot ones also have module-level constructors (`book_delta`, `order_updated`, ...) that
the engine uses; both ways build identical events (see "construction" below).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, Final, cast

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


class _Event:
    """Value semantics of a frozen dataclass: equal when of the same type with equal fields, hashed by the fields,
    a dataclass-style repr, and no attribute writes after construction. Each event class lists its fields in
    `__match_args__` and returns their values from `_values`; its `__init__` stores them with
    `object.__setattr__`, which the compiled build turns into a plain store."""

    __slots__ = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self.__match_args__, self._values(), strict=True))
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and copy by the constructor (slot-by-slot restoring would hit `__setattr__`)."""
        return type(self), self._values()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


class MarketCreated(_Event):
    __slots__ = ("fee_rate_bps", "market", "min_size", "no_token", "tick_decimals", "yes_token")
    __match_args__: ClassVar[tuple[str, ...]] = (
        "market",
        "yes_token",
        "no_token",
        "tick_decimals",
        "min_size",
        "fee_rate_bps",
    )
    market: MarketId
    yes_token: TokenId
    no_token: TokenId
    tick_decimals: int
    min_size: BaseUnits
    fee_rate_bps: int

    def __init__(
        self,
        market: MarketId,
        yes_token: TokenId,
        no_token: TokenId,
        tick_decimals: int,
        min_size: BaseUnits,
        fee_rate_bps: int,
    ) -> None:
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "yes_token", yes_token)
        object.__setattr__(self, "no_token", no_token)
        object.__setattr__(self, "tick_decimals", tick_decimals)
        object.__setattr__(self, "min_size", min_size)
        object.__setattr__(self, "fee_rate_bps", fee_rate_bps)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.market,
            self.yes_token,
            self.no_token,
            self.tick_decimals,
            self.min_size,
            self.fee_rate_bps,
        )


class MarketStatusChanged(_Event):
    __slots__ = ("market", "status")
    __match_args__: ClassVar[tuple[str, ...]] = ("market", "status")
    market: MarketId
    status: MarketStatus

    def __init__(self, market: MarketId, status: MarketStatus) -> None:
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "status", status)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.market,
            self.status,
        )


class TickSizeChanged(_Event):
    __slots__ = ("market", "new_tick_decimals", "old_tick_decimals")
    __match_args__: ClassVar[tuple[str, ...]] = ("market", "old_tick_decimals", "new_tick_decimals")
    market: MarketId
    old_tick_decimals: int
    new_tick_decimals: int

    def __init__(self, market: MarketId, old_tick_decimals: int, new_tick_decimals: int) -> None:
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "old_tick_decimals", old_tick_decimals)
        object.__setattr__(self, "new_tick_decimals", new_tick_decimals)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.market,
            self.old_tick_decimals,
            self.new_tick_decimals,
        )


class CommandRejected(_Event):
    """A market or admin command that changed nothing."""

    __slots__ = ("reason", "seq")
    __match_args__: ClassVar[tuple[str, ...]] = ("seq", "reason")
    seq: Seq
    reason: RejectReason

    def __init__(self, seq: Seq, reason: RejectReason) -> None:
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "reason", reason)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.seq,
            self.reason,
        )


class OrderAccepted(_Event):
    __slots__ = ("market", "order_id", "owner")
    __match_args__: ClassVar[tuple[str, ...]] = ("order_id", "market", "owner")
    order_id: OrderId
    market: MarketId
    owner: Address

    def __init__(self, order_id: OrderId, market: MarketId, owner: Address) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "owner", owner)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.market,
            self.owner,
        )


class OrderRejected(_Event):
    """A `PlaceOrder` that changed nothing (FOK/FAK that could not trade included)."""

    __slots__ = ("order_id", "reason")
    __match_args__: ClassVar[tuple[str, ...]] = ("order_id", "reason")
    order_id: OrderId
    reason: RejectReason

    def __init__(self, order_id: OrderId, reason: RejectReason) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "reason", reason)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.reason,
        )


class CancelRejected(_Event):
    __slots__ = ("order_id", "reason")
    __match_args__: ClassVar[tuple[str, ...]] = ("order_id", "reason")
    order_id: OrderId
    reason: RejectReason

    def __init__(self, order_id: OrderId, reason: RejectReason) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "reason", reason)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.reason,
        )


class OrderCancelled(_Event):
    """The order is gone; `remaining` (maker units) was never filled."""

    __slots__ = ("market", "order_id", "owner", "reason", "remaining")
    __match_args__: ClassVar[tuple[str, ...]] = ("order_id", "market", "owner", "reason", "remaining")
    order_id: OrderId
    market: MarketId
    owner: Address
    reason: CancelReason
    remaining: BaseUnits

    def __init__(
        self, order_id: OrderId, market: MarketId, owner: Address, reason: CancelReason, remaining: BaseUnits
    ) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "owner", owner)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "remaining", remaining)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.market,
            self.owner,
            self.reason,
            self.remaining,
        )


class OrderUpdated(_Event):
    """After fills: `remaining` in maker units, as the contract tracks it. MATCHED means the order is done; its
    remaining, if not zero, is dust smaller than one exact fill (see `clob.engine.matching`)."""

    __slots__ = ("market", "order_id", "owner", "remaining", "status")
    __match_args__: ClassVar[tuple[str, ...]] = ("order_id", "market", "owner", "remaining", "status")
    order_id: OrderId
    market: MarketId
    owner: Address
    remaining: BaseUnits
    status: OrderStatus

    def __init__(
        self, order_id: OrderId, market: MarketId, owner: Address, remaining: BaseUnits, status: OrderStatus
    ) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "owner", owner)
        object.__setattr__(self, "remaining", remaining)
        object.__setattr__(self, "status", status)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.market,
            self.owner,
            self.remaining,
            self.status,
        )


class MakerFill(_Event):
    """One maker's part of a trade. `price` is the maker's own price (pips of `token_id`): the execution price."""

    __slots__ = ("fee", "maker", "making", "match_type", "order_id", "price", "side", "taking", "token_id")
    __match_args__: ClassVar[tuple[str, ...]] = (
        "order_id",
        "maker",
        "token_id",
        "side",
        "match_type",
        "price",
        "making",
        "taking",
        "fee",
    )
    order_id: OrderId
    maker: Address
    token_id: TokenId
    side: Side
    match_type: MatchType
    price: Pips
    making: BaseUnits
    taking: BaseUnits
    fee: BaseUnits

    def __init__(
        self,
        order_id: OrderId,
        maker: Address,
        token_id: TokenId,
        side: Side,
        match_type: MatchType,
        price: Pips,
        making: BaseUnits,
        taking: BaseUnits,
        fee: BaseUnits,
    ) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "maker", maker)
        object.__setattr__(self, "token_id", token_id)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "match_type", match_type)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "making", making)
        object.__setattr__(self, "taking", taking)
        object.__setattr__(self, "fee", fee)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.order_id,
            self.maker,
            self.token_id,
            self.side,
            self.match_type,
            self.price,
            self.making,
            self.taking,
            self.fee,
        )


class Trade(_Event):
    """One taker match, i.e. one `matchOrders(taker, makers, taker_fill, [m.making for m in makers])` call.

    `taker_fill` is the taker's making (maker units of the taker order); `taker_taking` is all the taker
    receives (the exchange's whole balance of that asset, price improvement included) before `taker_fee`.
    A BUY taker is refunded `taker_fill` minus what the makers were paid."""

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
    __match_args__: ClassVar[tuple[str, ...]] = (
        "trade_id",
        "seq",
        "market",
        "taker_order_id",
        "taker",
        "token_id",
        "side",
        "taker_fill",
        "taker_taking",
        "taker_fee",
        "makers",
    )
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

    def __init__(
        self,
        trade_id: str,
        seq: Seq,
        market: MarketId,
        taker_order_id: OrderId,
        taker: Address,
        token_id: TokenId,
        side: Side,
        taker_fill: BaseUnits,
        taker_taking: BaseUnits,
        taker_fee: BaseUnits,
        makers: tuple[MakerFill, ...],
    ) -> None:
        object.__setattr__(self, "trade_id", trade_id)
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "taker_order_id", taker_order_id)
        object.__setattr__(self, "taker", taker)
        object.__setattr__(self, "token_id", token_id)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "taker_fill", taker_fill)
        object.__setattr__(self, "taker_taking", taker_taking)
        object.__setattr__(self, "taker_fee", taker_fee)
        object.__setattr__(self, "makers", makers)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.trade_id,
            self.seq,
            self.market,
            self.taker_order_id,
            self.taker,
            self.token_id,
            self.side,
            self.taker_fill,
            self.taker_taking,
            self.taker_fee,
            self.makers,
        )


class BookDelta(_Event):
    """The new total size (shares, base units) of one price level of one token's book; 0 removes the level."""

    __slots__ = ("market", "price", "side", "size", "token_id")
    __match_args__: ClassVar[tuple[str, ...]] = ("market", "token_id", "side", "price", "size")
    market: MarketId
    token_id: TokenId
    side: Side
    price: Pips
    size: BaseUnits

    def __init__(self, market: MarketId, token_id: TokenId, side: Side, price: Pips, size: BaseUnits) -> None:
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "token_id", token_id)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "size", size)

    def _values(self) -> tuple[Any, ...]:
        return (
            self.market,
            self.token_id,
            self.side,
            self.price,
            self.size,
        )


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

# -- construction -----------------------------------------------------------------------------------------------
#
# The engine builds its hot events through the functions below. Compiled (`scripts/build_engine.py`, mypyc), an
# event class is a native class and its constructor, whose `object.__setattr__` calls become plain stores, is the
# fastest way: the functions just call it. Run as Python source, `object.__setattr__` per field is slow, so the
# functions fill a "draft" instead: an instance of a plain class with the very same slots (the same memory layout)
# whose attribute stores are ordinary, then re-class it to the event type, which CPython allows between
# layout-identical classes. Either way the result is an ordinary instance of the event class (equal, hashable,
# immutable); tests compare both ways of building.


def _probe() -> None:
    """A function whose type tells whether this module runs compiled."""


PURE: Final = type(_probe).__name__ == "function"
"""True when the engine runs as Python source, False in the compiled build."""


def _draft_of(cls: Any) -> Any:
    """A plain class with the event's slots and ordinary attribute stores (Python source only)."""
    if not PURE:
        return None
    namespace = {
        "__slots__": cls.__dict__["__slots__"],
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    return type(f"_{cls.__name__}Draft", (_Event,), namespace)


_ACCEPTED: Final[Any] = _draft_of(OrderAccepted)
_REJECTED: Final[Any] = _draft_of(OrderRejected)
_DELTA: Final[Any] = _draft_of(BookDelta)
_UPDATED: Final[Any] = _draft_of(OrderUpdated)
_CANCELLED: Final[Any] = _draft_of(OrderCancelled)
_FILL: Final[Any] = _draft_of(MakerFill)
_TRADE: Final[Any] = _draft_of(Trade)
_BUY: Final = Side.BUY
_SELL: Final = Side.SELL


def order_accepted(order_id: OrderId, market: MarketId, owner: Address) -> OrderAccepted:
    if PURE:
        draft = _ACCEPTED()
        draft.order_id = order_id
        draft.market = market
        draft.owner = owner
        draft.__class__ = OrderAccepted
        return cast(OrderAccepted, draft)
    return OrderAccepted(order_id, market, owner)


def order_rejected(order_id: OrderId, reason: RejectReason) -> OrderRejected:
    if PURE:
        draft = _REJECTED()
        draft.order_id = order_id
        draft.reason = reason
        draft.__class__ = OrderRejected
        return cast(OrderRejected, draft)
    return OrderRejected(order_id, reason)


def book_delta(market: MarketId, token_id: TokenId, side: Side, price: int, size: int) -> BookDelta:
    if PURE:
        draft = _DELTA()
        draft.market = market
        draft.token_id = token_id
        draft.side = side
        draft.price = price
        draft.size = size
        draft.__class__ = BookDelta
        return cast(BookDelta, draft)
    return BookDelta(market, token_id, side, Pips(price), BaseUnits(size))


def book_delta_pair(
    out: list[Event], market: MarketId, yes_token: TokenId, no_token: TokenId, is_bid: bool, price: int, size: int
) -> None:
    """Append the two views of one YES-price level: the YES book's and the mirrored NO book's."""
    if PURE:  # both drafts here: one call instead of three
        yes = _DELTA()
        yes.market = market
        yes.token_id = yes_token
        yes.price = price
        yes.size = size
        no = _DELTA()
        no.market = market
        no.token_id = no_token
        no.price = 10_000 - price
        no.size = size
        if is_bid:
            yes.side = _BUY
            no.side = _SELL
        else:
            yes.side = _SELL
            no.side = _BUY
        yes.__class__ = no.__class__ = BookDelta
        out.append(yes)
        out.append(no)
        return
    if is_bid:
        out.append(book_delta(market, yes_token, _BUY, price, size))
        out.append(book_delta(market, no_token, _SELL, 10_000 - price, size))
    else:
        out.append(book_delta(market, yes_token, _SELL, price, size))
        out.append(book_delta(market, no_token, _BUY, 10_000 - price, size))


def order_updated(
    order_id: OrderId, market: MarketId, owner: Address, remaining: int, status: OrderStatus
) -> OrderUpdated:
    if PURE:
        draft = _UPDATED()
        draft.order_id = order_id
        draft.market = market
        draft.owner = owner
        draft.remaining = remaining
        draft.status = status
        draft.__class__ = OrderUpdated
        return cast(OrderUpdated, draft)
    return OrderUpdated(order_id, market, owner, BaseUnits(remaining), status)


def order_cancelled(
    order_id: OrderId, market: MarketId, owner: Address, reason: CancelReason, remaining: int
) -> OrderCancelled:
    if PURE:
        draft = _CANCELLED()
        draft.order_id = order_id
        draft.market = market
        draft.owner = owner
        draft.reason = reason
        draft.remaining = remaining
        draft.__class__ = OrderCancelled
        return cast(OrderCancelled, draft)
    return OrderCancelled(order_id, market, owner, reason, BaseUnits(remaining))


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
    if PURE:
        draft = _FILL()
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
        return cast(MakerFill, draft)
    return MakerFill(
        order_id, maker, token_id, side, match_type, Pips(price), BaseUnits(making), BaseUnits(taking), BaseUnits(fee)
    )


def trade(
    trade_id: str,
    seq: int,
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
    if PURE:
        draft = _TRADE()
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
        return cast(Trade, draft)
    return Trade(
        trade_id,
        Seq(seq),
        market,
        taker_order_id,
        taker,
        token_id,
        side,
        BaseUnits(taker_fill),
        BaseUnits(taker_taking),
        BaseUnits(taker_fee),
        makers,
    )
