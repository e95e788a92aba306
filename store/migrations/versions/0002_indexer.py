"""indexer tables: chain_* (logs, blocks, cursor, typed event projections, positions, reorgs)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:00:00

The tables are defined in ``store/schema/indexer.py`` (on the shared metadata); this revision freezes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "chain_cancellations",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("order_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_cancellations", schema=None) as batch_op:
        batch_op.create_index("ix_chain_cancellations_order_hash", ["order_hash"], unique=False)

    op.create_table(
        "chain_collateral_transfers",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_collateral_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_chain_collateral_transfers_from", ["from_address"], unique=False)
        batch_op.create_index("ix_chain_collateral_transfers_to", ["to_address"], unique=False)
        batch_op.create_index("ix_chain_collateral_transfers_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_conditions",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="prepared | resolved"),
        sa.Column("condition_id", sa.String(length=66), nullable=False),
        sa.Column("oracle", sa.String(length=42), nullable=False),
        sa.Column("question_id", sa.String(length=66), nullable=False),
        sa.Column("outcome_slot_count", sa.Integer(), nullable=False),
        sa.Column(
            "payout_numerators", sa.Text(), nullable=True, comment="JSON list of decimal strings (resolved only)"
        ),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_conditions", schema=None) as batch_op:
        batch_op.create_index("ix_chain_conditions_condition_id", ["condition_id", "kind"], unique=False)

    op.create_table(
        "chain_ctf_transfers",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item", sa.Integer(), autoincrement=False, nullable=False, comment="position in a TransferBatch; 0"),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("operator", sa.String(length=42), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("token_id", sa.String(length=78), nullable=False),
        sa.Column("amount", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", "item"),
    )
    with op.batch_alter_table("chain_ctf_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_chain_ctf_transfers_from", ["from_address"], unique=False)
        batch_op.create_index("ix_chain_ctf_transfers_to", ["to_address"], unique=False)
        batch_op.create_index("ix_chain_ctf_transfers_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False, comment="every block <= this is indexed"),
        sa.Column("head_block", sa.BigInteger(), nullable=False, comment="chain head at the last step"),
        sa.Column("confirmed_block", sa.BigInteger(), nullable=False, comment="head - confirmations at the last step"),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "chain_fee_charges",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("receiver", sa.String(length=42), nullable=False),
        sa.Column("token_id", sa.String(length=78), nullable=False),
        sa.Column("amount", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_fee_charges", schema=None) as batch_op:
        batch_op.create_index("ix_chain_fee_charges_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_fills",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.Column("order_hash", sa.String(length=66), nullable=False),
        sa.Column("maker", sa.String(length=42), nullable=False),
        sa.Column("taker", sa.String(length=42), nullable=False),
        sa.Column("maker_asset_id", sa.String(length=78), nullable=False, comment="0 = collateral"),
        sa.Column("taker_asset_id", sa.String(length=78), nullable=False),
        sa.Column("maker_amount_filled", sa.String(length=78), nullable=False),
        sa.Column("taker_amount_filled", sa.String(length=78), nullable=False),
        sa.Column("fee", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_fills", schema=None) as batch_op:
        batch_op.create_index("ix_chain_fills_maker", ["maker"], unique=False)
        batch_op.create_index("ix_chain_fills_maker_asset", ["maker_asset_id"], unique=False)
        batch_op.create_index("ix_chain_fills_order_hash", ["order_hash"], unique=False)
        batch_op.create_index("ix_chain_fills_taker", ["taker"], unique=False)
        batch_op.create_index("ix_chain_fills_taker_asset", ["taker_asset_id"], unique=False)
        batch_op.create_index("ix_chain_fills_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_logs",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("topic0", sa.String(length=66), nullable=True),
        sa.Column("topic1", sa.String(length=66), nullable=True),
        sa.Column("topic2", sa.String(length=66), nullable=True),
        sa.Column("topic3", sa.String(length=66), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column(
            "event", sa.String(length=64), nullable=True, comment="decoded event name; NULL if unknown/undecodable"
        ),
        sa.Column("args", sa.Text(), nullable=False, comment="decoded arguments as JSON; integers as decimal strings"),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.create_index("ix_chain_logs_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_matches",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.Column("taker_order_hash", sa.String(length=66), nullable=False),
        sa.Column("taker_order_maker", sa.String(length=42), nullable=False),
        sa.Column("maker_asset_id", sa.String(length=78), nullable=False),
        sa.Column("taker_asset_id", sa.String(length=78), nullable=False),
        sa.Column("maker_amount_filled", sa.String(length=78), nullable=False),
        sa.Column("taker_amount_filled", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_matches", schema=None) as batch_op:
        batch_op.create_index("ix_chain_matches_taker_order_hash", ["taker_order_hash"], unique=False)
        batch_op.create_index("ix_chain_matches_taker_order_maker", ["taker_order_maker"], unique=False)
        batch_op.create_index("ix_chain_matches_tx_hash", ["tx_hash"], unique=False)

    op.create_table(
        "chain_positions",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("token_id", sa.String(length=78), nullable=False),
        sa.Column("balance", sa.String(length=80), nullable=False, comment="decimal string; rows at zero are deleted"),
        sa.PrimaryKeyConstraint("address", "token_id"),
    )
    op.create_table(
        "chain_reorgs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("detected_at_ms", sa.BigInteger(), nullable=False),
        sa.Column(
            "ancestor_block", sa.BigInteger(), nullable=False, comment="highest block still on the canonical chain"
        ),
        sa.Column("old_last_block", sa.BigInteger(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False, comment="blocks rolled back"),
        sa.Column("orphaned_logs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "chain_token_registrations",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("token0", sa.String(length=78), nullable=False),
        sa.Column("token1", sa.String(length=78), nullable=False),
        sa.Column("condition_id", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index"),
    )
    with op.batch_alter_table("chain_token_registrations", schema=None) as batch_op:
        batch_op.create_index("ix_chain_token_registrations_condition_id", ["condition_id"], unique=False)
        batch_op.create_index("ix_chain_token_registrations_token0", ["token0"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chain_token_registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_token_registrations_token0")
        batch_op.drop_index("ix_chain_token_registrations_condition_id")

    op.drop_table("chain_token_registrations")
    op.drop_table("chain_reorgs")
    op.drop_table("chain_positions")
    with op.batch_alter_table("chain_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_matches_tx_hash")
        batch_op.drop_index("ix_chain_matches_taker_order_maker")
        batch_op.drop_index("ix_chain_matches_taker_order_hash")

    op.drop_table("chain_matches")
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_logs_tx_hash")

    op.drop_table("chain_logs")
    with op.batch_alter_table("chain_fills", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_fills_tx_hash")
        batch_op.drop_index("ix_chain_fills_taker_asset")
        batch_op.drop_index("ix_chain_fills_taker")
        batch_op.drop_index("ix_chain_fills_order_hash")
        batch_op.drop_index("ix_chain_fills_maker_asset")
        batch_op.drop_index("ix_chain_fills_maker")

    op.drop_table("chain_fills")
    with op.batch_alter_table("chain_fee_charges", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_fee_charges_tx_hash")

    op.drop_table("chain_fee_charges")
    op.drop_table("chain_cursor")
    with op.batch_alter_table("chain_ctf_transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_ctf_transfers_tx_hash")
        batch_op.drop_index("ix_chain_ctf_transfers_to")
        batch_op.drop_index("ix_chain_ctf_transfers_from")

    op.drop_table("chain_ctf_transfers")
    with op.batch_alter_table("chain_conditions", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_conditions_condition_id")

    op.drop_table("chain_conditions")
    with op.batch_alter_table("chain_collateral_transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_collateral_transfers_tx_hash")
        batch_op.drop_index("ix_chain_collateral_transfers_to")
        batch_op.drop_index("ix_chain_collateral_transfers_from")

    op.drop_table("chain_collateral_transfers")
    with op.batch_alter_table("chain_cancellations", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_cancellations_order_hash")

    op.drop_table("chain_cancellations")
    op.drop_table("chain_blocks")
