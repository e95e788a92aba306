"""Leadership of a shard: one active sequencer, any number of standbys.

PostgreSQL (the production store): a session-level advisory lock held on a dedicated connection. The server drops
it the moment that session ends, so a killed (even ``kill -9``) sequencer frees its shard at once and a standby
polling ``pg_try_advisory_lock`` takes over. SQLite (one machine): an exclusive ``flock`` on a file beside the
database, which the kernel releases when the process dies.

The lock decides who may write; the journal decides what is written: the journal's primary key (stream, seq)
refuses a second entry for a sequence number, so even a deposed leader that has not noticed cannot fork the
journal. A leader whose lock session breaks stops at once (`LeaderLock.watch`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from store.db import Database

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a shard name."""
    return int.from_bytes(hashlib.sha256(f"polyclob-shard:{name}".encode()).digest()[:8], "big", signed=True)


class LeaderLock:
    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._conn: Any = None
        self._file: IO[bytes] | None = None
        self._watch_stop = threading.Event()

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        if self.held:
            return True
        if self.db.is_sqlite:
            path = Path(self.db.engine.url.database or "polyclob.db").with_suffix(f".{self.name}.lock")
            handle = path.open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            return True
        conn = self.db.engine.connect()
        try:
            got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({lock_key(self.name)})").scalar())
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def alive(self) -> bool:
        """Whether the lock is still ours (its session answers)."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.exec_driver_sql("SELECT 1").scalar()
            self._conn.commit()
            return True
        except Exception:
            return False

    def watch(self, on_lost: Callable[[], None], interval_s: float = 1.0) -> threading.Thread:
        """Check the lock every ``interval_s``; call ``on_lost`` (once) when it is gone."""

        def loop() -> None:
            while not self._watch_stop.wait(interval_s):
                if not self.alive():
                    log.critical("shard %s: leadership lock lost", self.name)
                    on_lost()
                    return

        thread = threading.Thread(target=loop, name=f"lock-watch-{self.name}", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        self._watch_stop.set()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({lock_key(self.name)})")
                self._conn.commit()
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def exit_now() -> None:
    """Leave without cleanup: a deposed leader must not write one more byte."""
    os._exit(75)
