"""Market lifecycle and cancellation commands.

- Halt keeps resting orders (they can still be cancelled) and refuses new ones; resume reopens. Resolve is final:
  every resting order is cancelled with reason MARKET_RESOLVED and the market refuses orders for good.
- Tick size: only a finer tick is accepted (as on Polymarket, which refines the tick near 0 and 1). Prices are
  kept in pips, so every resting price stays on the new tick and nothing moves; a coarser tick would strand
  resting orders off-tick, so it is refused (TICK_SIZE_NOT_FINER).
- Cancels remove resting orders in a deterministic order: by owner position (creation order) and then arrival
  for `CancelAll`, price-time order for market-wide cancels, expiry then order id for the GTD sweep.
"""

from __future__ import annotations

from heapq import heappop
from typing import Final

from clob.engine.book import Level, Market, Order
from clob.engine.commands import (
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    ChangeTickSize,
    CreateMarket,
    ExpireOrders,
    HaltMarket,
    ResolveMarket,
    ResumeMarket,
)
from clob.engine.events import (
    CancelRejected,
    CommandRejected,
    Event,
    MarketCreated,
    MarketStatusChanged,
    TickSizeChanged,
)
from clob.engine.state import EngineState, level_deltas, touch
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    MAX_FEE_RATE_BPS,
    TICK_DECIMALS,
    CancelReason,
    MarketId,
    MarketStatus,
    RejectReason,
    Seq,
)

_USER: Final = CancelReason.USER


def create_market(state: EngineState, cmd: CreateMarket, out: list[Event]) -> None:
    if cmd.market in state.markets:
        out.append(CommandRejected(cmd.seq, RejectReason.DUPLICATE_MARKET))
        return
    if (
        cmd.tick_decimals not in TICK_DECIMALS
        or cmd.yes_token == cmd.no_token
        or cmd.yes_token in state.tokens
        or cmd.no_token in state.tokens
        or cmd.min_size < 0
        or not 0 <= cmd.fee_rate_bps <= MAX_FEE_RATE_BPS
    ):
        out.append(CommandRejected(cmd.seq, RejectReason.INVALID_MARKET_PARAMS))
        return
    market = Market(cmd.market, cmd.yes_token, cmd.no_token, cmd.tick_decimals, cmd.min_size, cmd.fee_rate_bps)
    state.markets[cmd.market] = market
    state.tokens[cmd.yes_token] = (market, 0)
    state.tokens[cmd.no_token] = (market, 1)
    out.append(
        MarketCreated(cmd.market, cmd.yes_token, cmd.no_token, cmd.tick_decimals, cmd.min_size, cmd.fee_rate_bps)
    )
    out.append(MarketStatusChanged(cmd.market, MarketStatus.OPEN))


def _market(state: EngineState, seq: Seq, market_id: MarketId, out: list[Event]) -> Market | None:
    market = state.markets.get(market_id)
    if market is None:
        out.append(CommandRejected(seq, RejectReason.UNKNOWN_MARKET))
    return market


def halt_market(state: EngineState, cmd: HaltMarket, out: list[Event]) -> None:
    _set_status(state, cmd.seq, cmd.market, MarketStatus.HALTED, out)


def resume_market(state: EngineState, cmd: ResumeMarket, out: list[Event]) -> None:
    _set_status(state, cmd.seq, cmd.market, MarketStatus.OPEN, out)


def _set_status(state: EngineState, seq: Seq, market_id: MarketId, status: MarketStatus, out: list[Event]) -> None:
    market = _market(state, seq, market_id, out)
    if market is None:
        return
    if market.status == MarketStatus.RESOLVED:
        out.append(CommandRejected(seq, RejectReason.MARKET_RESOLVED))
        return
    if market.status != status:
        market.status = status
        out.append(MarketStatusChanged(market.market_id, status))


def resolve_market(state: EngineState, cmd: ResolveMarket, out: list[Event]) -> None:
    market = _market(state, cmd.seq, cmd.market, out)
    if market is None:
        return
    if market.status == MarketStatus.RESOLVED:
        out.append(CommandRejected(cmd.seq, RejectReason.MARKET_RESOLVED))
        return
    market.status = MarketStatus.RESOLVED
    out.append(MarketStatusChanged(market.market_id, MarketStatus.RESOLVED))
    _cancel_each(state, cmd.seq, market_orders(market, None), CancelReason.MARKET_RESOLVED, out)


def change_tick_size(state: EngineState, cmd: ChangeTickSize, out: list[Event]) -> None:
    market = _market(state, cmd.seq, cmd.market, out)
    if market is None:
        return
    if cmd.tick_decimals not in TICK_DECIMALS or cmd.tick_decimals <= market.tick_decimals:
        out.append(CommandRejected(cmd.seq, RejectReason.TICK_SIZE_NOT_FINER))
        return
    old = market.tick_decimals
    market.tick_decimals = cmd.tick_decimals
    market.tick = 10 ** (4 - cmd.tick_decimals)
    out.append(TickSizeChanged(market.market_id, old, cmd.tick_decimals))


def cancel_order(state: EngineState, cmd: CancelOrder, out: list[Event]) -> None:
    order_id = cmd.order_id
    order = state.orders.get(order_id)
    if order is None:
        out.append(CancelRejected(order_id, RejectReason.ORDER_NOT_FOUND))
        return
    pos = order.pos
    owner = pos.owner
    if cmd.owner is not None and owner != cmd.owner:
        out.append(CancelRejected(order_id, RejectReason.NOT_OWNER))
        return
    level_deltas(state.cancel(order, _USER, out), out)


def cancel_all(state: EngineState, cmd: CancelAll, out: list[Event]) -> None:
    doomed: list[Order] = []
    for pos in state.owners.get(cmd.owner, ()):
        market = pos.market
        if cmd.market is not None and market.market_id != cmd.market:
            continue
        if cmd.token_id is not None and market.token(pos.kind >> 1) != cmd.token_id:
            continue
        doomed.extend(pos.orders)
    _cancel_each(state, cmd.seq, doomed, CancelReason.USER, out)


def cancel_market_orders(state: EngineState, cmd: CancelMarketOrders, out: list[Event]) -> None:
    market = _market(state, cmd.seq, cmd.market, out)
    if market is None:
        return
    token_index = None
    if cmd.token_id is not None:
        entry = state.tokens.get(cmd.token_id)
        if entry is None or entry[0] is not market:
            out.append(CommandRejected(cmd.seq, RejectReason.UNKNOWN_TOKEN))
            return
        token_index = entry[1]
    _cancel_each(state, cmd.seq, market_orders(market, token_index), CancelReason.ADMIN, out)


def expire_orders(state: EngineState, cmd: ExpireOrders, out: list[Event]) -> None:
    """Cancel every order whose expiration, less the safety margin, is at or before `now`.

    Heap entries of orders that are gone are skipped. An order id placed again after it was cancelled may have two
    equal entries; they pop one after the other, and the second is skipped too.
    """
    heap = state.expiries
    doomed: list[Order] = []
    while heap and heap[0][0] <= cmd.now:
        expires_at, order_id = heappop(heap)
        order = state.orders.get(order_id)
        if (
            order is not None
            and order.expiration - GTD_SAFETY_MARGIN_S == expires_at
            and (not doomed or doomed[-1] is not order)
        ):
            doomed.append(order)
    _cancel_each(state, cmd.seq, doomed, CancelReason.EXPIRED, out)


def next_expiry(state: EngineState) -> int | None:
    """The first second at which a resting order counts as expired (what an `ExpireOrders` at that `now` would
    cancel), or None when no resting order expires. Entries of orders that are gone are dropped from the top of the
    heap on the way: the heap is derived data (not in the state hash or a snapshot) and `expire_orders` skips
    them anyway, so this changes no decision."""
    heap = state.expiries
    orders = state.orders
    while heap:
        expires_at, order_id = heap[0]
        order = orders.get(order_id)
        if order is not None and order.expiration - GTD_SAFETY_MARGIN_S == expires_at:
            return expires_at
        heappop(heap)
    return None


def market_orders(market: Market, token_index: int | None) -> list[Order]:
    """Resting orders of a market (of one outcome only, if given), bids then asks, each best price first."""
    found: list[Order] = []
    for levels, keys, sign in ((market.bids, market.bid_keys, 1), (market.asks, market.ask_keys, -1)):
        for key in reversed(keys):
            order = levels[sign * key].head
            while order is not None:
                if token_index is None or order.pos.kind >> 1 == token_index:
                    found.append(order)
                order = order.next
    return found


def _cancel_each(state: EngineState, seq: int, orders: list[Order], reason: CancelReason, out: list[Event]) -> None:
    touched: list[Level] = []
    for order in orders:
        touch(state.cancel(order, reason, out), seq, touched)
    for level in touched:
        level_deltas(level, out)
