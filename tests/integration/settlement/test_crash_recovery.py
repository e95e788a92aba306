"""Exactly once across crashes: the batcher runs in another process and ``os._exit``s at a crash point (no
cleanup, no flush: as good as ``kill -9``), then restarts. Every trade settles, none twice, whatever the point.

Crash points (``SettlementConfig.crash_at``):

- ``before_send``: the intent (nonce, signed bytes, trades) is committed, nothing was broadcast;
- ``after_send``: broadcast (and, with automine, mined) but not recorded as sent;
- ``after_receipt``: the receipt was read, the MINED state not written;
- ``before_confirm``: MINED written, at depth, CONFIRMED not written.
"""

from __future__ import annotations

import pytest

from chain.exchange import Side
from settlement import CRASH_POINTS
from settlement.batcher import CRASH_EXIT_CODE
from settlement.model import TxStatus
from settlement.store import SettlementStore
from tests.integration.settlement.world import Miner, World

pytestmark = [pytest.mark.chain, pytest.mark.slow]

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def trade_burst(w: World, market: int) -> None:
    w.place(0, market, YES, SELL, 60, 10)
    w.place(1, market, YES, BUY, 60, 10)  # COMPLEMENTARY
    w.place(2, market, NO, BUY, 35, 10)
    w.place(3, market, YES, BUY, 65, 10)  # MINT
    w.place(4, market, NO, SELL, 30, 10)
    w.place(5, market, YES, SELL, 70, 10)  # MERGE


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_at_each_crash_point_then_restart_settles_every_trade_exactly_once(world: World, point: str) -> None:
    crash_and_restart(world, point)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("point", ["before_send", "after_receipt"])
def test_crash_and_restart_on_postgresql(world: World, point: str) -> None:
    crash_and_restart(world, point)


def crash_and_restart(w: World, point: str) -> None:
    before = w.balances()
    trade_burst(w, 0)
    store = SettlementStore(w.db, w.chain_id, w.operator.address)
    with Miner(w.anvil, 0.2):
        crashed = w.cli("--crash-at", point, "--confirmations", "2")
        assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-3000:]

        txs = store.all_txs()
        assert len(txs) == 1, "one intent, written before anything was sent"
        tx = txs[0]
        statuses = set(w.statuses().values())
        if point == "before_send":
            assert tx.status == TxStatus.PENDING
            assert w.w3.eth.get_transaction_count(w.operator.address, "pending") == tx.nonce, "never broadcast"
            assert w.filled_counts() == {}, "nothing reached the chain"
            assert statuses == {"MATCHED"}
        elif point in ("after_send", "after_receipt"):
            assert tx.status == TxStatus.PENDING
            assert statuses == {"MATCHED"}
            assert sum(w.filled_counts().values()) > 0, "the transaction is on chain; the database does not know"
        else:
            assert tx.status == TxStatus.MINED
            assert statuses == {"MINED"}

        trade_burst(w, 1)  # more trades arrive while the batcher is down
        restarted = w.cli("--until-idle", "--confirmations", "2")
        assert restarted.returncode == 0, restarted.stderr[-3000:]

    assert set(w.statuses().values()) == {"CONFIRMED"}
    assert len(w.trade_rows()) == 6
    w.assert_settled_exactly_once(before)
    txs = store.all_txs()
    assert txs[0].nonce == tx.nonce
    assert txs[0].tx_hash == tx.tx_hash
    assert txs[0].status == TxStatus.CONFIRMED
    assert [t.status for t in txs] == [TxStatus.CONFIRMED] * len(txs)
    owned = [tid for t in txs for tid in t.trade_ids]
    assert sorted(owned) == sorted(w.statuses()), "each trade in exactly one transaction"
