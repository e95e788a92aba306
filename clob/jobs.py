"""Background runs as apscheduler 3 interval jobs (the indexer's follower and the reconciler)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def add_interval_job(scheduler: Any, func: Callable[[], object], seconds: float, job_id: str) -> Any:
    """Run ``func`` every ``seconds`` on ``scheduler``, never overlapping itself: one instance at a time, missed
    runs coalesced into one, and a job already added under ``job_id`` replaced. Returns the apscheduler job."""
    return scheduler.add_job(
        func, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True, replace_existing=True
    )
