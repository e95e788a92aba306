"""Events: the only outputs of the engine, in the order they happened within a command.

A `PlaceOrder` that trades yields, in order: `OrderAccepted`; `OrderCancelled` for resting orders removed on the
way (self-trade, expired); one `Trade` carrying every maker fill; `OrderUpdated` per maker touched; the taker's
own outcome (`OrderUpdated`, or `OrderCancelled` with FAK_REMAINDER); then `BookDelta`s, two per changed price
level (the level as seen from the YES book and from the NO book).

Amounts are in base units, prices in pips of the order's own token. Fill amounts are in the contract's terms:
`making` is what the order gives (its maker asset), `taking` what it receives before the fee, `fee` what the
exchange keeps of `taking`.

Events are frozen, slotted dataclasses: compared and hashed by their fields, writes raise `FrozenInstanceError`.
The compiled build (mypyc, `scripts/build_engine.py`) makes each a native class but leaves the methods that
`dataclass` generates interpreted. The events the engine builds on every order therefore write their own
`__init__`, which mypyc compiles (its `object.__setattr__` calls become plain stores); the rare ones keep the
generated one. Pickling and copying go through the constructor (`_Value.__reduce__`), in both builds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Final

from clob.engine.types import (
    PRICE_SCALE,
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


class _Value:
    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and copy by the constructor (a compiled frozen instance cannot be restored slot by slot)."""
        return type(self), tuple(getattr(self, field.name) for field in fields(self))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class MarketCreated(_Value):
    market: MarketId
    yes_token: TokenId
    no_token: TokenId
    tick_decimals: int
    min_size: BaseUnits
    fee_rate_bps: int


@dataclass(frozen=True, slots=True)
class MarketStatusChanged(_Value):
    market: MarketId
    status: MarketStatus


@dataclass(frozen=True, slots=True)
class TickSizeChanged(_Value):
    market: MarketId
    old_tick_decimals: int
    new_tick_decimals: int


@dataclass(frozen=True, slots=True)
class CommandRejected(_Value):
    """A market or admin command that changed nothing."""

    seq: Seq
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class CancelRejected(_Value):
    order_id: OrderId
    reason: RejectReason


@dataclass(frozen=True, slots=True, init=False)
class OrderAccepted(_Value):
    order_id: OrderId
    market: MarketId
    owner: Address

    def __init__(self, order_id: OrderId, market: MarketId, owner: Address) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "owner", owner)


@dataclass(frozen=True, slots=True, init=False)
class OrderRejected(_Value):
    """A `PlaceOrder` that changed nothing (FOK/FAK that could not trade included)."""

    order_id: OrderId
    reason: RejectReason

    def __init__(self, order_id: OrderId, reason: RejectReason) -> None:
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "reason", reason)


@dataclass(frozen=True, slots=True, init=False)
class OrderCancelled(_Value):
    """The order is gone; `remaining` (maker units) was never filled."""

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


@dataclass(frozen=True, slots=True, init=False)
class OrderUpdated(_Value):
    """After fills: `remaining` in maker units, as the contract tracks it. MATCHED means the order is done; its
    remaining, if not zero, is dust smaller than one exact fill (see `clob.engine.matching`)."""

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


@dataclass(frozen=True, slots=True, init=False)
class MakerFill(_Value):
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


@dataclass(frozen=True, slots=True, init=False)
class Trade(_Value):
    """One taker match, i.e. one `matchOrders(taker, makers, taker_fill, [m.making for m in makers])` call.

    `taker_fill` is the taker's making (maker units of the taker order); `taker_taking` is all the taker
    receives (the exchange's whole balance of that asset, price improvement included) before `taker_fee`.
    A BUY taker is refunded `taker_fill` minus what the makers were paid."""

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


@dataclass(frozen=True, slots=True, init=False)
class BookDelta(_Value):
    """The new total size (shares, base units) of one price level of one token's book; 0 removes the level."""

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


_BUY: Final = Side.BUY
_SELL: Final = Side.SELL


def book_delta_pair(
    out: list[Event], market: MarketId, yes_token: TokenId, no_token: TokenId, is_bid: bool, price: int, size: int
) -> None:
    """Append the two views of one YES-price level: the YES book's and the mirrored NO book's."""
    yes_side, no_side = (_BUY, _SELL) if is_bid else (_SELL, _BUY)
    out.append(BookDelta(market, yes_token, yes_side, Pips(price), BaseUnits(size)))
    out.append(BookDelta(market, no_token, no_side, Pips(PRICE_SCALE - price), BaseUnits(size)))


def _probe() -> None:
    """A function whose type tells whether this module runs compiled."""


PURE: Final = type(_probe).__name__ == "function"
"""True when the engine runs as Python source, False in the compiled build."""
