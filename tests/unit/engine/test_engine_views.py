"""Read-only queries, book deltas in both token views, reservations, event construction, the state hash."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import FrozenInstanceError

import pytest
from engine_harness import MARKET, NO, SHARE, YES, Harness, events_of, limit, market_command

from clob.engine import (
    Address,
    BaseUnits,
    BookDelta,
    CancelReason,
    CancelRejected,
    CommandRejected,
    Event,
    MakerFill,
    MarketStatus,
    MarketStatusChanged,
    MatchType,
    OrderAccepted,
    OrderCancelled,
    OrderId,
    OrderRejected,
    OrderStatus,
    OrderType,
    OrderUpdated,
    Pips,
    RejectReason,
    Seq,
    Side,
    TokenBook,
    TokenId,
    Trade,
)

BUY, SELL = Side.BUY, Side.SELL
TEN = 10 * SHARE


def _book() -> Harness:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("a", "alice", YES, BUY, 4000, TEN))  # YES bid 0.40
    h.apply(limit("b", "bob", NO, SELL, 6000, 5 * SHARE))  # YES bid 0.40 as well
    h.apply(limit("c", "carol", NO, SELL, 6500, TEN))  # YES bid 0.35
    h.apply(limit("d", "dave", YES, SELL, 5500, TEN))  # YES ask 0.55
    h.apply(limit("e", "erin", NO, BUY, 4000, 7 * SHARE))  # YES ask 0.60
    return h


def test_per_token_books_mirror_the_unified_book() -> None:
    h = _book()
    assert h.engine.book(YES) == TokenBook(
        MARKET,
        YES,
        bids=((Pips(4000), BaseUnits(15 * SHARE)), (Pips(3500), BaseUnits(TEN))),
        asks=((Pips(5500), BaseUnits(TEN)), (Pips(6000), BaseUnits(7 * SHARE))),
    )
    assert h.engine.book(NO) == TokenBook(
        MARKET,
        NO,
        bids=((Pips(4500), BaseUnits(TEN)), (Pips(4000), BaseUnits(7 * SHARE))),
        asks=((Pips(6000), BaseUnits(15 * SHARE)), (Pips(6500), BaseUnits(TEN))),
    )
    assert h.engine.best_bid_ask(YES) == (4000, 5500)
    assert h.engine.best_bid_ask(NO) == (4500, 6000)
    assert h.engine.book(YES, depth=1) == TokenBook(
        MARKET, YES, ((Pips(4000), BaseUnits(15 * SHARE)),), ((Pips(5500), BaseUnits(TEN)),)
    )
    assert h.engine.book(TokenId(999)) is None
    assert h.engine.best_bid_ask(TokenId(999)) == (None, None)


def test_every_level_change_is_published_in_both_token_views() -> None:
    h = _book()
    events = h.apply(limit("f", "fred", NO, SELL, 6000, 5 * SHARE))
    assert events_of(events, BookDelta) == [
        BookDelta(MARKET, YES, BUY, 4000, 20 * SHARE),
        BookDelta(MARKET, NO, SELL, 6000, 20 * SHARE),
    ]


def test_order_view_describes_a_resting_order_in_its_own_token() -> None:
    h = _book()
    h.apply(limit("g", "gus", NO, BUY, 3000, TEN, OrderType.GTD, expiration=1_800_000_000))
    view = h.engine.order(OrderId("0xg"))
    assert view is not None
    assert (view.market, view.owner, view.token_id, view.side, view.order_type) == (
        MARKET,
        "gus",
        NO,
        BUY,
        OrderType.GTD,
    )
    assert (view.price, view.remaining, view.size, view.expiration) == (3000, 3 * SHARE, TEN, 1_800_000_000)


def test_reserved_amounts_follow_placements_fills_and_cancels() -> None:
    h = _book()
    h.apply(limit("a2", "alice", NO, SELL, 9000, 6 * SHARE))
    reserved = h.engine.reserved(Address("alice"))
    assert reserved.collateral == 4 * SHARE  # BUY 10 YES at 0.40
    assert reserved.tokens == {NO: 6 * SHARE}
    h.apply(limit("t", "tom", YES, SELL, 4000, 5 * SHARE))  # fills half of alice's bid
    assert h.engine.reserved(Address("alice")).collateral == 2 * SHARE
    assert h.engine.reserved(Address("nobody")).collateral == 0


def test_events_are_frozen_values() -> None:
    """Equal by type and fields, hashed and shown by their fields, immutable, pickled and copied whole (in the
    compiled build too, where the hot events have their own constructors)."""
    market = MARKET
    fill = MakerFill(
        OrderId("0x1"), Address("a"), NO, SELL, MatchType.MERGE, Pips(4000), BaseUnits(10), BaseUnits(4), BaseUnits(0)
    )
    events: list[Event | MakerFill] = [
        OrderAccepted(OrderId("0x1"), market, Address("a")),
        OrderRejected(OrderId("0x1"), RejectReason.INVALID_TICK),
        BookDelta(market, YES, BUY, Pips(4000), BaseUnits(5)),
        OrderUpdated(OrderId("0x1"), market, Address("a"), BaseUnits(7), OrderStatus.LIVE),
        OrderCancelled(OrderId("0x1"), market, Address("a"), CancelReason.USER, BaseUnits(7)),
        Trade(
            "t-1",
            Seq(1),
            market,
            OrderId("0x1"),
            Address("a"),
            YES,
            BUY,
            BaseUnits(10),
            BaseUnits(20),
            BaseUnits(0),
            (fill,),
        ),
        fill,
        CommandRejected(Seq(3), RejectReason.STALE_SEQ),
        MarketStatusChanged(market, MarketStatus.HALTED),
    ]
    for event in events:
        names = [field.name for field in dataclasses.fields(event)]
        assert tuple(names) == event.__match_args__
        values = [getattr(event, name) for name in names]
        twin = type(event)(*values)
        assert twin is not event
        assert twin == event
        assert hash(twin) == hash(event)
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(names, values, strict=True))
        assert repr(event) == f"{type(event).__name__}({shown})"
        assert dataclasses.replace(event) == event
        with pytest.raises(FrozenInstanceError):
            setattr(event, names[0], "changed")
        with pytest.raises(FrozenInstanceError):
            delattr(event, names[0])
        assert not hasattr(event, "__dict__")
        assert pickle.loads(pickle.dumps(event)) == event
        assert copy.copy(event) == event == copy.deepcopy(event)
        assert event != tuple(values)
    assert OrderRejected(OrderId("0x1"), RejectReason.INVALID_TICK) != CancelRejected(
        OrderId("0x1"), RejectReason.INVALID_TICK
    )


def test_state_hash_is_deterministic_and_sensitive() -> None:
    first, second = _book(), _book()
    assert first.engine.state_hash() == second.engine.state_hash()
    first.apply(limit("x", "xavier", YES, BUY, 3000, TEN))
    second.apply(limit("x", "xavier", YES, BUY, 3000, TEN + SHARE))
    assert first.engine.state_hash() != second.engine.state_hash()


def test_market_info_lists_parameters() -> None:
    h = _book()
    (info,) = h.engine.markets()
    assert (info.market, info.yes_token, info.no_token, info.tick_decimals, info.min_size) == (
        MARKET,
        YES,
        NO,
        2,
        5 * SHARE,
    )
    assert h.engine.market(MARKET) == info
