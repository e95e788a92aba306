"""`check_invariants`: a full consistency check of the engine state (exchange-core's `validateInternalState`).

Meant for tests, run after every command; it walks everything, so it is O(state).
"""

from __future__ import annotations

from collections.abc import Mapping

from clob.engine.book import NO_ASK, NO_BID, Level, Market, Order, Position, available
from clob.engine.engine import Engine
from clob.engine.pricing import IS_BID
from clob.engine.state import EngineState
from clob.engine.types import GTD_SAFETY_MARGIN_S, PRICE_SCALE, InvariantError, MarketStatus, OrderId


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantError(message)


def check_invariants(engine: Engine, arrival: Mapping[OrderId, int] | None = None) -> None:
    """Raise `InvariantError` unless the state is consistent.

    Checked per market: sorted price keys and best prices agree with the level dicts; the book is not crossed at
    rest (so neither token's book is); every level is non-empty, on the market's tick, with a consistent FIFO
    list, a count and a size equal to the sum of its orders' available shares, each positive, and only orders of
    kinds that belong to its side. Across the engine: the order index, the positions (lists, counts, reserved
    amounts) and the owner lists match the orders on the books, and every expiring order is in the expiry heap.
    With `arrival` (order id -> sequence number at which it was put on the book) FIFO order is checked too.
    """
    state = engine.state
    seen: list[Order] = []
    for market_id, market in state.markets.items():
        _require(market.market_id == market_id, f"market {market_id} indexed under the wrong id")
        _require(state.tokens.get(market.yes_token) == (market, 0), f"{market_id}: YES token not indexed")
        _require(state.tokens.get(market.no_token) == (market, 1), f"{market_id}: NO token not indexed")
        _check_sides(market)
        for levels in (market.bids, market.asks):
            for level in levels.values():
                seen.extend(_check_level(state, market, level, arrival))
        if market.status == MarketStatus.RESOLVED:
            _require(not market.bids and not market.asks, f"{market_id}: resolved market has orders")
    _require(len(seen) == len(state.orders), "order index holds orders that are on no book")
    _check_positions(state)
    pending = set(state.expiries)
    for order in seen:
        if order.expiration:
            entry = (order.expiration - GTD_SAFETY_MARGIN_S, order.order_id)
            _require(entry in pending, f"{order.order_id}: expiring order missing from the expiry heap")


def _check_sides(market: Market) -> None:
    name = market.market_id
    _require(market.bid_keys == sorted(market.bids), f"{name}: bid keys out of sync")
    _require(market.ask_keys == sorted(-p for p in market.asks), f"{name}: ask keys out of sync")
    best_bid = market.bid_keys[-1] if market.bid_keys else NO_BID
    best_ask = -market.ask_keys[-1] if market.ask_keys else NO_ASK
    _require(market.best_bid == best_bid, f"{name}: best bid {market.best_bid} != {best_bid}")
    _require(market.best_ask == best_ask, f"{name}: best ask {market.best_ask} != {best_ask}")
    _require(best_bid < best_ask, f"{name}: crossed book at rest, bid {best_bid} >= ask {best_ask}")
    # The NO book mirrors it: its best bid is 1 - best YES ask, its best ask 1 - best YES bid.
    _require(PRICE_SCALE - best_ask < PRICE_SCALE - best_bid, f"{name}: crossed NO book at rest")


def _check_level(
    state: EngineState, market: Market, level: Level, arrival: Mapping[OrderId, int] | None
) -> list[Order]:
    where = f"{market.market_id} {'bid' if level.is_bid else 'ask'} {level.price}"
    side = market.bids if level.is_bid else market.asks
    _require(side.get(level.price) is level and level.market is market, f"{where}: level misfiled")
    _require(0 < level.price < PRICE_SCALE and level.price % market.tick == 0, f"{where}: price off tick")
    orders: list[Order] = []
    prev: Order | None = None
    order = level.head
    while order is not None:
        _require(order.prev is prev and order.level is level, f"{where}: broken FIFO links")
        orders.append(order)
        prev, order = order, order.next
    _require(level.tail is prev, f"{where}: tail is not the last order")
    _require(bool(orders), f"{where}: empty level kept")
    size = 0
    for order in orders:
        kind = order.pos.kind
        _require(IS_BID[kind] == level.is_bid, f"{order.order_id}: kind {kind} on the wrong side")
        _require(order.pos.market is market, f"{order.order_id}: position of another market")
        _require(state.orders.get(order.order_id) is order, f"{order.order_id}: not in the order index")
        shares = available(kind, level.price, order.remaining)
        _require(shares > 0, f"{order.order_id}: resting with nothing to trade (remaining {order.remaining})")
        size += shares
    _require(level.size == size, f"{where}: size {level.size} != sum of orders {size}")
    if arrival is not None:
        stamps = [arrival[o.order_id] for o in orders]
        _require(stamps == sorted(stamps), f"{where}: FIFO order broken {stamps}")
    return orders


def _check_positions(state: EngineState) -> None:
    total = 0
    listed = 0
    for market in state.markets.values():
        for owner, account in market.accounts.items():
            _require(any(account), f"{market.market_id}: empty account of {owner} kept")
            for kind, pos in enumerate(account):
                if pos is not None:
                    total += _check_position(state, market, owner, kind, pos)
                    listed += 1
    _require(total == len(state.orders), "positions do not cover the order index")
    owned = sum(len(positions) for positions in state.owners.values())
    _require(owned == listed, f"owner lists hold {owned} positions, markets {listed}")


def _check_position(state: EngineState, market: Market, owner: str, kind: int, pos: Position) -> int:
    where = f"position {owner}/{market.market_id}/{kind}"
    _require(pos.owner == owner and pos.market is market and pos.kind == kind, f"{where}: misfiled")
    _require(any(p is pos for p in state.owners.get(pos.owner, [])), f"{where}: missing from its owner's list")
    remaining = 0
    count = 0
    for order in pos.orders:
        _require(order.pos is pos, f"{where}: lists an order of another position")
        _require(state.orders.get(order.order_id) is order, f"{order.order_id}: not in the order index")
        remaining += order.remaining
        count += 1
    _require(len({id(order) for order in pos.orders}) == count, f"{where}: an order listed twice")
    _require(count > 0, f"{where}: empty position kept")
    _require(pos.reserved == remaining, f"{where}: reserved {pos.reserved} != {remaining}")
    return count
