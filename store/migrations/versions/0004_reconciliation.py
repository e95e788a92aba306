"""reconciliation tables: reconciliation_runs, reconciliation_discrepancies

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:00:00

The tables are defined in ``store/schema/reconcile.py`` (on the shared metadata); this revision freezes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_ms", sa.BigInteger(), nullable=False),
        sa.Column(
            "confirmed_block", sa.BigInteger(), nullable=False, comment="the indexer's confirmed block the run used"
        ),
        sa.Column("found", sa.Integer(), nullable=False, comment="discrepancies found by the run"),
        sa.Column("opened", sa.Integer(), nullable=False, comment="of which new or reopened"),
        sa.Column("resolved", sa.Integer(), nullable=False, comment="discrepancies the run no longer found"),
        sa.Column(
            "stats", sa.Text(), nullable=False, comment="JSON: what the run looked at (trades, orders, fills, owners)"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reconciliation_discrepancies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False, comment="the last run that found it"),
        sa.Column("first_run_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False, comment="stable code (reconcile_rules.Kind)"),
        sa.Column(
            "subject",
            sa.String(length=140),
            nullable=False,
            comment="trade id, order id, address or tx_hash:log_index",
        ),
        sa.Column("evidence", sa.Text(), nullable=False, comment="JSON, as of the last run that found it"),
        sa.Column("first_seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject", name="uq_reconciliation_discrepancies_kind_subject"),
    )
    with op.batch_alter_table("reconciliation_discrepancies", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_discrepancies_resolved", ["resolved", "kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_discrepancies", schema=None) as batch_op:
        batch_op.drop_index("ix_reconciliation_discrepancies_resolved")
    op.drop_table("reconciliation_discrepancies")
    op.drop_table("reconciliation_runs")
