"""markets: the winning token of a resolved market

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "winning_asset_id",
                sa.String(length=78),
                nullable=False,
                server_default="",
                comment="the winning token once resolved, if the resolution named one",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.drop_column("winning_asset_id")
