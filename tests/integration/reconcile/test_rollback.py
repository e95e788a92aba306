"""Reconciliation across a chain rollback: while the chain lacks settlements the book calls CONFIRMED the
reconciler says so (TRADE_NOT_ON_CHAIN); once the batcher has noticed, the trades in flight again are not
reported, and after they settle again nothing is open and every discrepancy of the episode is resolved."""

from __future__ import annotations

import pytest

from indexer import Indexer, IndexerConfig, RpcSource
from reconcile.rules import Kind
from reconcile.runs import Reconciler
from store.queries.reconciliation import list_discrepancies
from tests.integration.settlement.test_rollback import run_until_idle, trade_burst
from tests.integration.settlement.world import World

pytestmark = [pytest.mark.chain, pytest.mark.slow]

CONFIRMATIONS = 2


def test_discrepancies_of_a_rollback_resolve_once_the_chain_settles_again(world: World) -> None:
    w = world
    snap = w.anvil.snapshot()
    source = RpcSource(w.anvil.url)
    indexer = Indexer(
        w.db, source, IndexerConfig.from_manifest(w.manifest, confirmations=CONFIRMATIONS, reorg_window=8)
    )
    reconciler = Reconciler(w.db)
    try:
        trade_burst(w, 0)
        trade_burst(w, 1)
        batcher = w.batcher(use_batch=False, chain_check_interval=0.0)  # checks at every step
        w.settle(batcher)
        w.anvil.mine(CONFIRMATIONS)
        indexer.run_until_synced()
        assert reconciler.run_once().discrepancies == ()
        trades = set(w.statuses())

        assert w.anvil.revert(snap)  # the chain loses every settlement
        w.reset_nonces()
        w.anvil.mine(30)  # and grows past the blocks the book recorded
        indexer.run_until_synced()
        found = reconciler.run_once()
        assert {x.subject for x in found.discrepancies if x.kind == Kind.TRADE_NOT_ON_CHAIN} == trades

        batcher.step()  # the batcher's next check: the trades are in flight again, not a discrepancy
        assert set(w.statuses().values()) <= {"RETRYING", "MINED"}
        indexer.run_until_synced()
        assert reconciler.run_once().discrepancies == ()

        run_until_idle(w, batcher)
        w.anvil.mine(CONFIRMATIONS)
        indexer.run_until_synced()
        assert reconciler.run_once().discrepancies == ()
        assert list_discrepancies(w.db) == [], "nothing open"
        resolved = list_discrepancies(w.db, resolved=True, kind=str(Kind.TRADE_NOT_ON_CHAIN))
        assert {r.subject for r in resolved} == trades
    finally:
        source.close()
