"""Running the batcher on a schedule (apscheduler 3, one background thread).

One interval job calls ``Batcher.step()`` every ``poll_interval``: it reconciles the in-flight transactions and
flushes when ``flush_interval`` has passed since the last flush or ``flush_size`` trades are pending. ``notify()``
(e.g. from the sequencer's listener when trades are produced) runs the job at once instead of at its next tick.
The executor has one worker and the job one instance, so steps never overlap.

When the RPC endpoint is unreachable a step fails fast; the service then backs off (doubling up to
``MAX_BACKOFF`` seconds) and tries again, with nothing lost: every decision is re-derived from the database and
the chain on the next successful step.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from settlement.batcher import Batcher
from settlement.errors import RpcUnavailableError

log = logging.getLogger(__name__)

JOB_ID = "settlement-step"
MAX_BACKOFF = 2.0


class _SkipOverlapWarnings(logging.Filter):
    """A step that outlasts ``poll_interval`` makes apscheduler skip the next run, by design (one instance);
    that is not worth a warning per tick."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


_scheduler_log = logging.getLogger("settlement.scheduler")
_scheduler_log.addFilter(_SkipOverlapWarnings())


class SettlementService:
    """Owns the scheduler that drives one ``Batcher``."""

    def __init__(self, batcher: Batcher) -> None:
        self.batcher = batcher
        self._scheduler = BackgroundScheduler(
            logger=_scheduler_log,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._recovered = False
        self._running = threading.Event()
        self._again = threading.Event()
        self._backoff = 0.0
        self._retry_at = 0.0
        self._errors_logged = 0

    def start(self) -> None:
        interval = self.batcher.config.poll_interval
        self._scheduler.add_job(self._tick, "interval", seconds=interval, id=JOB_ID, next_run_time=datetime.now(UTC))
        self._scheduler.start()

    def stop(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    def notify(self) -> None:
        """New trades may be pending: step now rather than at the next tick."""
        if self._running.is_set():
            self._again.set()
            return
        try:
            self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
        except Exception:  # not started yet, or shutting down
            log.debug("notify ignored: scheduler not running")

    def _tick(self) -> None:
        if time.monotonic() < self._retry_at:
            return
        self._running.set()
        try:
            while True:
                self._again.clear()
                self._step()
                if not self._again.is_set() or time.monotonic() < self._retry_at:
                    break
        finally:
            self._running.clear()

    def _step(self) -> None:
        try:
            if not self._recovered:
                self.batcher.recover()
                self._recovered = True
            self.batcher.step()
            if self._backoff:
                log.info("settlement: RPC reachable again")
            self._backoff = 0.0
            self._errors_logged = 0
        except RpcUnavailableError as exc:
            self.batcher.stats.rpc_errors += 1
            self.batcher.stats.last_error = str(exc)
            self._backoff = min(MAX_BACKOFF, max(self.batcher.config.poll_interval, self._backoff * 2))
            self._retry_at = time.monotonic() + self._backoff
            if self._errors_logged < 3:
                log.warning("settlement: RPC unavailable (%s); retrying in %.1fs", exc, self._backoff)
            self._errors_logged += 1
        except Exception as exc:
            self.batcher.stats.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("settlement step failed")
            self._retry_at = time.monotonic() + 1.0
