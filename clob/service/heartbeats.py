"""Heartbeats: a dead man's switch per user (wallet address).

``POST /v1/heartbeats`` with ``{"heartbeat_id": null}`` starts a session and returns its id; later beats send the
id back. Once started, a user whose last beat is older than the timeout (10 s by default) has all their orders
cancelled by the monitor (`ExchangeService.run_heartbeat_monitor`), and the session ends: heartbeats must be
started again. A beat with an id that is not the user's current session is refused, so a stale client cannot keep
a newer session alive by accident.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update

from clob.service.errors import ErrorCode, ServiceError
from store.db import Database
from store.schema import heartbeats


class Heartbeats:
    def __init__(self, timeout_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[str, float]] = {}

    def beat(self, address: str, heartbeat_id: str | None) -> str:
        """Record a beat; return the session id. ``None`` (or "") starts a new session."""
        now = self._clock()
        with self._lock:
            current = self._sessions.get(address)
            if heartbeat_id:
                if current is None or current[0] != heartbeat_id:
                    raise ServiceError(
                        ErrorCode.INVALID_HEARTBEAT,
                        "invalid heartbeat id: no such active heartbeat session; send null to start one",
                    )
                session = heartbeat_id
            else:
                session = str(uuid.uuid4())
            self._sessions[address] = (session, now)
        return session

    def lapsed(self) -> list[str]:
        """Addresses whose session timed out; their sessions end."""
        deadline = self._clock() - self.timeout_s
        with self._lock:
            gone = [address for address, (_id, last) in self._sessions.items() if last < deadline]
            for address in gone:
                del self._sessions[address]
        return gone

    def active(self, address: str) -> bool:
        with self._lock:
            return address in self._sessions


class SharedHeartbeats:
    """The same sessions in the database, for several API gateways (distributed mode).

    A beat is one conditional write; expiry is one ``DELETE ... RETURNING``, so when several gateways run the
    monitor each lapsed user is claimed (and their orders cancelled) by exactly one of them. Times are wall-clock
    milliseconds: gateways must keep NTP time.
    """

    def __init__(self, db: Database, timeout_s: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.timeout_s = timeout_s
        self._clock = clock

    def beat(self, address: str, heartbeat_id: str | None) -> str:
        now_ms = int(self._clock() * 1000)
        with self.db.engine.begin() as conn:
            if heartbeat_id:
                updated = conn.execute(
                    update(heartbeats)
                    .where(heartbeats.c.address == address, heartbeats.c.session == heartbeat_id)
                    .values(last_ms=now_ms)
                ).rowcount
                if updated != 1:
                    raise ServiceError(
                        ErrorCode.INVALID_HEARTBEAT,
                        "invalid heartbeat id: no such active heartbeat session; send null to start one",
                    )
                return heartbeat_id
            session = str(uuid.uuid4())
            conn.execute(delete(heartbeats).where(heartbeats.c.address == address))
            conn.execute(insert(heartbeats).values(address=address, session=session, last_ms=now_ms))
            return session

    def lapsed(self) -> list[str]:
        deadline = int((self._clock() - self.timeout_s) * 1000)
        with self.db.engine.begin() as conn:
            rows = conn.execute(
                delete(heartbeats).where(heartbeats.c.last_ms < deadline).returning(heartbeats.c.address)
            ).all()
        return [str(r.address) for r in rows]

    def active(self, address: str) -> bool:
        with self.db.engine.connect() as conn:
            found = conn.execute(select(heartbeats.c.address).where(heartbeats.c.address == address)).first()
        return found is not None
