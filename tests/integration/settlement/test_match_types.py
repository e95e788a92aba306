"""Every match type settles on anvil, and every balance ends where the engine's trades say it must."""

from __future__ import annotations

import pytest

from chain.exchange import Side
from tests.integration.settlement.world import World

pytestmark = pytest.mark.chain

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def make_trades(world: World, market: int) -> None:
    """COMPLEMENTARY, MINT, MERGE, and one taker across all three kinds of maker."""
    w = world
    w.place(0, market, YES, SELL, 60, 100)
    w.place(1, market, YES, BUY, 60, 100)  # COMPLEMENTARY
    w.place(2, market, NO, BUY, 35, 40)
    w.place(3, market, YES, BUY, 65, 40)  # MINT (BUY YES at 0.65 vs BUY NO at 0.35)
    w.place(4, market, NO, SELL, 30, 50)
    w.place(5, market, YES, SELL, 70, 50)  # MERGE (SELL YES at 0.70 vs SELL NO at 0.30)
    # one taker, three makers: SELL YES @0.50 (COMPLEMENTARY), BUY NO @0.45 (MINT), better price first
    w.place(0, market, YES, SELL, 50, 30)
    w.place(1, market, NO, BUY, 45, 30)
    w.place(2, market, YES, BUY, 58, 60)
    # a SELL taker against BUY YES (COMPLEMENTARY) and SELL NO (MERGE)
    w.place(3, market, YES, BUY, 40, 20)
    w.place(4, market, NO, SELL, 55, 20)
    w.place(5, market, YES, SELL, 40, 40)


def test_each_match_type_settles_and_balances_equal_the_engine(world: World) -> None:
    before = world.balances()
    for market in (0, 1):  # fee 0 and fee 100 bps
        make_trades(world, market)
    payloads = world.payloads(("MATCHED",))
    kinds = {m["match_type"] for p in payloads for m in p["makers"]}
    assert kinds == {"COMPLEMENTARY", "MINT", "MERGE"}
    assert any(len(p["makers"]) > 1 for p in payloads), "a multi-maker match"
    assert any(int(p["taker_fee"]) > 0 for p in payloads), "fees are exercised"

    batcher = world.batcher()
    seen: list[tuple[str, str]] = []
    batcher.add_listener(lambda tid, status, _h: seen.append((tid, status)))
    rows: list[tuple[dict[str, object], str, str]] = []
    batcher.add_row_listener(lambda row, status, tx_hash: rows.append((dict(row), status, tx_hash)))
    world.settle(batcher)
    # what the WebSocket hub renders a user `trade` event from (WsHub.on_trade_status)
    needed = {"trade_id", "taker_order_id", "market", "asset_id", "side", "size", "price", "fee_rate_bps"}
    for row, status, tx_hash in rows:
        assert needed | {"taker", "match_time", "makers"} <= set(row)
        assert row["status"] == status
        assert row["transaction_hash"] == tx_hash
        assert all(
            {"order_id", "maker", "matched_amount", "price", "token_id", "side"} <= set(m) for m in row["makers"]
        )  # type: ignore[attr-defined]

    assert set(world.statuses().values()) == {"CONFIRMED"}
    assert len(world.payloads()) == len(payloads)
    world.assert_settled_exactly_once(before)
    for row in world.trade_rows():
        assert row.transaction_hash.startswith("0x")
        assert len(row.transaction_hash) == 66
        assert [s for t, s in seen if t == row.trade_id] == ["MINED", "CONFIRMED"]
    assert batcher.stats.txs_sent == 1, "all of them in one matchOrdersBatch"


def test_one_match_orders_per_trade_without_the_batch_entry_point(lite_world: World) -> None:
    world = lite_world
    before = world.balances()
    make_trades(world, 1)
    n = len(world.payloads(("MATCHED",)))
    batcher = world.batcher(use_batch=False, max_in_flight=8)
    world.settle(batcher)
    assert set(world.statuses().values()) == {"CONFIRMED"}
    assert batcher.stats.txs_sent == n
    world.assert_settled_exactly_once(before)
