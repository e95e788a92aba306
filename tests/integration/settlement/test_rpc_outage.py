"""The RPC endpoint goes away for a while (default 30 s; ``SETTLEMENT_OUTAGE_S`` shortens it): nothing is lost,
nothing is settled twice, and the batcher catches up when the endpoint is back.

The batcher runs under its real scheduler (``SettlementService``) and reaches anvil only through a TCP proxy the
test closes; blocks keep coming meanwhile (a miner talks to anvil directly), so a transaction sent just before the
cut is mined during the outage and its receipt is only read afterwards.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from chain.exchange import Side
from settlement import SettlementService
from store.schema.settlement import settlement_txs
from tests.integration.settlement.proxy import TcpProxy
from tests.integration.settlement.world import Miner, World

pytestmark = [pytest.mark.chain, pytest.mark.slow]

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1
OUTAGE_S = float(os.environ.get("SETTLEMENT_OUTAGE_S", "30"))


def pair(w: World, market: int, cents: int, maker: int, taker: int) -> None:
    w.place(maker, market, YES, SELL, cents, 10)
    w.place(taker, market, YES, BUY, cents, 10)


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def tx_count(w: World) -> int:
    with w.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(settlement_txs)).scalar_one())


def test_rpc_down_nothing_lost_and_the_batcher_catches_up(lite_world: World) -> None:
    w = lite_world
    before = w.balances()
    with TcpProxy(w.anvil.port) as proxy, Miner(w.anvil, 0.25):
        batcher = w.batcher(rpc_url=proxy.url, confirmations=2, poll_interval=0.05, flush_interval=0.05, rpc_timeout=2)
        service = SettlementService(batcher)
        service.start()
        try:
            pair(w, 0, 60, 0, 1)
            wait_for(lambda: set(w.statuses().values()) == {"CONFIRMED"}, 30, "the first trade to confirm")

            pair(w, 0, 55, 2, 3)
            service.notify()
            wait_for(lambda: tx_count(w) == 2, 10, "the second transaction's intent")
            proxy.close()  # right after the send: its receipt can only be read after the outage
            outage_start = time.monotonic()

            pair(w, 1, 45, 4, 5)  # trades keep coming while the chain is unreachable
            pair(w, 1, 40, 0, 2)
            while time.monotonic() - outage_start < OUTAGE_S:
                time.sleep(0.5)
                assert tx_count(w) == 2, "no new transaction can be sent blind"
            statuses = list(w.statuses().values())
            assert statuses.count("CONFIRMED") == 1
            assert "FAILED" not in statuses
            assert batcher.stats.rpc_errors > 0

            proxy.open()
            reopened = time.monotonic()
            wait_for(lambda: set(w.statuses().values()) == {"CONFIRMED"}, 60, "catching up")
            caught_up_s = time.monotonic() - reopened
        finally:
            service.stop()
    assert len(w.trade_rows()) == 4
    w.assert_settled_exactly_once(before)
    assert caught_up_s < 20, f"caught up in {caught_up_s:.1f}s"
