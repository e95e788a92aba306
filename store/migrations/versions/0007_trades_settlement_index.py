"""trades: index for the batcher's queries by owner transaction and for the oldest unsettled trades

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trades_settlement", ["settlement_batch", "status", "journal_seq", "trade_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_settlement")
