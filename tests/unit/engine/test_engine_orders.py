"""Order types, placement rules (rejections with their codes), expiry and self-trade prevention."""

from __future__ import annotations

import pytest
from engine_harness import NO, NOW, SHARE, YES, Harness, events_of, limit, market_command, raw, snapshot

from clob.engine import (
    CancelOrder,
    CancelReason,
    ExpireOrders,
    OrderAccepted,
    OrderCancelled,
    OrderId,
    OrderRejected,
    OrderStatus,
    OrderType,
    OrderUpdated,
    PlaceOrder,
    RejectReason,
    Seq,
    Side,
    Trade,
    UnixSeconds,
)

BUY, SELL = Side.BUY, Side.SELL
TEN = 10 * SHARE


def _booked() -> Harness:
    """A market at tick 0.01 with a YES ask of 10 at 0.55 (alice) and a YES bid of 10 at 0.45 (bob, as SELL NO)."""
    h = Harness()
    h.apply(market_command())
    h.apply(limit("ask", "alice", YES, SELL, 5500, TEN))
    h.apply(limit("bid", "bob", NO, SELL, 5500, TEN))
    return h


def _rejection(events: list[object]) -> RejectReason | None:
    rejected = [e for e in events if isinstance(e, OrderRejected)]
    return rejected[0].reason if rejected else None


def _buy(
    price: int,
    shares: int = TEN,
    order_type: OrderType = OrderType.GTC,
    *,
    expiration: int = 0,
    post_only: bool = False,
    fee_rate_bps: int = 0,
) -> PlaceOrder:
    """carol buys YES."""
    return limit(
        "x",
        "carol",
        YES,
        BUY,
        price,
        shares,
        order_type,
        expiration=expiration,
        post_only=post_only,
        fee_rate_bps=fee_rate_bps,
    )


def _raw_buy(maker: int, taker: int, order_type: OrderType = OrderType.FOK) -> PlaceOrder:
    return raw("x", "carol", YES, BUY, maker, taker, order_type)


GTC, GTD, FOK, FAK = OrderType.GTC, OrderType.GTD, OrderType.FOK, OrderType.FAK
R = RejectReason
REJECTIONS = [
    ("unknown_token", raw("x", "carol", 999, BUY, 5_000_000, TEN, GTC), R.UNKNOWN_TOKEN),
    ("zero_amount", _raw_buy(0, TEN, GTC), R.INVALID_AMOUNT),
    ("fee_rate_differs_from_market", _buy(5000, fee_rate_bps=10), R.INVALID_FEE_RATE),
    ("price_of_one", _raw_buy(TEN, TEN, GTC), R.INVALID_PRICE),
    ("price_above_one", raw("x", "carol", YES, SELL, TEN, 11 * SHARE, GTC), R.INVALID_PRICE),
    ("limit_price_off_tick", _buy(4950), R.INVALID_TICK),
    ("limit_ratio_not_a_price", _raw_buy(1_000_000, 3_000_000, GTC), R.INVALID_TICK),
    ("limit_size_three_decimals", _buy(5000, TEN + 1_000), R.INVALID_PRECISION),
    ("market_maker_three_decimals", _raw_buy(100_001_000, 181_818_100), R.INVALID_PRECISION),
    ("market_taker_five_decimals", _raw_buy(100_000_000, 181_818_110), R.INVALID_PRECISION),
    ("below_min_size", _buy(5000, 4 * SHARE), R.BELOW_MIN_SIZE),
    ("market_buy_below_one_dollar", _raw_buy(990_000, 1_800_000), R.BELOW_MIN_SIZE),
    ("market_buy_below_one_dollar_fak", _raw_buy(500_000, 909_000, FAK), R.BELOW_MIN_SIZE),
    ("market_sell_below_min_shares", raw("x", "carol", YES, SELL, 2 * SHARE, 900_000, FOK), R.BELOW_MIN_SIZE),
    ("gtc_with_expiration", _buy(5000, expiration=NOW + 3600), R.INVALID_EXPIRATION),
    ("gtd_without_expiration", _buy(5000, TEN, GTD), R.INVALID_EXPIRATION),
    ("gtd_inside_safety_margin", _buy(5000, TEN, GTD, expiration=NOW + 60), R.INVALID_EXPIRATION),
    ("post_only_fok", _buy(5000, TEN, FOK, post_only=True), R.INVALID_POST_ONLY),
    ("post_only_crossing", _buy(5500, post_only=True), R.POST_ONLY_WOULD_CROSS),
    ("post_only_crossing_via_no", limit("x", "carol", NO, BUY, 5500, TEN, post_only=True), R.POST_ONLY_WOULD_CROSS),
    ("duplicate_resting_id", limit("ask", "carol", YES, BUY, 5000, TEN), R.DUPLICATE_ORDER),
    ("fok_without_liquidity", _buy(5000, TEN, FOK), R.FOK_NOT_FILLED),
    ("fok_too_large", _buy(5500, 11 * SHARE, FOK), R.FOK_NOT_FILLED),
    ("fak_without_liquidity", _buy(5000, TEN, FAK), R.FAK_NO_MATCH),
]


@pytest.mark.parametrize(("name", "order", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_invalid_or_unfillable_order_is_rejected_without_state_change(
    name: str, order: PlaceOrder, reason: RejectReason
) -> None:
    h = _booked()
    before = snapshot(h)
    events = h.apply(order)
    assert events == [OrderRejected(order.order_id, reason)], name
    assert snapshot(h) == before


ACCEPTED = [
    ("limit_at_tick_0_001", 3, limit("x", "carol", YES, BUY, 5010, TEN)),
    ("market_buy_off_tick_ratio_fok", 2, raw("x", "carol", YES, BUY, 5_500_000, 9_999_900)),
    ("market_buy_of_one_dollar_below_min_shares", 2, raw("x", "carol", YES, BUY, 1_000_000, 1_818_100)),
    ("market_buy_of_one_dollar_fak", 2, raw("x", "carol", YES, BUY, 1_000_000, 1_818_100, OrderType.FAK)),
    ("limit_amounts_posted_as_fok", 2, limit("x", "carol", YES, BUY, 5500, 5 * SHARE, OrderType.FOK)),
    ("gtd_beyond_safety_margin", 2, limit("x", "carol", YES, BUY, 5000, TEN, OrderType.GTD, expiration=NOW + 61)),
    ("post_only_not_crossing", 2, limit("x", "carol", YES, BUY, 5400, TEN, post_only=True)),
]


@pytest.mark.parametrize(("name", "decimals", "order"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_valid_order_is_accepted(name: str, decimals: int, order: PlaceOrder) -> None:
    h = Harness()
    h.apply(market_command(tick_decimals=decimals))
    h.apply(limit("ask", "alice", YES, SELL, 5500, TEN))
    events = h.apply(order)
    assert isinstance(events[0], OrderAccepted), name


def test_fok_fills_completely_across_makers() -> None:
    h = _booked()
    h.apply(limit("ask2", "dave", NO, BUY, 4400, TEN))  # YES ask at 0.56
    events = h.apply(limit("t", "carol", YES, BUY, 5600, 15 * SHARE, OrderType.FOK))
    (trade,) = events_of(events, Trade)
    assert trade.taker_taking == 15 * SHARE
    taker_update = events_of(events, OrderUpdated)[-1]
    assert (taker_update.order_id, taker_update.remaining, taker_update.status) == ("0xt", 0, OrderStatus.MATCHED)


def test_fok_that_cannot_fill_changes_nothing_not_even_self_trade_cancels() -> None:
    h = _booked()
    h.apply(limit("own", "carol", YES, SELL, 5400, TEN))  # carol's own ask ahead of alice
    before = snapshot(h)
    events = h.apply(limit("t", "carol", YES, BUY, 5500, 15 * SHARE, OrderType.FOK))
    assert events == [OrderRejected(OrderId("0xt"), RejectReason.FOK_NOT_FILLED)]
    assert snapshot(h) == before


def test_fak_fills_what_it_can_and_cancels_the_rest() -> None:
    h = _booked()
    events = h.apply(limit("t", "carol", YES, BUY, 5500, 15 * SHARE, OrderType.FAK))
    (trade,) = events_of(events, Trade)
    assert trade.taker_taking == TEN
    cancel = events_of(events, OrderCancelled)[-1]
    assert (cancel.order_id, cancel.reason, cancel.remaining) == ("0xt", CancelReason.FAK_REMAINDER, 2_750_000)
    assert h.engine.order(trade.taker_order_id) is None


def test_gtd_order_rests_then_expires_in_the_sweep() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("g", "carol", YES, BUY, 5000, TEN, OrderType.GTD, expiration=NOW + 1000))
    assert h.apply(ExpireOrders(Seq(0), UnixSeconds(NOW + 939))) == []
    events = h.apply(ExpireOrders(Seq(0), UnixSeconds(NOW + 940)))  # expiration minus the 60 s margin
    (cancel,) = events_of(events, OrderCancelled)
    assert (cancel.order_id, cancel.owner, cancel.reason, cancel.remaining) == (
        "0xg",
        "carol",
        CancelReason.EXPIRED,
        5 * SHARE,
    )
    assert h.engine.resting_count() == 0


def test_order_id_placed_again_after_a_cancel_expires_once() -> None:
    """Its first expiry entry is still in the heap, equal to the second: the sweep cancels the order once (it used
    to cancel it twice and fail)."""
    h = Harness()
    h.apply(market_command())
    gtd = limit("g", "carol", YES, BUY, 5000, TEN, OrderType.GTD, expiration=NOW + 1000)
    h.apply(gtd)
    h.apply(CancelOrder(Seq(0), NOW, gtd.order_id))
    h.apply(gtd)
    events = h.apply(ExpireOrders(Seq(0), UnixSeconds(NOW + 2000)))
    assert [(e.order_id, e.reason) for e in events_of(events, OrderCancelled)] == [("0xg", CancelReason.EXPIRED)]
    assert h.engine.resting_count() == 0


def test_expired_maker_is_cancelled_not_matched() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("g", "alice", YES, SELL, 5500, TEN, OrderType.GTD, expiration=NOW + 1000))
    h.apply(limit("m", "bob", YES, SELL, 5600, TEN))
    events = h.apply(limit("t", "carol", YES, BUY, 5600, TEN), now=NOW + 945)
    cancels = events_of(events, OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [("0xg", CancelReason.EXPIRED)]
    (trade,) = events_of(events, Trade)
    assert [f.order_id for f in trade.makers] == ["0xm"]


def test_a_maker_matches_until_the_second_it_counts_as_expired() -> None:
    """The command's own time decides: a taker at `expiration - 60 - 1` trades with the GTD maker, one at
    `expiration - 60` (what the sweep would expire) cancels it instead; `next_expiry` names that second."""
    for now, traded in ((NOW + 939, True), (NOW + 940, False)):
        h = Harness()
        h.apply(market_command())
        h.apply(limit("g", "alice", YES, SELL, 5500, TEN, OrderType.GTD, expiration=NOW + 1000))
        assert h.engine.next_expiry() == NOW + 940
        events = h.apply(limit("t", "carol", YES, BUY, 5500, TEN), now=now)
        assert bool(events_of(events, Trade)) is traded
        if not traded:
            assert h.engine.order(OrderId("0xg")) is None
            assert h.engine.next_expiry() is None


def test_next_expiry_skips_orders_that_are_gone() -> None:
    h = Harness()
    h.apply(market_command())
    assert h.engine.next_expiry() is None
    h.apply(limit("a", "carol", YES, BUY, 5000, TEN, OrderType.GTD, expiration=NOW + 1000))
    h.apply(limit("b", "dave", YES, BUY, 4900, TEN, OrderType.GTD, expiration=NOW + 2000))
    h.apply(CancelOrder(Seq(0), NOW, OrderId("0xa")))
    assert h.engine.next_expiry() == NOW + 1940
    h.apply(CancelOrder(Seq(0), NOW, OrderId("0xb")))
    assert h.engine.next_expiry() is None


def test_self_trade_cancels_the_resting_order_and_keeps_matching() -> None:
    h = _booked()
    h.apply(limit("own", "carol", NO, BUY, 4500, TEN))  # carol's own YES ask at 0.55, behind alice
    h.apply(limit("late", "dave", YES, SELL, 5500, TEN))
    events = h.apply(limit("t", "carol", YES, BUY, 5500, 20 * SHARE))
    assert [(e.order_id, e.reason) for e in events_of(events, OrderCancelled)] == [("0xown", CancelReason.SELF_TRADE)]
    (trade,) = events_of(events, Trade)
    assert [f.order_id for f in trade.makers] == ["0xask", "0xlate"]
    assert h.engine.order(trade.taker_order_id) is None


def test_gtc_taker_rests_after_removing_its_own_crossing_orders() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("own", "carol", YES, SELL, 5500, TEN))
    events = h.apply(limit("t", "carol", YES, BUY, 5600, TEN))
    assert [type(e).__name__ for e in events][:2] == ["OrderAccepted", "OrderCancelled"]
    assert not events_of(events, Trade)
    assert h.engine.best_bid_ask(YES) == (5600, None)


def test_filled_order_reports_matched_and_leaves_the_book() -> None:
    h = _booked()
    events = h.apply(limit("t", "carol", YES, SELL, 4500, TEN))
    statuses = {e.order_id: e.status for e in events_of(events, OrderUpdated)}
    assert statuses == {"0xbid": OrderStatus.MATCHED, "0xt": OrderStatus.MATCHED}
    assert h.engine.order(OrderId("0xbid")) is None
