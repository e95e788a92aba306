"""Heartbeats: a dead man's switch per user (wallet address).

``POST /v1/heartbeats`` with ``{"heartbeat_id": null}`` starts a session and returns its id; later beats send the
id back. Once started, a user whose last beat is older than the timeout (10 s by default) has all their orders
cancelled by the monitor (`HeartbeatSwitch.run_monitor`), and the session ends: heartbeats must be
started again. A beat with an id that is not the user's current session is refused, so a stale client cannot keep
a newer session alive by accident.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update

from clob.auth import L2Credentials
from clob.engine import UnixSeconds
from clob.engine.types import Address as EngineAddress
from clob.service.errors import ErrorCode, ServiceError
from clob.service.outcomes import cancel_all_command
from clob.service.ports import CommandStream
from clob.service.sequencing import await_all
from clob.service.submission import Submission
from store.db import Database
from store.schema import heartbeats

log = logging.getLogger(__name__)


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


class HeartbeatSwitch:
    """The dead man's switch: users' beats (POST /v1/heartbeats), and the monitor that cancels every order of a
    user whose heartbeat lapsed."""

    def __init__(
        self, beats: Heartbeats | SharedHeartbeats, stream: CommandStream, clock: Callable[[], float] = time.time
    ) -> None:
        self.beats = beats
        self.stream = stream
        self.clock = clock

    def heartbeat(self, creds: L2Credentials, heartbeat_id: str | None) -> str:
        return self.beats.beat(creds.address, heartbeat_id)

    async def expire(self) -> list[str]:
        """Cancel all orders of every user whose heartbeat lapsed; return those users."""
        gone = await asyncio.to_thread(self.beats.lapsed)
        now = UnixSeconds(int(self.clock()))
        futures = [
            self.stream.submit(Submission(cancel_all_command(now, EngineAddress(address)), {"reason": "heartbeat"}))
            for address in gone
        ]
        await await_all(futures)
        return gone

    async def run_monitor(self, interval_s: float | None = None) -> None:
        """Forever: expire lapsed heartbeats every ``interval_s`` (default: a quarter of the timeout, ≤ 1 s)."""
        interval = interval_s if interval_s is not None else min(1.0, self.beats.timeout_s / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire()
            except Exception:
                log.exception("heartbeat monitor failed")
