"""heartbeats: dead man's switch sessions shared by every API gateway

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("address", sa.String(42), nullable=False, comment="lower-case wallet address"),
        sa.Column("session", sa.String(36), nullable=False, comment="the heartbeat id the user must send back"),
        sa.Column(
            "last_ms",
            sa.BigInteger(),
            nullable=False,
            comment="wall-clock ms of the last beat (gateways keep NTP time)",
        ),
        sa.PrimaryKeyConstraint("address"),
        comment="dead man's switch sessions shared by every API gateway (distributed mode)",
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
