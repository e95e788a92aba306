"""GTD expiry on time: the sequencer's deadline timer for the engine's expiry sweep.

The engine cancels expired orders only when it is told to (`ExpireOrders`, which carries its own `now`, so a
replay of the journal expires exactly what the live engine expired). `ExpiryTimer` decides when: the sequencer asks
it, on its own thread, how long it may wait for the next command (``wait_s``: until the earliest expiry of a
resting order, `Engine.next_expiry`), and whether a sweep is due now (``due``). A due sweep goes first into the
next batch and is journaled like any other command; a sweep that would cancel nothing is refused by its precheck
and leaves no journal entry. Nothing is polled: with no GTD order resting the sequencer sleeps until a command
arrives. At start-up the first ``due`` finds the orders that expired while the stream was down and sweeps them at
once.

An order counts as expired `GTD_SAFETY_MARGIN_S` seconds before its signed expiration (the engine's rule, as
Polymarket's), and commands carry whole seconds, so a sweep runs within a few milliseconds of the second at which
its orders expire. The cancellations are ordinary `OrderCancelled` events (reason EXPIRED): the user channel's
``order`` CANCELLATION and the market channel's ``price_change`` follow from them as from any cancel.

Logging: one line per minute at most, counting the orders expired and the sweeps since the last line (the first
sweep with expiries is logged at once); a sweep whose commit failed is retried one second later, not in a loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from clob.engine import Engine, ExpireOrders, OrderCancelled, UnixSeconds
from clob.service.submission import UNSEQUENCED, Submission

log = logging.getLogger(__name__)

NOTHING_DUE = "no order expires at this time"
"""The precheck's refusal of a sweep that would cancel nothing (not journaled)."""

RETRY_S = 1.0
"""A sweep whose batch failed is tried again after this long."""
LOG_EVERY_S = 60.0
MAX_WAIT_S = 3600.0
"""The longest single wait (an expiration can be centuries away, beyond what a thread can wait for)."""


class ExpiryTimer:
    """When the GTD sweep is due, for one sequencer (its thread calls ``wait_s``, ``due`` and ``sent``)."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.monotonic = monotonic
        self._hold_until = 0.0
        self._expired = 0
        self._sweeps = 0
        self._logged_at: float | None = None

    def wait_s(self, engine: Engine) -> float | None:
        """How long the sequencer may block waiting for a command before a sweep is due (None: no GTD order
        rests, wait for a command)."""
        due = engine.next_expiry()
        if due is None:
            return None
        return min(max(due - self.clock(), self._hold_until - self.monotonic(), 0.0), MAX_WAIT_S)

    def due(self, engine: Engine) -> Submission | None:
        """The sweep to sequence now — its command and its precheck, which refuses it (nothing journaled) if, when
        its turn comes, it would cancel nothing — or None if none is due."""
        expires = engine.next_expiry()
        if expires is None or self.monotonic() < self._hold_until:
            return None
        now = UnixSeconds(int(self.clock()))
        if expires > now:
            return None

        def precheck(current: Engine) -> str | None:
            first = current.next_expiry()
            return None if first is not None and first <= now else NOTHING_DUE

        return Submission(ExpireOrders(UNSEQUENCED, now), {}, precheck)

    def sent(self, future: Future[Any]) -> None:
        """Follow the sweep just queued (callbacks run on the sequencer thread when its batch is answered)."""
        future.add_done_callback(self._answered)

    def _answered(self, future: Future[Any]) -> None:
        exc = future.exception()
        if exc is not None:
            self._hold_until = self.monotonic() + RETRY_S
            return
        outcome = future.result()
        if outcome.rejected is not None:
            return
        self._expired += sum(1 for ev in outcome.events if isinstance(ev, OrderCancelled))
        self._sweeps += 1
        now = self.monotonic()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_S:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Log what was expired since the last line, if anything."""
        if self._sweeps:
            log.info("GTD expiry: %d orders expired in %d sweeps", self._expired, self._sweeps)
        self._expired = self._sweeps = 0
        self._logged_at = self.monotonic() if now is None else now
