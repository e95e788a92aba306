"""The discrepancy store, the scheduled job and the CLI on SQLite and PostgreSQL (no chain needed).

- Migration ``0004`` creates exactly the tables ``store.schema.reconcile`` declares.
- One row per (kind, subject) across runs: inserted once, refreshed while it persists (``first_seen_ms`` and
  ``first_run_id`` kept), resolved when a run no longer finds it, reopened (and reported as new again) when it
  comes back; hooks fire on new ones only unless added with ``repeat``; a failing hook does not fail the run.
- ``Reconciler.schedule`` runs under apscheduler; ``python -m reconcile`` refuses before the indexer's
  first step and reports JSON after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from apscheduler.schedulers.background import BackgroundScheduler

from reconcile.rules import Discrepancy, Kind
from reconcile.runs import Reconciler, store_run
from store import Database, connect_database, metadata
from store.queries.reconciliation import list_discrepancies
from store.schema import orders
from store.schema.indexer import chain_cancellations, chain_cursor
from store.schema.reconcile import TABLES

ROOT = Path(__file__).resolve().parents[3]
MINE = {t.name for t in TABLES}


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = connect_database(db_url)
    yield database
    database.dispose()


def _table_of(diff: Any) -> str:
    if isinstance(diff, list):
        return _table_of(diff[0])
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if name in MINE:
            return str(name)
    return ""


def test_migration_matches_the_declared_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        present = set(conn.dialect.get_table_names(conn))
    assert [d for d in diffs if _table_of(d) in MINE] == []
    assert present >= MINE


def _store(db: Database, found: list[Discrepancy], now: int) -> tuple[int, list[Discrepancy], list[tuple[str, str]]]:
    return store_run(db, found, confirmed_block=7, stats={"trades": 1}, started_at_ms=now - 1, now_ms=now)


def test_one_row_per_discrepancy_across_runs(db: Database) -> None:
    a = Discrepancy(Kind.ORDER_CANCELLED_ON_CHAIN, "0xaa", {"cancel": [], "tx_hash": "0x01"})
    b = Discrepancy(Kind.FILL_WITHOUT_TRADE, "0x02:3", {"making": "5"})
    run1, opened, resolved = _store(db, [a, b], 1_000)
    assert (opened, resolved) == ([a, b], [])
    run2, opened, resolved = _store(db, [a, b], 2_000)
    assert (opened, resolved, run2) == ([], [], run1 + 1)
    a2 = Discrepancy(a.kind, a.subject, {"cancel": [], "tx_hash": "0x09"})  # fresher evidence
    run3, opened, resolved = _store(db, [a2], 3_000)
    assert (opened, resolved) == ([], [b.key])
    (row_a,) = list_discrepancies(db, subject="0xaa")
    assert (row_a.first_run_id, row_a.run_id, row_a.first_seen_ms, row_a.last_seen_ms) == (run1, run3, 1_000, 3_000)
    assert row_a.evidence == {"cancel": [], "tx_hash": "0x09"}
    (row_b,) = list_discrepancies(db, resolved=True)
    assert (row_b.subject, row_b.resolved_at_ms, row_b.run_id, row_b.evidence) == ("0x02:3", 3_000, run2, b.evidence)

    _run4, opened, resolved = _store(db, [b], 4_000)  # b is back, a is gone
    assert (opened, resolved) == ([b], [a.key])
    rows = {r.subject: r for r in list_discrepancies(db, resolved=None)}
    assert len(rows) == 2
    assert (rows["0x02:3"].resolved, rows["0x02:3"].resolved_at_ms, rows["0x02:3"].first_seen_ms) == (
        False,
        None,
        1_000,
    )
    assert (rows["0xaa"].resolved, rows["0xaa"].resolved_at_ms) == (True, 4_000)
    assert [r.subject for r in list_discrepancies(db, kind=str(Kind.FILL_WITHOUT_TRADE))] == ["0x02:3"]
    assert len(list_discrepancies(db, resolved=None, limit=1)) == 1
    assert list_discrepancies(db, resolved=None, limit=1, offset=1)[0].subject == "0xaa"


def _indexed(db: Database, confirmed: int = 5) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            chain_cursor.insert().values(
                name="main",
                chain_id=31337,
                last_block=confirmed + 2,
                head_block=confirmed + 2,
                confirmed_block=confirmed,
                updated_at_ms=0,
            )
        )


def _live_order_cancelled_on_chain(db: Database, order_id: str) -> None:
    signed = {"makerAmount": "5000000", "nonce": "0", "side": "SELL", "tokenId": "7"}
    with db.engine.begin() as conn:
        conn.execute(
            orders.insert().values(
                order_id=order_id,
                market="0x" + "cc" * 32,
                asset_id="7",
                owner="key",
                maker="0x" + "0b" * 20,
                side="SELL",
                price="0.5",
                original_size=5_000_000,
                size_matched=0,
                status="LIVE",
                order_type="GTC",
                expiration=0,
                created_at=0,
                signed_order=json.dumps(signed),
                associate_trades="[]",
                journal_seq=1,
            )
        )
        conn.execute(
            chain_cancellations.insert().values(
                block_number=3, log_index=0, tx_hash="0x" + "0d" * 32, order_hash=order_id
            )
        )


def test_hooks_fire_on_new_discrepancies_and_repeat_when_asked(db: Database) -> None:
    _indexed(db)
    order_id = "0x" + "0e" * 32
    _live_order_cancelled_on_chain(db, order_id)
    reconciler = Reconciler(db, holdings=None)
    once: list[str] = []
    every: list[str] = []

    def broken(kind: str, subject: str, evidence: Mapping[str, Any]) -> None:
        raise RuntimeError("the hook's own bug")

    reconciler.add_hook(broken)
    reconciler.add_hook(lambda _k, subject, _e: once.append(subject))
    reconciler.add_hook(lambda _k, subject, _e: every.append(subject), repeat=True)
    first = reconciler.run_once()
    assert [d.key for d in first.discrepancies] == [(Kind.ORDER_CANCELLED_ON_CHAIN, order_id)]
    reconciler.run_once()
    assert (once, every) == ([order_id], [order_id, order_id])


def test_the_scheduled_job_runs_and_an_empty_book_is_clean(db: Database) -> None:
    _indexed(db)
    reconciler = Reconciler(db)
    done = threading.Event()
    reconciler.add_hook(lambda *_: None)
    scheduler = BackgroundScheduler()
    scheduler.add_listener(lambda _event: done.set(), mask=2**12)  # EVENT_JOB_EXECUTED
    job = reconciler.schedule(scheduler, seconds=0.05)
    scheduler.start()
    try:
        assert done.wait(10)
    finally:
        scheduler.shutdown(wait=True)
    assert job.id == "reconcile-main"
    assert list_discrepancies(db, resolved=None) == []
    with db.engine.connect() as conn:
        runs = conn.exec_driver_sql("SELECT count(*), max(found) FROM reconciliation_runs").one()
    assert runs[0] >= 1
    assert runs[1] == 0


def _cli(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "reconcile", "--db", db.url, *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_cli_refuses_before_the_indexer_ran_then_reports_json(db: Database) -> None:
    before = _cli(db, "--json")
    assert before.returncode == 1, before.stderr
    assert "has not run" in json.loads(before.stdout)["error"]
    _indexed(db)
    after = _cli(db, "--json")
    assert after.returncode == 0, after.stderr
    report = json.loads(after.stdout)
    assert (report["found"], report["confirmed_block"], report["discrepancies"]) == (0, 5, [])
    listed = _cli(db, "--list", "--all")
    assert (listed.returncode, listed.stdout) == (0, "")
