"""The engine's whole state, shared by the command handlers, the queries, the state hash and the invariants."""

from __future__ import annotations

from heapq import heappush

from clob.engine.book import Level, Market, Order, Position, available
from clob.engine.events import Event, OrderCancelled, book_delta_pair
from clob.engine.pricing import IS_BID
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    Address,
    BaseUnits,
    CancelReason,
    MarketId,
    OrderId,
    TokenId,
)


class EngineState:
    __slots__ = ("expiries", "last_seq", "markets", "orders", "owners", "tokens")

    def __init__(self) -> None:
        self.markets: dict[MarketId, Market] = {}
        self.tokens: dict[TokenId, tuple[Market, int]] = {}
        """token id -> (its market, its outcome index: 0 YES, 1 NO)"""
        self.orders: dict[OrderId, Order] = {}
        """every resting order by id"""
        self.owners: dict[Address, list[Position]] = {}
        """each owner's positions across markets, in creation order"""
        self.expiries: list[tuple[int, OrderId]] = []
        """heap of (first second the order counts as expired, order id); entries of gone orders are skipped"""
        self.last_seq = -1

    def position(self, owner: Address, market: Market, kind: int) -> Position:
        """The owner's position of `kind` in `market`, created if missing."""
        account = market.accounts.get(owner)
        if account is None:
            account = market.accounts[owner] = [None, None, None, None]
        pos = account[kind]
        if pos is None:
            pos = account[kind] = Position(owner, market, kind)
            owned = self.owners.get(owner)
            if owned is None:
                self.owners[owner] = [pos]
            else:
                owned.append(pos)
        return pos

    def rest(
        self,
        market: Market,
        owner: Address,
        order_id: OrderId,
        kind: int,
        price: int,
        remaining: int,
        expiration: int,
        shares: int,
    ) -> Level:
        """Put a new order on the book: at the back of its level (created if needed) and of its position, in the
        order index and, if it expires, in the expiry heap. Returns its level."""
        account = market.accounts.get(owner)
        pos = None if account is None else account[kind]
        if pos is None:
            pos = self.position(owner, market, kind)
        is_bid = IS_BID[kind]
        level = (market.bids if is_bid else market.asks).get(price)
        if level is None:
            level = market.level_for(price, is_bid)
        order = Order()
        order.order_id = order_id
        order.pos = pos
        order.remaining = remaining
        order.expiration = expiration
        order.level = level
        order.next = None
        tail = level.tail
        order.prev = tail
        if tail is None:
            level.head = order
        else:
            tail.next = order
        level.tail = order
        level.size += shares
        pos.orders.append(order)
        pos.reserved += remaining
        self.orders[order_id] = order
        if expiration:
            heappush(self.expiries, (expiration - GTD_SAFETY_MARGIN_S, order_id))
        return level

    def remove(self, order: Order, shares: int) -> None:
        """Take a resting order off the book and out of every index; `shares` is what it still adds to its level
        (`available(...)`, 0 once filled)."""
        level = order.level
        prev, nxt = order.prev, order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        level.size -= shares
        pos = order.pos
        market = pos.market
        if level.head is None:
            market.drop_level(level)
        owned = pos.orders
        i = 0
        while owned[i] is not order:  # by identity: compares pointers, never touches the other orders
            i += 1
        del owned[i]
        pos.reserved -= order.remaining
        del self.orders[order.order_id]
        if not owned:
            self.drop_position(pos)

    def drop_position(self, pos: Position) -> None:
        """Forget a position that has no resting order left."""
        market = pos.market
        account = market.accounts[pos.owner]
        account[pos.kind] = None
        if account == [None, None, None, None]:
            del market.accounts[pos.owner]
        owned = self.owners[pos.owner]
        owned.remove(pos)
        if not owned:
            del self.owners[pos.owner]

    def cancel(self, order: Order, reason: CancelReason, out: list[Event]) -> Level:
        """Remove a resting order and report it cancelled; returns the level it left."""
        pos = order.pos
        level = order.level
        remaining = order.remaining
        self.remove(order, available(pos.kind, level.price, remaining))
        out.append(OrderCancelled(order.order_id, pos.market.market_id, pos.owner, reason, BaseUnits(remaining)))
        return level


def touch(level: Level, seq: int, touched: list[Level]) -> None:
    """Remember that `level` changed during command `seq` (once)."""
    if level.stamp != seq:
        level.stamp = seq
        touched.append(level)


def level_deltas(level: Level, out: list[Event]) -> None:
    """Append the two `BookDelta`s of a level: its YES view and its mirrored NO view."""
    market = level.market
    book_delta_pair(out, market.market_id, market.yes_token, market.no_token, level.is_bid, level.price, level.size)
