"""Reconciliation runs: load a snapshot, apply the rules, store what disagrees, call the hooks.

One ``Reconciler.run_once()``:

1. **Snapshot** (``reconcile.snapshot``): the book, then the indexed chain, then the holdings.
2. **Rules** (pure): ``reconcile.rules.reconcile(snapshot)``.
3. **Store**, one transaction (``store_run``): a ``reconciliation_runs`` row, and in
   ``reconciliation_discrepancies`` one row per (kind, subject) ever seen — inserted when new, refreshed
   (``last_seen_ms``, ``run_id``, evidence) while it persists, ``resolved`` when a run no longer finds it, reopened
   if it comes back. Running twice over the same state changes nothing but ``last_seen_ms``/``run_id``.
4. **Feedback**: after the commit, hooks ``hook(kind, subject, evidence)`` are called for each discrepancy that is
   new or reopened (or, for hooks added with ``repeat=True``, for every one found, each run: for idempotent
   actions that must be retried until they take effect); see ``reconcile.hooks``.

This module writes the reconciliation tables; ``store.queries.reconciliation`` reads them.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from sqlalchemy import Engine, insert, select, tuple_, update

from clob.jobs import add_interval_job
from reconcile.rules import Discrepancy, reconcile
from reconcile.snapshot import HoldingsSource, IndexedHoldings, ReconcileError, load_snapshot
from store.db import Database
from store.queries.reconcile import chunks, engine_of
from store.schema.reconcile import reconciliation_discrepancies, reconciliation_runs

log = logging.getLogger(__name__)

Hook = Callable[[str, str, Mapping[str, Any]], None]
"""``hook(kind, subject, evidence)``, called after the run's commit."""


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys), as stored."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def store_run(
    db: Database | Engine,
    found: Sequence[Discrepancy],
    *,
    confirmed_block: int,
    stats: Mapping[str, int],
    started_at_ms: int,
    now_ms: int,
) -> tuple[int, list[Discrepancy], list[tuple[str, str]]]:
    """Record one run and its findings in one transaction: (run id, new or reopened, resolved keys)."""
    d = reconciliation_discrepancies.c
    keys = [x.key for x in found]
    with engine_of(db).begin() as conn:
        inserted = conn.execute(
            insert(reconciliation_runs).values(
                started_at_ms=started_at_ms,
                finished_at_ms=now_ms,
                confirmed_block=confirmed_block,
                found=len(found),
                opened=0,
                resolved=0,
                stats=dumps(dict(stats)),
            )
        )
        pk = inserted.inserted_primary_key
        assert pk is not None
        run_id = int(pk[0])
        existing: dict[tuple[str, str], tuple[int, bool]] = {}
        for row in conn.execute(select(d.id, d.kind, d.subject).where(d.resolved.is_(False))):
            existing[(row.kind, row.subject)] = (row.id, False)
        missing = [k for k in keys if k not in existing]
        for part in chunks(missing):
            for row in conn.execute(select(d.id, d.kind, d.subject).where(tuple_(d.kind, d.subject).in_(part))):
                existing[(row.kind, row.subject)] = (row.id, True)
        opened: list[Discrepancy] = []
        for x in found:
            evidence = dumps(dict(x.evidence))
            hit = existing.get(x.key)
            if hit is None:
                conn.execute(
                    insert(reconciliation_discrepancies).values(
                        run_id=run_id,
                        first_run_id=run_id,
                        kind=str(x.kind),
                        subject=x.subject,
                        evidence=evidence,
                        first_seen_ms=now_ms,
                        last_seen_ms=now_ms,
                        resolved=False,
                        resolved_at_ms=None,
                    )
                )
                opened.append(x)
                continue
            row_id, was_resolved = hit
            values: dict[str, Any] = {"run_id": run_id, "last_seen_ms": now_ms, "evidence": evidence}
            if was_resolved:
                values |= {"resolved": False, "resolved_at_ms": None}
                opened.append(x)
            conn.execute(update(reconciliation_discrepancies).where(d.id == row_id).values(**values))
        seen = set(keys)
        gone = sorted((k, v[0]) for k, v in existing.items() if not v[1] and k not in seen)
        for part in chunks([row_id for _, row_id in gone]):
            conn.execute(
                update(reconciliation_discrepancies).where(d.id.in_(part)).values(resolved=True, resolved_at_ms=now_ms)
            )
        conn.execute(
            update(reconciliation_runs)
            .where(reconciliation_runs.c.id == run_id)
            .values(opened=len(opened), resolved=len(gone))
        )
    return run_id, opened, [k for k, _ in gone]


# --- the job -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run found: everything open, what is new (or reopened) and what got resolved."""

    run_id: int
    confirmed_block: int
    discrepancies: tuple[Discrepancy, ...]
    opened: tuple[Discrepancy, ...]
    resolved: tuple[tuple[str, str], ...]
    stats: Mapping[str, int] = field(default_factory=dict)

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for x in self.discrepancies:
            out[str(x.kind)] += 1
        return dict(out)


class Reconciler:
    """Runs the rules over the database and stores and reports what they find. One run at a time."""

    def __init__(
        self,
        db: Database | Engine,
        *,
        holdings: HoldingsSource | Literal["index"] | None = "index",
        cursor: str = "main",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.holdings: HoldingsSource | None = IndexedHoldings(db) if isinstance(holdings, str) else holdings
        self.cursor = cursor
        self.clock = clock
        self._hooks: list[tuple[Hook, bool]] = []

    def add_hook(self, hook: Hook, *, repeat: bool = False) -> None:
        """Call ``hook(kind, subject, evidence)`` for each new or reopened discrepancy (``repeat``: for each one
        found, every run). Hooks run after the commit, on the run's thread; an exception is logged, not raised."""
        self._hooks.append((hook, repeat))

    def run_once(self) -> RunResult:
        started = int(self.clock() * 1000)
        snapshot, stats = load_snapshot(self.db, self.holdings, self.cursor)
        found = reconcile(snapshot)
        now = int(self.clock() * 1000)
        run_id, opened, resolved = store_run(
            self.db, found, confirmed_block=snapshot.confirmed_block, stats=stats, started_at_ms=started, now_ms=now
        )
        result = RunResult(run_id, snapshot.confirmed_block, tuple(found), tuple(opened), tuple(resolved), stats)
        if found:
            log.warning(
                "reconciliation run %d: %d discrepancies (%d new): %s", run_id, len(found), len(opened), result.kinds()
            )
        self._notify(result)
        return result

    def _notify(self, result: RunResult) -> None:
        fresh = {x.key for x in result.opened}
        for hook, repeat in self._hooks:
            for x in result.discrepancies:
                if not repeat and x.key not in fresh:
                    continue
                try:
                    hook(str(x.kind), x.subject, x.evidence)
                except Exception:
                    log.exception("reconciliation hook failed on %s %s", x.kind, x.subject)

    def schedule(self, scheduler: Any, seconds: float = 30.0) -> Any:
        """Add ``run_once`` to an apscheduler 3 scheduler as a non-overlapping interval job."""
        return add_interval_job(scheduler, self._run_logged, seconds, f"reconcile-{self.cursor}")

    def _run_logged(self) -> RunResult | None:
        try:
            return self.run_once()
        except ReconcileError as exc:
            log.info("reconciliation skipped: %s", exc)
        except Exception:
            log.exception("reconciliation run failed")
        return None
