"""`Engine`: the matching engine as a pure state machine over many binary markets.

``events = engine.apply(command)``: one command in, its events out, nothing else. No clock (time comes in the
command), no I/O, integers only; applying the same commands to a fresh engine gives the same events and the same
`state_hash`. A command whose `seq` is not above the last one applied is refused (STALE_SEQ) and changes
nothing; every other command advances `last_seq`, rejected or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clob.engine import admin
from clob.engine.commands import (
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    ChangeTickSize,
    Command,
    CreateMarket,
    ExpireOrders,
    HaltMarket,
    PlaceOrder,
    ResolveMarket,
    ResumeMarket,
)
from clob.engine.events import CommandRejected, Event
from clob.engine.hashing import state_hash
from clob.engine.placement import place
from clob.engine.snapshot import MAX_BYTES, dump, load
from clob.engine.state import EngineState
from clob.engine.types import Address, EngineError, MarketId, OrderId, Pips, RejectReason, TokenId
from clob.engine.views import (
    MarketInfo,
    OrderView,
    Reserved,
    TokenBook,
    best_bid_ask,
    market_info,
    orders_of,
    reserved,
    token_book,
    view_order,
)

_Handler = Callable[[EngineState, Any, list[Event]], None]

_HANDLERS: dict[type, _Handler] = {
    PlaceOrder: place,
    CancelOrder: admin.cancel_order,
    CancelAll: admin.cancel_all,
    CancelMarketOrders: admin.cancel_market_orders,
    CreateMarket: admin.create_market,
    HaltMarket: admin.halt_market,
    ResumeMarket: admin.resume_market,
    ResolveMarket: admin.resolve_market,
    ChangeTickSize: admin.change_tick_size,
    ExpireOrders: admin.expire_orders,
}


class Engine:
    """Many binary markets, one unified book each. See `clob.engine` for the rules."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = EngineState()

    def apply(self, command: Command) -> list[Event]:
        """Apply one command; return its events in order."""
        state = self.state
        out: list[Event] = []
        seq = command.seq
        if seq <= state.last_seq:
            out.append(CommandRejected(seq, RejectReason.STALE_SEQ))
            return out
        kind = type(command)
        if kind is PlaceOrder:  # the hot paths skip the table
            state.last_seq = seq
            place(state, command, out)  # type: ignore[arg-type]
            return out
        if kind is CancelOrder:
            state.last_seq = seq
            admin.cancel_order(state, command, out)  # type: ignore[arg-type]
            return out
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise EngineError(f"not an engine command: {command!r}")
        state.last_seq = seq
        handler(state, command, out)
        return out

    def snapshot(self, *, compress: bool = True) -> bytes:
        """The whole state as compact, versioned, deterministic bytes (no pickle); see `clob.engine.snapshot`."""
        return dump(self.state, compress=compress)

    @classmethod
    def restore(cls, data: bytes | bytearray | memoryview, *, max_bytes: int = MAX_BYTES) -> Engine:
        """An engine in the state `snapshot` saved: same `state_hash`, same events for any further commands.
        Raises `SnapshotError` (an `EngineError`) for anything that is not a valid snapshot, or one that would
        inflate to more than `max_bytes`."""
        engine = cls()
        engine.state = load(data, max_bytes=max_bytes)
        return engine

    @property
    def last_seq(self) -> int:
        return self.state.last_seq

    def state_hash(self) -> str:
        """SHA-256 (hex) of a canonical serialization of the whole state."""
        return state_hash(self.state)

    def market(self, market_id: MarketId) -> MarketInfo | None:
        return market_info(self.state, market_id)

    def markets(self) -> list[MarketInfo]:
        return [info for m in sorted(self.state.markets) if (info := market_info(self.state, m)) is not None]

    def order(self, order_id: OrderId) -> OrderView | None:
        order = self.state.orders.get(order_id)
        return None if order is None else view_order(order)

    def orders_by_owner(
        self, owner: Address, market: MarketId | None = None, token_id: TokenId | None = None
    ) -> list[OrderView]:
        return orders_of(self.state, owner, market, token_id)

    def book(self, token_id: TokenId, depth: int | None = None) -> TokenBook | None:
        """The per-token book (levels best first) of a YES or NO token."""
        return token_book(self.state, token_id, depth)

    def best_bid_ask(self, token_id: TokenId) -> tuple[Pips | None, Pips | None]:
        return best_bid_ask(self.state, token_id)

    def reserved(self, owner: Address) -> Reserved:
        """Collateral locked by the owner's resting BUYs and shares per token locked by its resting SELLs."""
        return reserved(self.state, owner)

    def resting_count(self) -> int:
        return len(self.state.orders)

    def next_expiry(self) -> int | None:
        """The earliest `now` at which an `ExpireOrders` would cancel something (a resting GTD order's expiration
        less the safety margin), or None: when the GTD sweep is next due."""
        return admin.next_expiry(self.state)
