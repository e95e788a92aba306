"""Cancels, market lifecycle (halt, resume, resolve), tick size changes, sequence numbers."""

from __future__ import annotations

from engine_harness import MARKET, NO, NOW, SHARE, YES, Harness, events_of, limit, market_command, snapshot

from clob.engine import (
    Address,
    BookDelta,
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    CancelReason,
    CancelRejected,
    ChangeTickSize,
    CommandRejected,
    HaltMarket,
    MarketId,
    MarketStatus,
    MarketStatusChanged,
    OrderAccepted,
    OrderCancelled,
    OrderId,
    OrderRejected,
    RejectReason,
    ResolveMarket,
    ResumeMarket,
    Seq,
    Side,
    TickSizeChanged,
    TokenId,
    Trade,
)

BUY, SELL = Side.BUY, Side.SELL
TEN = 10 * SHARE
OTHER = MarketId("0x" + "22" * 32)
OTHER_YES, OTHER_NO = TokenId(201), TokenId(202)


def _two_markets() -> Harness:
    """carol has two orders in each market (one per token) and dave one in the first market."""
    h = Harness()
    h.apply(market_command())
    h.apply(market_command(OTHER, OTHER_YES, OTHER_NO))
    h.apply(limit("c1", "carol", YES, BUY, 4000, TEN))
    h.apply(limit("c2", "carol", NO, BUY, 3000, TEN))
    h.apply(limit("c3", "carol", OTHER_YES, SELL, 7000, TEN))
    h.apply(limit("c4", "carol", OTHER_NO, SELL, 6000, TEN))
    h.apply(limit("d1", "dave", YES, BUY, 4000, TEN))
    return h


def _cancelled(events: list[object]) -> list[tuple[str, CancelReason]]:
    return [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)]


def test_cancel_one_order_removes_it_and_publishes_both_book_views() -> None:
    h = _two_markets()
    events = h.apply(CancelOrder(Seq(0), NOW, OrderId("0xc1"), Address("carol")))
    assert _cancelled(events) == [("0xc1", CancelReason.USER)]
    assert events_of(events, BookDelta) == [
        BookDelta(MARKET, YES, BUY, 4000, TEN),  # dave's order is left at the level
        BookDelta(MARKET, NO, SELL, 6000, TEN),
    ]
    assert h.engine.order(OrderId("0xc1")) is None


def test_cancel_unknown_or_foreign_order_is_refused() -> None:
    h = _two_markets()
    before = snapshot(h)
    assert h.apply(CancelOrder(Seq(0), NOW, OrderId("0xnope"))) == [
        CancelRejected(OrderId("0xnope"), RejectReason.ORDER_NOT_FOUND)
    ]
    assert h.apply(CancelOrder(Seq(0), NOW, OrderId("0xd1"), Address("carol"))) == [
        CancelRejected(OrderId("0xd1"), RejectReason.NOT_OWNER)
    ]
    assert snapshot(h) == before


def test_cancel_all_of_an_owner_across_markets() -> None:
    h = _two_markets()
    events = h.apply(CancelAll(Seq(0), NOW, Address("carol")))
    assert sorted(_cancelled(events)) == [(f"0xc{i}", CancelReason.USER) for i in range(1, 5)]
    assert [v.order_id for v in h.engine.orders_by_owner(Address("dave"))] == ["0xd1"]
    assert h.engine.orders_by_owner(Address("carol")) == []


def test_cancel_all_of_an_owner_in_one_market() -> None:
    h = _two_markets()
    events = h.apply(CancelAll(Seq(0), NOW, Address("carol"), OTHER))
    assert sorted(_cancelled(events)) == [("0xc3", CancelReason.USER), ("0xc4", CancelReason.USER)]


def test_cancel_all_of_an_owner_for_one_token() -> None:
    h = _two_markets()
    events = h.apply(CancelAll(Seq(0), NOW, Address("carol"), None, NO))
    assert _cancelled(events) == [("0xc2", CancelReason.USER)]


def test_cancel_market_orders_is_an_admin_cancel_of_everyone_in_the_market() -> None:
    h = _two_markets()
    events = h.apply(CancelMarketOrders(Seq(0), NOW, MARKET))
    assert sorted(_cancelled(events)) == [
        ("0xc1", CancelReason.ADMIN),
        ("0xc2", CancelReason.ADMIN),
        ("0xd1", CancelReason.ADMIN),
    ]
    assert h.engine.resting_count() == 2


def test_cancel_market_orders_of_one_token() -> None:
    h = _two_markets()
    events = h.apply(CancelMarketOrders(Seq(0), NOW, MARKET, NO))
    assert _cancelled(events) == [("0xc2", CancelReason.ADMIN)]
    assert h.apply(CancelMarketOrders(Seq(0), NOW, MARKET, OTHER_NO)) == [
        CommandRejected(Seq(h.seq), RejectReason.UNKNOWN_TOKEN)
    ]


def test_halt_keeps_orders_refuses_new_ones_and_resume_reopens() -> None:
    h = _two_markets()
    assert h.apply(HaltMarket(Seq(0), NOW, MARKET)) == [MarketStatusChanged(MARKET, MarketStatus.HALTED)]
    refused = h.apply(limit("x", "erin", YES, SELL, 4000, TEN))
    assert refused == [OrderRejected(OrderId("0xx"), RejectReason.MARKET_NOT_OPEN)]
    assert h.engine.resting_count() == 5
    assert _cancelled(h.apply(CancelOrder(Seq(0), NOW, OrderId("0xd1")))) == [("0xd1", CancelReason.USER)]
    assert h.apply(ResumeMarket(Seq(0), NOW, MARKET)) == [MarketStatusChanged(MARKET, MarketStatus.OPEN)]
    assert events_of(h.apply(limit("x", "erin", YES, SELL, 4000, TEN)), Trade)


def test_resolve_cancels_everything_and_closes_the_market_for_good() -> None:
    h = _two_markets()
    events = h.apply(ResolveMarket(Seq(0), NOW, MARKET))
    assert events[0] == MarketStatusChanged(MARKET, MarketStatus.RESOLVED)
    assert sorted(_cancelled(events)) == [
        ("0xc1", CancelReason.MARKET_RESOLVED),
        ("0xc2", CancelReason.MARKET_RESOLVED),
        ("0xd1", CancelReason.MARKET_RESOLVED),
    ]
    assert h.engine.book(YES) is not None
    assert h.engine.book(YES).bids == ()  # type: ignore[union-attr]
    assert h.apply(limit("x", "erin", YES, SELL, 4000, TEN)) == [
        OrderRejected(OrderId("0xx"), RejectReason.MARKET_NOT_OPEN)
    ]
    for command in (ResumeMarket(Seq(0), NOW, MARKET), HaltMarket(Seq(0), NOW, MARKET)):
        assert h.apply(command) == [CommandRejected(Seq(h.seq), RejectReason.MARKET_RESOLVED)]
    assert h.engine.resting_count() == 2  # the other market is untouched


def test_tick_size_can_only_get_finer_and_resting_orders_stay_on_tick() -> None:
    h = _two_markets()
    assert h.apply(limit("fine", "erin", YES, BUY, 4010, TEN)) == [
        OrderRejected(OrderId("0xfine"), RejectReason.INVALID_TICK)
    ]
    assert h.apply(ChangeTickSize(Seq(0), NOW, MARKET, 3)) == [TickSizeChanged(MARKET, 2, 3)]
    assert isinstance(h.apply(limit("fine", "erin", YES, BUY, 4010, TEN))[0], OrderAccepted)
    assert h.engine.best_bid_ask(YES) == (4010, 7000)  # carol's BUY NO at 0.30 is the YES ask
    for decimals in (3, 2, 1, 5):
        assert h.apply(ChangeTickSize(Seq(0), NOW, MARKET, decimals)) == [
            CommandRejected(Seq(h.seq), RejectReason.TICK_SIZE_NOT_FINER)
        ]
    info = h.engine.market(MARKET)
    assert info is not None
    assert info.tick_decimals == 3


def test_market_commands_on_unknown_markets_and_duplicate_creation_are_refused() -> None:
    h = _two_markets()
    unknown = MarketId("0xmissing")
    for command in (HaltMarket(Seq(0), NOW, unknown), ResolveMarket(Seq(0), NOW, unknown)):
        assert h.apply(command) == [CommandRejected(Seq(h.seq), RejectReason.UNKNOWN_MARKET)]
    assert h.apply(market_command()) == [CommandRejected(Seq(h.seq), RejectReason.DUPLICATE_MARKET)]
    bad = market_command(MarketId("0xbad"), TokenId(301), TokenId(301))
    assert h.apply(bad) == [CommandRejected(Seq(h.seq), RejectReason.INVALID_MARKET_PARAMS)]
    reused = market_command(MarketId("0xbad"), TokenId(301), YES)
    assert h.apply(reused) == [CommandRejected(Seq(h.seq), RejectReason.INVALID_MARKET_PARAMS)]


def test_stale_sequence_number_is_refused_and_changes_nothing() -> None:
    h = _two_markets()
    last = h.engine.last_seq
    digest = h.engine.state_hash()
    stale = CancelOrder(Seq(last), NOW, OrderId("0xc1"))
    assert h.engine.apply(stale) == [CommandRejected(Seq(last), RejectReason.STALE_SEQ)]
    assert h.engine.state_hash() == digest
