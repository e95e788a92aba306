"""The batcher's reads of ``trades`` stay bounded as the backlog grows: the oldest N waiting trades in journal
order, and every statement of a settle cycle answered through an index (SQLite's query plan), never a scan."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text, update

from settlement.config import SettlementConfig
from settlement.store import SettlementStore
from store import Database, connect_database
from store.schema import trades
from tests.unit.settlement.fakes import CHAIN_ID, FakeChain, TradeFactory
from tests.unit.settlement.test_batcher import make_batcher


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "template.db"
    connect_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db(migrated: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "unit.db"
    shutil.copyfile(migrated, path)
    database = connect_database(f"sqlite:///{path}", migrate=False)
    yield database
    database.dispose()


def _set(db: Database, trade_id: str, **values: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(trades).where(trades.c.trade_id == trade_id).values(**values))


def test_pending_trades_are_the_oldest_waiting_ones_in_journal_order(db: Database) -> None:
    factory = TradeFactory(db)
    ids = [factory.add(taker=i % 3, maker=3 + i % 3)[0] for i in range(12)]
    _set(db, ids[1], status="RETRYING")
    _set(db, ids[4], status="RETRYING")
    _set(db, ids[0], settlement_batch=7)  # owned by a transaction
    _set(db, ids[2], status="CONFIRMED", settlement_batch=3)
    _set(db, ids[3], status="FAILED")
    _set(db, ids[5], status="RETRYING", settlement_batch=9)  # re-sent after a reorg: owned
    store = SettlementStore(db, CHAIN_ID, "0x" + "11" * 20)
    waiting = [ids[1], *ids[4:5], *ids[6:]]
    assert [t.trade_id for t in store.pending_trades(4)] == waiting[:4]
    assert [t.trade_id for t in store.pending_trades(100)] == waiting
    assert [t.status.value for t in store.pending_trades(2)] == ["RETRYING", "RETRYING"]
    assert store.pending_count() == len(waiting)
    assert store.pending_count() >= len(waiting)
    assert True


def _plans(db: Database, statements: list[tuple[str, Any]]) -> list[str]:
    out = []
    with db.engine.connect() as conn:
        for sql, params in statements:
            if "trades" not in sql or sql.lstrip().upper().startswith("INSERT"):
                continue
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            out += [f"{r[-1]}  <-  {sql.split()[0]} {sql[:160]}" for r in rows]
    return out


def test_a_settle_cycle_reads_trades_through_indexes_only(db: Database) -> None:
    factory = TradeFactory(db)
    for i in range(30):
        factory.add(taker=i % 4, maker=4 + i % 4)
    chain = FakeChain()
    batcher = make_batcher(db, chain, max_in_flight=2, max_trades_per_tx=5)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not many:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(6):
            batcher.step()
            chain.mine()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM trades WHERE status = 'CONFIRMED'")).scalar_one() > 0
    plans = _plans(db, seen)
    assert plans, "the cycle ran statements on trades"
    scans = [p for p in plans if p.startswith("SCAN trades") or p.startswith("SCAN TABLE trades")]
    assert scans == [], "\n".join(scans)


def test_a_backlog_keeps_the_default_number_of_transactions_in_flight_without_waiting_for_receipts(
    db: Database,
) -> None:
    factory = TradeFactory(db)
    for i in range(40):
        factory.add(taker=i % 4, maker=4 + i % 4)
    chain = FakeChain()
    reads = {"base_fee": 0, "priority_fee": 0}
    base_fee, priority_fee = chain.base_fee, chain.priority_fee

    def counted_base_fee() -> int:
        reads["base_fee"] += 1
        return base_fee()

    def counted_priority_fee() -> int:
        reads["priority_fee"] += 1
        return priority_fee()

    chain.base_fee = counted_base_fee  # type: ignore[method-assign]
    chain.priority_fee = counted_priority_fee  # type: ignore[method-assign]
    batcher = make_batcher(db, chain, max_trades_per_tx=3, priority_fee_wei=None)
    k = SettlementConfig().max_in_flight
    assert k >= 8, "a block's worth of transactions and the next one's"
    batcher.step()
    nonces = sorted(tx.nonce for tx in chain.pool.values())
    assert nonces == list(range(k)), "K transactions broadcast in one flush, consecutive nonces, none mined"
    assert reads == {"base_fee": 1, "priority_fee": 1}, "fees read once per flush, not per transaction"
    chain.mine()
    batcher.step()
    assert len(chain.pool) == min(k, 14 - k), "the slots freed by the mined block are refilled at once"
