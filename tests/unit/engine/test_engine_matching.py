"""Crossing, match types, priority and fill amounts. Every trade is also settled on the contract model."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from engine_harness import MARKET, NO, SHARE, YES, Harness, events_of, limit, market_command, raw

from clob.engine import (
    BookDelta,
    MatchType,
    OrderStatus,
    OrderType,
    OrderUpdated,
    Side,
    TokenId,
    Trade,
)

BUY, SELL = Side.BUY, Side.SELL
TEN = 10 * SHARE


@dataclass(frozen=True)
class Cross:
    name: str
    maker: tuple[TokenId, Side, int]  # token, side, own price (pips)
    taker: tuple[TokenId, Side, int]
    match_type: MatchType


CROSSES = [
    Cross("buy_yes_takes_sell_yes_complementary", (YES, SELL, 5500), (YES, BUY, 5500), MatchType.COMPLEMENTARY),
    Cross("buy_yes_takes_buy_no_mint", (NO, BUY, 4500), (YES, BUY, 5500), MatchType.MINT),
    Cross("sell_yes_takes_buy_yes_complementary", (YES, BUY, 5500), (YES, SELL, 5500), MatchType.COMPLEMENTARY),
    Cross("sell_yes_takes_sell_no_merge", (NO, SELL, 4500), (YES, SELL, 5500), MatchType.MERGE),
    Cross("buy_no_takes_sell_no_complementary", (NO, SELL, 4000), (NO, BUY, 4000), MatchType.COMPLEMENTARY),
    Cross("buy_no_takes_buy_yes_mint", (YES, BUY, 6000), (NO, BUY, 4000), MatchType.MINT),
    Cross("sell_no_takes_buy_no_complementary", (NO, BUY, 4000), (NO, SELL, 4000), MatchType.COMPLEMENTARY),
    Cross("sell_no_takes_sell_yes_merge", (YES, SELL, 6000), (NO, SELL, 4000), MatchType.MERGE),
]


def _improved(taker: tuple[TokenId, Side, int], ticks: int) -> tuple[TokenId, Side, int]:
    token, side, price = taker
    return token, side, price + ticks * 100 if side == BUY else price - ticks * 100


@pytest.mark.parametrize("improvement", [0, 5], ids=["at_maker_price", "taker_limit_5_ticks_better"])
@pytest.mark.parametrize("case", CROSSES, ids=[c.name for c in CROSSES])
def test_each_cross_type_trades_at_the_maker_price(case: Cross, improvement: int) -> None:
    h = Harness()
    h.apply(market_command())
    maker_token, maker_side, maker_price = case.maker
    taker_token, taker_side, taker_price = _improved(case.taker, improvement)
    h.apply(limit("m", "maker", maker_token, maker_side, maker_price, TEN))
    events = h.apply(limit("t", "taker", taker_token, taker_side, taker_price, TEN))

    (trade,) = events_of(events, Trade)
    (fill,) = trade.makers
    assert fill.match_type == case.match_type
    assert fill.price == maker_price
    maker_usdc = TEN * maker_price // 10_000
    assert (fill.making, fill.taking) == ((TEN, maker_usdc) if maker_side == SELL else (maker_usdc, TEN))
    executed = maker_price if case.match_type == MatchType.COMPLEMENTARY else 10_000 - maker_price
    if taker_side == BUY:  # charged at its limit, refunded the improvement by the exchange
        assert (trade.taker_fill, trade.taker_taking) == (TEN * taker_price // 10_000, TEN)
    else:  # gives its shares, receives the makers' price
        assert (trade.taker_fill, trade.taker_taking) == (TEN, TEN * executed // 10_000)
    assert h.engine.book(YES) == h.engine.book(YES).__class__(MARKET, YES, (), ())
    assert h.engine.resting_count() == 0


def test_price_time_priority_spans_both_representations() -> None:
    """One FIFO per YES price: a BUY NO at 0.45 queues with SELL YES orders at 0.55 by arrival."""
    h = Harness()
    h.apply(market_command())
    h.apply(limit("a", "alice", YES, SELL, 5500, TEN))
    h.apply(limit("b", "bob", NO, BUY, 4500, TEN))
    h.apply(limit("c", "carol", YES, SELL, 5500, TEN))
    events = h.apply(limit("t", "taker", YES, BUY, 5500, 25 * SHARE))
    (trade,) = events_of(events, Trade)
    assert [(f.order_id, f.match_type) for f in trade.makers] == [
        ("0xa", MatchType.COMPLEMENTARY),
        ("0xb", MatchType.MINT),
        ("0xc", MatchType.COMPLEMENTARY),
    ]
    assert [f.taking if f.side == SELL else f.making for f in trade.makers][-1] == 5 * SHARE * 5500 // 10_000


def test_better_price_fills_before_earlier_order() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("early", "alice", YES, SELL, 5600, TEN))
    h.apply(limit("better", "bob", NO, BUY, 4500, TEN))  # a YES ask at 0.55
    events = h.apply(limit("t", "taker", YES, BUY, 5600, 15 * SHARE))
    (trade,) = events_of(events, Trade)
    assert [(f.order_id, f.price) for f in trade.makers] == [("0xbetter", 4500), ("0xearly", 5600)]


def test_taker_sweeps_levels_and_pays_each_maker_its_price() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("a", "alice", YES, SELL, 5000, TEN))
    h.apply(limit("b", "bob", YES, SELL, 5200, TEN))
    events = h.apply(limit("t", "taker", YES, BUY, 5500, 20 * SHARE))
    (trade,) = events_of(events, Trade)
    assert [f.taking for f in trade.makers] == [5 * SHARE, 5_200_000]
    assert trade.taker_fill == 11 * SHARE  # 20 shares at its limit; the exchange refunds 0.8 USDC
    assert trade.taker_taking == 20 * SHARE


def test_partial_fill_keeps_maker_live_with_remaining_in_maker_units() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("m", "maker", YES, BUY, 4000, TEN))  # remaining is USDC: 4.00
    events = h.apply(limit("t", "taker", YES, SELL, 4000, 6 * SHARE))
    updates = {e.order_id: e for e in events_of(events, OrderUpdated)}
    assert updates["0xm"].remaining == 1_600_000
    assert updates["0xm"].status == OrderStatus.LIVE
    assert updates["0xt"].status == OrderStatus.MATCHED
    view = h.engine.order(updates["0xm"].order_id)
    assert view is not None
    assert (view.remaining, view.size, view.price) == (1_600_000, 4 * SHARE, 4000)
    deltas = events_of(events, BookDelta)
    assert BookDelta(MARKET, YES, BUY, 4000, 4 * SHARE) in deltas
    assert BookDelta(MARKET, NO, SELL, 6000, 4 * SHARE) in deltas


def test_partial_fill_rests_the_taker_remainder_at_its_limit() -> None:
    h = Harness()
    h.apply(market_command())
    h.apply(limit("m", "maker", NO, BUY, 4500, 5 * SHARE))
    events = h.apply(limit("t", "taker", YES, BUY, 5500, TEN))
    (update,) = [e for e in events_of(events, OrderUpdated) if e.order_id == "0xt"]
    assert update.status == OrderStatus.LIVE
    assert update.remaining == 5 * SHARE * 5500 // 10_000
    assert h.engine.best_bid_ask(YES) == (5500, None)
    assert h.engine.best_bid_ask(NO) == (None, 4500)


def test_market_buy_with_off_tick_ratio_gets_its_shares_and_a_refund() -> None:
    """py-clob-client's $100 market buy at 0.55: 100 USDC for 181.8181 shares (ratio off tick)."""
    h = Harness()
    h.apply(market_command())
    h.apply(limit("m", "maker", YES, SELL, 5500, 200 * SHARE))
    events = h.apply(raw("t", "taker", YES, BUY, 100_000_000, 181_818_100, OrderType.FOK))
    (trade,) = events_of(events, Trade)
    assert trade.taker_fill == 100_000_000
    assert trade.taker_taking == 181_818_100  # granule at 0.55 is 20 base units: exactly what it signed for
    assert trade.makers[0].taking == 99_999_955
    assert trade.makers[0].match_type == MatchType.COMPLEMENTARY


def test_market_buy_at_fine_tick_leaves_dust_and_counts_as_filled() -> None:
    """At 0.555 a granule is 200 base units; 180.1801 shares cannot be delivered exactly within 100 USDC."""
    h = Harness()
    h.apply(market_command(tick_decimals=3))
    h.apply(limit("m", "maker", YES, SELL, 5550, 200 * SHARE))
    events = h.apply(raw("t", "taker", YES, BUY, 100_000_000, 180_180_100, OrderType.FOK))
    (trade,) = events_of(events, Trade)
    assert trade.taker_taking == 180_180_000
    (update,) = [e for e in events_of(events, OrderUpdated) if e.order_id == "0xt"]
    assert update.status == OrderStatus.MATCHED
    assert 0 < update.remaining < 10_000  # dust, left unused in the contract's remaining


def test_fees_follow_the_contract_formula_for_maker_and_taker() -> None:
    h = Harness()
    h.apply(market_command(fee_rate_bps=100))
    h.apply(limit("m", "maker", YES, SELL, 3000, TEN, fee_rate_bps=100))
    events = h.apply(limit("t", "taker", YES, BUY, 3000, TEN, fee_rate_bps=100))
    (trade,) = events_of(events, Trade)
    # SELL maker: rate * min(p, 1-p) * shares = 1% * 0.3 * 10 = 0.03 USDC
    assert trade.makers[0].fee == 30_000
    # BUY taker: rate * min(p, 1-p) * shares / p = 1% * 0.3 * 10 / 0.3 = 0.1 share
    assert trade.taker_fee == 100_000


def test_mint_and_merge_conserve_collateral_in_the_contract_model() -> None:
    h = Harness()
    h.apply(market_command(fee_rate_bps=50))
    h.apply(limit("n1", "nina", NO, BUY, 3700, 9 * SHARE, fee_rate_bps=50))
    h.fund("tom")
    h.fund("sam")
    locked = h.model.ctf_collateral
    h.apply(limit("t1", "tom", YES, BUY, 6500, 9 * SHARE, fee_rate_bps=50))  # MINT 9 shares
    assert h.model.ctf_collateral == locked + 9 * SHARE
    h.apply(limit("s1", "sam", NO, SELL, 3000, 8 * SHARE, fee_rate_bps=50))
    h.apply(limit("t2", "tom", YES, SELL, 6000, 8 * SHARE, fee_rate_bps=50))  # MERGE 8 shares
    assert h.model.ctf_collateral == locked + SHARE
    assert len(h.trades) == 2
