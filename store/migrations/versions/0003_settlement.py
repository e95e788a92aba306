"""settlement tables: settlement_txs, settlement_attempts, settlement_tx_trades

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:00:00

The tables are defined in ``store/schema/settlement.py`` (on the shared metadata); this revision freezes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "settlement_txs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.String(length=42), nullable=False, comment="lower-case operator address (the sender)"),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False, comment="matchOrders | matchOrdersBatch"),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="PENDING | MINED | REVERTED | CONFIRMED | ABANDONED",
        ),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("data", sa.Text(), nullable=False, comment="calldata, 0x hex (replacements re-sign it)"),
        sa.Column("gas_limit", sa.BigInteger(), nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("fill_count", sa.Integer(), nullable=False, comment="maker fills settled by this transaction"),
        sa.Column(
            "tx_hash", sa.String(length=66), nullable=False, comment="the latest attempt's hash, or the mined one"
        ),
        sa.Column("raw_tx", sa.Text(), nullable=False, comment="the latest attempt's signed raw transaction"),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="signed attempts (1 + replacements)"),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column(
            "sent_at_ms",
            sa.BigInteger(),
            nullable=False,
            comment="last broadcast (written with the intent); 0 = re-send now",
        ),
        sa.Column("replaced_at_ms", sa.BigInteger(), nullable=False, comment="when the latest attempt was signed"),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_id", "operator", "nonce", name="uq_settlement_txs_nonce"),
    )
    with op.batch_alter_table("settlement_txs", schema=None) as batch_op:
        batch_op.create_index("ix_settlement_txs_status", ["status"], unique=False)

    op.create_table(
        "settlement_attempts",
        sa.Column("tx_id", _ID, autoincrement=False, nullable=False),
        sa.Column("attempt", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "kind",
            sa.String(length=8),
            nullable=False,
            comment="settle | cancel (a 0-value self-transfer filling the nonce)",
        ),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tx_id"], ["settlement_txs.id"]),
        sa.PrimaryKeyConstraint("tx_id", "attempt"),
        sa.UniqueConstraint("tx_hash"),
    )
    op.create_table(
        "settlement_tx_trades",
        sa.Column("tx_id", _ID, autoincrement=False, nullable=False),
        sa.Column("trade_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index of the match in the transaction"),
        sa.ForeignKeyConstraint(["tx_id"], ["settlement_txs.id"]),
        sa.PrimaryKeyConstraint("tx_id", "trade_id"),
    )
    with op.batch_alter_table("settlement_tx_trades", schema=None) as batch_op:
        batch_op.create_index("ix_settlement_tx_trades_trade", ["trade_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settlement_tx_trades", schema=None) as batch_op:
        batch_op.drop_index("ix_settlement_tx_trades_trade")
    op.drop_table("settlement_tx_trades")
    op.drop_table("settlement_attempts")
    with op.batch_alter_table("settlement_txs", schema=None) as batch_op:
        batch_op.drop_index("ix_settlement_txs_status")
    op.drop_table("settlement_txs")
