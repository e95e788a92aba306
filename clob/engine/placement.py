"""`PlaceOrder`: validation (the book's rules), then rest, match, or both.

Validation, in order (first failure wins):

1. the token belongs to an OPEN market; the order id is not resting already (ids of finished orders are the
   order store's to refuse: the engine keeps no history);
2. amounts in (0, `MAX_AMOUNT`]; `fee_rate_bps` equal to the market's;
3. a known order type; expiration: GTD needs one, other types none, and an order expired at `now` (with the
   60 s safety margin) is refused; post-only only with GTC/GTD;
4. price strictly between 0 and 1;
5. precision, per Polymarket's rounding table: a limit order (GTC/GTD) has a size (shares) in 0.01 share and a
   price (USDC/shares) exactly on the market's tick, which makes the USDC side have the tick's amount decimals
   (3/4/5/6 for ticks 0.1/0.01/0.001/0.0001); a FOK/FAK order either follows the limit rules or the market-order
   rule (maker amount in 0.01, taker amount in 0.0001), in which case its price may be off-tick;
6. size (shares) at least the market's minimum.

A limit order that does not cross rests at its price. One that crosses trades as far as it can (`matching`),
then rests the remainder (GTC/GTD), cancels it (FAK), or, for a FOK that cannot fill completely, nothing
happens at all. A post-only order that would cross is rejected.
"""

from __future__ import annotations

from heapq import heappush

from clob.engine.book import Level, Market, Order, available
from clob.engine.commands import PlaceOrder
from clob.engine.events import (
    AcceptedDraft,
    BookDelta,
    DeltaDraft,
    Event,
    OrderAccepted,
    OrderRejected,
    Trade,
    TradeDraft,
    order_accepted,
    order_cancelled,
    order_updated,
)
from clob.engine.matching import Plan, buy_taker_fill, execute_fills, plan_match
from clob.engine.pricing import IS_BID, taker_fee, yes_bound
from clob.engine.state import EngineState, touch
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    MARKET_MAKER_STEP,
    MARKET_TAKER_STEP,
    MAX_AMOUNT,
    PRICE_SCALE,
    SHARE_STEP,
    CancelReason,
    MarketStatus,
    OrderStatus,
    OrderType,
    RejectReason,
    Side,
)

_OPEN = MarketStatus.OPEN
_GTC_TYPE, _GTD_TYPE, _FOK_TYPE, _FAK_TYPE = OrderType.GTC, OrderType.GTD, OrderType.FOK, OrderType.FAK
_GTC, _GTD, _FOK, _FAK = 0, 1, 2, 3  # time in force as small ints; < 2 may rest
_BUY, _SELL = Side.BUY, Side.SELL
_LIVE, _MATCHED = OrderStatus.LIVE, OrderStatus.MATCHED
_FAK_REMAINDER = CancelReason.FAK_REMAINDER
_NOT_FILLED = (RejectReason.FOK_NOT_FILLED, RejectReason.FAK_NO_MATCH)


def place(state: EngineState, cmd: PlaceOrder, out: list[Event]) -> None:
    order_id = cmd.order_id
    # -- validation, first failure wins (see the module docstring) --
    entry = state.tokens.get(cmd.token_id)
    if entry is None:
        out.append(OrderRejected(order_id, RejectReason.UNKNOWN_TOKEN))
        return
    market, index = entry
    if market.status is not _OPEN:
        out.append(OrderRejected(order_id, RejectReason.MARKET_NOT_OPEN))
        return
    if order_id in state.orders:
        out.append(OrderRejected(order_id, RejectReason.DUPLICATE_ORDER))
        return
    maker_amount = cmd.maker_amount
    taker_amount = cmd.taker_amount
    if not 0 < maker_amount <= MAX_AMOUNT >= taker_amount > 0:  # both in (0, MAX_AMOUNT]
        out.append(OrderRejected(order_id, RejectReason.INVALID_AMOUNT))
        return
    if cmd.fee_rate_bps != market.fee_rate_bps:
        out.append(OrderRejected(order_id, RejectReason.INVALID_FEE_RATE))
        return
    order_type = cmd.order_type  # compared, not hashed: hashing a StrEnum member is slow
    if order_type == _GTC_TYPE:
        tif = _GTC
    elif order_type == _GTD_TYPE:
        tif = _GTD
    elif order_type == _FOK_TYPE:
        tif = _FOK
    elif order_type == _FAK_TYPE:
        tif = _FAK
    else:
        out.append(OrderRejected(order_id, RejectReason.INVALID_ORDER_TYPE))
        return
    resting = tif < 2
    expiration = cmd.expiration
    if (tif == _GTD) != (expiration != 0) or (expiration and cmd.now >= expiration - GTD_SAFETY_MARGIN_S):
        out.append(OrderRejected(order_id, RejectReason.INVALID_EXPIRATION))
        return
    if cmd.post_only and not resting:
        out.append(OrderRejected(order_id, RejectReason.INVALID_POST_ONLY))
        return
    sell = cmd.side
    if sell:
        shares, usdc = maker_amount, taker_amount
    else:
        usdc, shares = maker_amount, taker_amount
    if usdc >= shares:
        out.append(OrderRejected(order_id, RejectReason.INVALID_PRICE))
        return
    scaled = usdc * PRICE_SCALE
    price = scaled // shares  # the order's own price in pips, if exact
    on_tick = price * shares == scaled and price % market.tick == 0
    limit_ok = on_tick and shares % SHARE_STEP == 0  # the limit-order rule
    if resting:
        if not limit_ok:
            reason = RejectReason.INVALID_PRECISION if shares % SHARE_STEP else RejectReason.INVALID_TICK
            out.append(OrderRejected(order_id, reason))
            return
    elif not limit_ok and (maker_amount % MARKET_MAKER_STEP or taker_amount % MARKET_TAKER_STEP):
        out.append(OrderRejected(order_id, RejectReason.INVALID_PRECISION))
        return
    if shares < market.min_size:
        out.append(OrderRejected(order_id, RejectReason.BELOW_MIN_SIZE))
        return
    # -- rest, or match --
    owner = cmd.maker
    kind = index * 2 + sell
    # On tick: exactly the order's YES price; off tick (a market order): the YES-price bound of its ratio.
    bound = (price if index == 0 else PRICE_SCALE - price) if on_tick else yes_bound(kind, maker_amount, taker_amount)
    is_bid = IS_BID[kind]
    if market.best_ask <= bound if is_bid else market.best_bid >= bound:
        if cmd.post_only:
            out.append(OrderRejected(order_id, RejectReason.POST_ONLY_WOULD_CROSS))
            return
        plan = plan_match(market, kind, bound, owner, cmd.now, maker_amount, taker_amount)
        if not resting and (not plan.fills or (tif == _FOK and not plan.done)):
            out.append(OrderRejected(order_id, _NOT_FILLED[tif - 2]))
            return
        _match(state, market, cmd, kind, bound, plan, resting, out)
        return
    if not resting:
        out.append(OrderRejected(order_id, _NOT_FILLED[tif - 2]))
        return
    # A plain add, the commonest command: `EngineState.rest` and the three events, inlined.
    market_id = market.market_id
    accepted = AcceptedDraft()
    accepted.order_id = order_id
    accepted.market = market_id
    accepted.owner = owner
    accepted.__class__ = OrderAccepted
    account = market.accounts.get(owner)
    pos = None if account is None else account[kind]
    if pos is None:
        pos = state.position(owner, market, kind)
    level = (market.bids if is_bid else market.asks).get(bound)
    if level is None:
        level = market.level_for(bound, is_bid)
    order = Order()
    order.order_id = order_id
    order.pos = pos
    order.remaining = maker_amount
    order.expiration = expiration
    order.level = level
    order.next = order.next_own = None
    tail = level.tail
    order.prev = tail
    if tail is None:
        level.head = order
    else:
        tail.next = order
    level.tail = order
    size = level.size + shares
    level.size = size
    tail = pos.tail
    order.prev_own = tail
    if tail is None:
        pos.head = order
    else:
        tail.next_own = order
    pos.tail = order
    pos.reserved += maker_amount
    state.orders[order_id] = order
    if expiration:
        heappush(state.expiries, (expiration - GTD_SAFETY_MARGIN_S, order_id))
    yes = DeltaDraft()
    yes.market = market_id
    yes.token_id = market.yes_token
    yes.price = bound
    yes.size = size
    no = DeltaDraft()
    no.market = market_id
    no.token_id = market.no_token
    no.price = PRICE_SCALE - bound
    no.size = size
    if is_bid:
        yes.side = _BUY
        no.side = _SELL
    else:
        yes.side = _SELL
        no.side = _BUY
    yes.__class__ = no.__class__ = BookDelta
    out += accepted, yes, no


def _match(
    state: EngineState,
    market: Market,
    cmd: PlaceOrder,
    kind: int,
    bound: int,
    plan: Plan,
    resting: bool,
    out: list[Event],
) -> None:
    """Carry out a plan: cancellations met on the way, the trade, then the taker's remainder."""
    order_id = cmd.order_id
    owner = cmd.maker
    maker_amount = cmd.maker_amount
    seq = cmd.seq
    market_id = market.market_id
    out.append(order_accepted(order_id, market_id, owner))
    touched: list[Level] = []
    for order, cancel_reason in plan.cancels:
        state.cancel(order, cancel_reason, seq, touched, out)
    remaining: int = maker_amount
    fills = plan.fills
    if fills:
        taker_buy = not kind & 1
        trade_event = TradeDraft()
        out.append(trade_event)  # completed below, once the makers' fills are known
        trade_event.makers = execute_fills(state, market, fills, taker_buy, seq, touched, out)
        if taker_buy:
            fill = buy_taker_fill(plan, maker_amount, cmd.taker_amount)
            taking = plan.shares
            trade_event.side = _BUY
        else:
            fill = plan.shares
            taking = plan.value
            trade_event.side = _SELL
        trade_event.trade_id = f"trade-{seq}"
        trade_event.seq = seq
        trade_event.market = market_id
        trade_event.taker_order_id = order_id
        trade_event.taker = owner
        trade_event.token_id = cmd.token_id
        trade_event.taker_fill = fill
        trade_event.taker_taking = taking
        fee_rate = market.fee_rate_bps
        trade_event.taker_fee = taker_fee(fee_rate, taker_buy, fill, taking) if fee_rate else 0
        trade_event.__class__ = Trade
        remaining = maker_amount - fill
    if plan.done:
        out.append(order_updated(order_id, market_id, owner, remaining, _MATCHED))
    elif not resting:
        out.append(order_cancelled(order_id, market_id, owner, _FAK_REMAINDER, remaining))
    else:
        shares = available(kind, bound, remaining)
        if not shares:
            out.append(order_updated(order_id, market_id, owner, remaining, _MATCHED))
        else:
            if fills:
                out.append(order_updated(order_id, market_id, owner, remaining, _LIVE))
            level = state.rest(market, owner, order_id, kind, bound, remaining, cmd.expiration, shares)
            touch(level, seq, touched)
    yes_token, no_token = market.yes_token, market.no_token
    for level in touched:  # two `BookDelta`s per level touched: its YES view and its mirrored NO view
        price = level.price
        size = level.size
        yes = DeltaDraft()
        yes.market = market_id
        yes.token_id = yes_token
        yes.price = price
        yes.size = size
        no = DeltaDraft()
        no.market = market_id
        no.token_id = no_token
        no.price = PRICE_SCALE - price
        no.size = size
        if level.is_bid:
            yes.side = _BUY
            no.side = _SELL
        else:
            yes.side = _SELL
            no.side = _BUY
        yes.__class__ = no.__class__ = BookDelta
        out += yes, no
