"""Database connection: SQLite (WAL) by default, PostgreSQL by URL, always migrated with Alembic.

Durability: on SQLite the journal commits with ``synchronous=FULL`` by default (a commit survives power loss);
``synchronous=NORMAL`` (``PRAGMA`` via ``sqlite_synchronous``) survives a killed process but not an OS crash and
is faster. PostgreSQL commits with ``synchronous_commit=on``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass
class Database:
    """An SQLAlchemy engine plus what the rest of the code needs to know about the backend."""

    url: str
    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(synchronous: str, autocheckpoint: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def connect_database(
    url: str, *, migrate: bool = True, sqlite_synchronous: str = "FULL", sqlite_autocheckpoint: int = 1000
) -> Database:
    """Open (and by default migrate) the database at ``url``. ``sqlite_autocheckpoint``: WAL pages after which a
    committing connection checkpoints (SQLite's default 1000; a process that runs a `WalCheckpointer` sets it high,
    so its writer's commits never pay for one)."""
    if sqlite_synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError("sqlite_synchronous must be FULL, NORMAL or EXTRA")
    if sqlite_autocheckpoint < 0:
        raise ValueError("sqlite_autocheckpoint must be >= 0 pages (0: never)")
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Pooled connections stay open: closing the last connection to a WAL database forces a checkpoint
        # (~20 ms) on every transaction.
        pool_args: dict[str, Any] = {"poolclass": StaticPool} if memory else {"pool_size": 8, "max_overflow": 8}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool_args)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous, sqlite_autocheckpoint))
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    db = Database(url=url, engine=engine)
    if migrate:
        db.migrate()
    return db


class WalCheckpointer:
    """Checkpoints an SQLite WAL from its own thread and connection every ``interval_s`` (``PASSIVE``: it copies what
    no reader still needs and never blocks the writer). Often (50 ms by default), so that each checkpoint is small:
    a large one's fsync of the database file slows the writer's own WAL fsyncs meanwhile.

    Left to SQLite, the commit that takes the WAL past ``wal_autocheckpoint`` pages does the checkpoint itself, with
    its fsyncs, while the caller waits: with the sequencer committing every few milliseconds that is one request in
    a hundred or so taking several milliseconds longer (bench/api-results.md). Here the writer's commits only
    append to the WAL, and the connections' own auto-checkpoint (set high) stays as a backstop."""

    def __init__(self, db: Database, interval_s: float = 0.05) -> None:
        self.db = db
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """Checkpoints run (for tests and metrics)."""

    def start(self) -> None:
        if self._thread is None and self.db.is_sqlite:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, WAL frames, frames checkpointed), as SQLite reports them."""
        conn = self.db.engine.raw_connection()
        try:
            cur = conn.cursor()
            row = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cur.close()
        finally:
            conn.close()
        self.checkpoints += 1
        return int(row[0]), int(row[1]), int(row[2])

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint()
            except Exception:
                log.exception("WAL checkpoint failed; SQLite's own auto-checkpoint still bounds the WAL")
