"""SQLite WAL checkpoints off the writer's commits (store.db.WalCheckpointer)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from store import Database, WalCheckpointer, connect_database


def _write(db_url: str, rows: int, autocheckpoint: int) -> Database:
    db = connect_database(db_url, sqlite_autocheckpoint=autocheckpoint)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, data BLOB)"))
    for i in range(rows):
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (data) VALUES (:d)"), {"d": bytes(2000) + i.to_bytes(4, "big")})
    return db


def test_the_writer_leaves_checkpoints_to_the_checkpointer(tmp_path: Path) -> None:
    db = _write(f"sqlite:///{tmp_path / 'a.db'}", 300, autocheckpoint=100_000)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 100_000
    checkpointer = WalCheckpointer(db)
    busy, frames, done = checkpointer.checkpoint()
    assert busy == 0
    assert frames >= 300  # every commit stayed in the WAL: nobody checkpointed during the writes
    assert done == frames
    assert checkpointer.checkpoint() == (0, frames, frames)  # nothing new: the same frames, all in the file
    db.dispose()


def test_sqlite_default_autocheckpoint_runs_inside_commits(tmp_path: Path) -> None:
    db = _write(f"sqlite:///{tmp_path / 'b.db'}", 300, autocheckpoint=50)
    _busy, frames, _done = WalCheckpointer(db).checkpoint()
    assert frames < 300  # commits checkpointed on their own (what the API process avoids)
    db.dispose()


def test_the_thread_checkpoints_periodically_and_stops(tmp_path: Path) -> None:
    db = _write(f"sqlite:///{tmp_path / 'c.db'}", 20, autocheckpoint=100_000)
    checkpointer = WalCheckpointer(db, interval_s=0.02)
    checkpointer.start()
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    checkpointer.stop()
    assert checkpointer.checkpoints >= 2
    after = checkpointer.checkpoints
    time.sleep(0.1)
    assert checkpointer.checkpoints == after
    db.dispose()


def test_nothing_to_do_on_postgresql(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    db = connect_database(db_url)
    checkpointer = WalCheckpointer(db, interval_s=0.01)
    checkpointer.start()
    assert checkpointer._thread is None
    checkpointer.stop()
    db.dispose()


def test_a_negative_autocheckpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="autocheckpoint"):
        connect_database(f"sqlite:///{tmp_path / 'd.db'}", sqlite_autocheckpoint=-1)
