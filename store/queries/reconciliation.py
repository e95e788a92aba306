"""Stored reconciliation results (``reconciliation_runs``, ``reconciliation_discrepancies``), for every reader: the
reconciler's API and CLI, the ``/chain/status`` answer and the operator console. ``reconcile.runs`` writes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, select

from store.db import Database
from store.schema.reconcile import reconciliation_discrepancies, reconciliation_runs


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


@dataclass(frozen=True, slots=True)
class StoredDiscrepancy:
    """A row of ``reconciliation_discrepancies``."""

    id: int
    run_id: int
    first_run_id: int
    kind: str
    subject: str
    evidence: dict[str, Any]
    first_seen_ms: int
    last_seen_ms: int
    resolved: bool
    resolved_at_ms: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stored(r: Any) -> StoredDiscrepancy:
    return StoredDiscrepancy(
        int(r.id),
        int(r.run_id),
        int(r.first_run_id),
        r.kind,
        r.subject,
        orjson.loads(r.evidence),
        int(r.first_seen_ms),
        int(r.last_seen_ms),
        bool(r.resolved),
        None if r.resolved_at_ms is None else int(r.resolved_at_ms),
    )


def list_discrepancies(
    db: Database | Engine,
    *,
    resolved: bool | None = False,
    kind: str | None = None,
    subject: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[StoredDiscrepancy]:
    """Stored discrepancies, most recently seen first. ``resolved=None`` lists open and resolved ones."""
    d = reconciliation_discrepancies.c
    q = select(reconciliation_discrepancies)
    if resolved is not None:
        q = q.where(d.resolved == resolved)
    if kind is not None:
        q = q.where(d.kind == kind)
    if subject is not None:
        q = q.where(d.subject == subject)
    q = q.order_by(d.last_seen_ms.desc(), d.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
    with _engine(db).connect() as conn:
        return [_stored(r) for r in conn.execute(q)]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A row of ``reconciliation_runs``."""

    id: int
    started_at_ms: int
    finished_at_ms: int
    confirmed_block: int
    found: int
    opened: int
    resolved: int
    stats: dict[str, int]


def _run(row: Any) -> RunRecord:
    return RunRecord(
        int(row.id),
        int(row.started_at_ms),
        int(row.finished_at_ms),
        int(row.confirmed_block),
        int(row.found),
        int(row.opened),
        int(row.resolved),
        orjson.loads(row.stats),
    )


def recent_runs(db: Database | Engine, limit: int) -> list[RunRecord]:
    """The latest ``limit`` reconciliation runs, newest first."""
    q = select(reconciliation_runs).order_by(reconciliation_runs.c.id.desc()).limit(limit)
    with _engine(db).connect() as conn:
        return [_run(r) for r in conn.execute(q)]


def last_run(db: Database | Engine) -> RunRecord | None:
    """The latest reconciliation run, if any."""
    runs = recent_runs(db, 1)
    return runs[0] if runs else None
