"""`PlaceOrder`: validation (the book's rules, `_validate`), then routing: rest, match, or both (`place`).

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
6. size at least the minimum: a market (FOK/FAK) BUY spends at least `MIN_MARKET_BUY` (1 USDC), as Polymarket
   sizes market buys in dollars; every other order has at least the market's minimum size in shares.

A limit order that does not cross rests at its price. One that crosses trades as far as it can (`matching`),
then rests the remainder (GTC/GTD), cancels it (FAK), or, for a FOK that cannot fill completely, nothing
happens at all. A post-only order that would cross is rejected.
"""

from __future__ import annotations

from typing import Final

from clob.engine.book import Level, Market, available
from clob.engine.commands import PlaceOrder
from clob.engine.events import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    Trade,
    book_delta_pair,
)
from clob.engine.matching import Plan, buy_taker_fill, execute_fills, plan_match
from clob.engine.pricing import IS_BID, taker_fee, yes_bound
from clob.engine.state import EngineState, touch
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    MARKET_MAKER_STEP,
    MARKET_TAKER_STEP,
    MAX_AMOUNT,
    MIN_MARKET_BUY,
    PRICE_SCALE,
    SHARE_STEP,
    BaseUnits,
    CancelReason,
    MarketStatus,
    OrderId,
    OrderStatus,
    OrderType,
    RejectReason,
    Seq,
    Side,
)

_OPEN: Final = MarketStatus.OPEN
_GTC_TYPE: Final = OrderType.GTC
_GTD_TYPE: Final = OrderType.GTD
_FOK_TYPE: Final = OrderType.FOK
_FAK_TYPE: Final = OrderType.FAK
_GTC: Final = 0  # time in force as small ints; < 2 may rest
_GTD: Final = 1
_FOK: Final = 2
_FAK: Final = 3
_BUY: Final = Side.BUY
_SELL: Final = Side.SELL
_LIVE: Final = OrderStatus.LIVE
_MATCHED: Final = OrderStatus.MATCHED
_FAK_REMAINDER: Final = CancelReason.FAK_REMAINDER
_NOT_FILLED: Final = (RejectReason.FOK_NOT_FILLED, RejectReason.FAK_NO_MATCH)


def place(state: EngineState, cmd: PlaceOrder, out: list[Event]) -> None:
    """Validate the order (`_validate`), then route it: rest it if it does not cross, else match it (`_match`); a
    post-only order that would cross, or a FOK or FAK that cannot trade as it must, is rejected instead."""
    order_id = cmd.order_id
    entry = state.tokens.get(cmd.token_id)
    if entry is None:
        out.append(OrderRejected(order_id, RejectReason.UNKNOWN_TOKEN))
        return
    market, index = entry
    kind = index * 2 + cmd.side
    maker_amount = cmd.maker_amount  # (read once: a command's attributes are slow to read in the compiled build)
    expiration = cmd.expiration
    reason, tif, bound = _validate(state, market, cmd, order_id, kind, maker_amount, expiration)
    if reason is not None:
        out.append(OrderRejected(order_id, reason))
        return
    resting = tif < 2
    is_bid = IS_BID[kind]
    if market.best_ask <= bound if is_bid else market.best_bid >= bound:
        if cmd.post_only:
            out.append(OrderRejected(order_id, RejectReason.POST_ONLY_WOULD_CROSS))
            return
        plan = plan_match(market, kind, bound, cmd.maker, cmd.now, maker_amount, cmd.taker_amount)
        if not resting and (not plan.fills or (tif == _FOK and not plan.done)):
            out.append(OrderRejected(order_id, _NOT_FILLED[tif - 2]))
            return
        _match(state, market, cmd, kind, bound, plan, resting, out)
        return
    if not resting:
        out.append(OrderRejected(order_id, _NOT_FILLED[tif - 2]))
        return
    market_id = market.market_id
    owner = cmd.maker
    out.append(OrderAccepted(order_id, market_id, owner))
    shares = maker_amount if kind & 1 else cmd.taker_amount
    level = state.rest(market, owner, order_id, kind, bound, maker_amount, expiration, shares)
    book_delta_pair(out, market_id, market.yes_token, market.no_token, is_bid, bound, level.size)


def _validate(
    state: EngineState,
    market: Market,
    cmd: PlaceOrder,
    order_id: OrderId,
    kind: int,
    maker_amount: int,
    expiration: int,
) -> tuple[RejectReason | None, int, int]:
    """The first rule (see the module docstring) the order breaks, else None with its time in force (`_GTC` ...)
    and its YES-price bound (`pricing.yes_bound`)."""
    if market.status is not _OPEN:
        return RejectReason.MARKET_NOT_OPEN, 0, 0
    if order_id in state.orders:
        return RejectReason.DUPLICATE_ORDER, 0, 0
    taker_amount: int = cmd.taker_amount
    if not 0 < maker_amount <= MAX_AMOUNT >= taker_amount > 0:  # both in (0, MAX_AMOUNT]
        return RejectReason.INVALID_AMOUNT, 0, 0
    if cmd.fee_rate_bps != market.fee_rate_bps:
        return RejectReason.INVALID_FEE_RATE, 0, 0
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
        return RejectReason.INVALID_ORDER_TYPE, 0, 0
    resting = tif < 2
    if (tif == _GTD) != (expiration != 0) or (expiration and cmd.now >= expiration - GTD_SAFETY_MARGIN_S):
        return RejectReason.INVALID_EXPIRATION, 0, 0
    if cmd.post_only and not resting:
        return RejectReason.INVALID_POST_ONLY, 0, 0
    if kind & 1:
        shares, usdc = maker_amount, taker_amount
    else:
        usdc, shares = maker_amount, taker_amount
    if usdc >= shares:
        return RejectReason.INVALID_PRICE, 0, 0
    scaled = usdc * PRICE_SCALE
    price = scaled // shares  # the order's own price in pips, if exact
    on_tick = price * shares == scaled and price % market.tick == 0
    limit_ok = on_tick and shares % SHARE_STEP == 0  # the limit-order rule
    if resting:
        if not limit_ok:
            return RejectReason.INVALID_PRECISION if shares % SHARE_STEP else RejectReason.INVALID_TICK, 0, 0
    elif not limit_ok and (maker_amount % MARKET_MAKER_STEP or taker_amount % MARKET_TAKER_STEP):
        return RejectReason.INVALID_PRECISION, 0, 0
    if not resting and not kind & 1:  # a market BUY: an amount of USDC
        if usdc < MIN_MARKET_BUY:
            return RejectReason.BELOW_MIN_SIZE, 0, 0
    elif shares < market.min_size:
        return RejectReason.BELOW_MIN_SIZE, 0, 0
    # On tick: exactly the order's YES price; off tick (a market order): the YES-price bound of its ratio.
    if not on_tick:
        return None, tif, yes_bound(kind, maker_amount, taker_amount)
    return None, tif, price if kind < 2 else PRICE_SCALE - price


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
    out.append(OrderAccepted(order_id, market_id, owner))
    touched: list[Level] = []
    for order, cancel_reason in plan.cancels:
        touch(state.cancel(order, cancel_reason, out), seq, touched)
    remaining: int = maker_amount
    fills = plan.fills
    if fills:
        taker_buy = not kind & 1
        at = len(out)  # the trade goes before the makers' updates, once their fills are known
        makers = execute_fills(state, market, fills, taker_buy, seq, touched, out)
        if taker_buy:
            fill = buy_taker_fill(plan, maker_amount, cmd.taker_amount)
            taking = plan.shares
        else:
            fill = plan.shares
            taking = plan.value
        fee_rate = market.fee_rate_bps
        fee = taker_fee(fee_rate, taker_buy, fill, taking) if fee_rate else 0
        side = _BUY if taker_buy else _SELL
        fill_, taking_, fee_ = BaseUnits(fill), BaseUnits(taking), BaseUnits(fee)
        trade = Trade(
            f"trade-{seq}", Seq(seq), market_id, order_id, owner, cmd.token_id, side, fill_, taking_, fee_, makers
        )
        out.insert(at, trade)
        remaining = maker_amount - fill
    if plan.done:
        out.append(OrderUpdated(order_id, market_id, owner, BaseUnits(remaining), _MATCHED))
    elif not resting:
        out.append(OrderCancelled(order_id, market_id, owner, _FAK_REMAINDER, BaseUnits(remaining)))
    else:
        shares = available(kind, bound, remaining)
        if not shares:
            out.append(OrderUpdated(order_id, market_id, owner, BaseUnits(remaining), _MATCHED))
        else:
            if fills:
                out.append(OrderUpdated(order_id, market_id, owner, BaseUnits(remaining), _LIVE))
            level = state.rest(market, owner, order_id, kind, bound, remaining, cmd.expiration, shares)
            touch(level, seq, touched)
    yes_token, no_token = market.yes_token, market.no_token
    for level in touched:  # two `BookDelta`s per level touched: its YES view and its mirrored NO view
        book_delta_pair(out, market_id, yes_token, no_token, level.is_bid, level.price, level.size)
