"""The reconciler's tables (migration ``0004_reconciliation``); ``reconcile.runs`` writes them.

``reconciliation_runs``: one row per run. ``reconciliation_discrepancies``: one row per (kind, subject), inserted
once, refreshed while the problem persists, resolved when a run no longer finds it, reopened if it comes back.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from store.schema.base import metadata

_ID = BigInteger().with_variant(Integer(), "sqlite")

reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("started_at_ms", BigInteger, nullable=False),
    Column("finished_at_ms", BigInteger, nullable=False),
    Column("confirmed_block", BigInteger, nullable=False, comment="the indexer's confirmed block the run used"),
    Column("found", Integer, nullable=False, comment="discrepancies found by the run"),
    Column("opened", Integer, nullable=False, comment="of which new or reopened"),
    Column("resolved", Integer, nullable=False, comment="discrepancies the run no longer found"),
    Column("stats", Text, nullable=False, comment="JSON: what the run looked at (trades, orders, fills, owners)"),
)

reconciliation_discrepancies = Table(
    "reconciliation_discrepancies",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("run_id", BigInteger, nullable=False, comment="the last run that found it"),
    Column("first_run_id", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False, comment="stable code (reconcile_rules.Kind)"),
    Column("subject", String(140), nullable=False, comment="trade id, order id, address or tx_hash:log_index"),
    Column("evidence", Text, nullable=False, comment="JSON, as of the last run that found it"),
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
    Column("resolved_at_ms", BigInteger, nullable=True),
    UniqueConstraint("kind", "subject", name="uq_reconciliation_discrepancies_kind_subject"),
    Index("ix_reconciliation_discrepancies_resolved", "resolved", "kind"),
)

TABLES = (reconciliation_runs, reconciliation_discrepancies)
