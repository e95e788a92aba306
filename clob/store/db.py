"""Database connection: SQLite (WAL) by default, PostgreSQL by URL, always migrated with Alembic.

Durability: on SQLite the journal commits with ``synchronous=FULL`` by default (a commit survives power loss);
``synchronous=NORMAL`` (``PRAGMA`` via ``sqlite_synchronous``) survives a killed process but not an OS crash and
is faster. PostgreSQL commits with ``synchronous_commit=on``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

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


def _sqlite_pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def connect_database(url: str, *, migrate: bool = True, sqlite_synchronous: str = "FULL") -> Database:
    """Open (and by default migrate) the database at ``url``."""
    if sqlite_synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError("sqlite_synchronous must be FULL, NORMAL or EXTRA")
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Pooled connections stay open: closing the last connection to a WAL database forces a checkpoint
        # (~20 ms) on every transaction.
        pool_args: dict[str, Any] = {"poolclass": StaticPool} if memory else {"pool_size": 8, "max_overflow": 8}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool_args)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    db = Database(url=url, engine=engine)
    if migrate:
        db.migrate()
    return db
