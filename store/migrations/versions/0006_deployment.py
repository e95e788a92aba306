"""deployment: which chain and contracts this store belongs to

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment",
        sa.Column("deployment_id", sa.String(200), nullable=False, comment="chain id : deploy block hash : exchange"),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(42), nullable=False),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("deployment_id"),
        comment="the deployment whose markets, orders and trades this store holds (one row; make run checks it)",
    )


def downgrade() -> None:
    op.drop_table("deployment")
