"""The indexer's tables (migration ``0002_indexer``); ``indexer.store`` and ``indexer.projections`` write them.

One database follows one chain (``chain_cursor.chain_id`` guards it). Conventions: addresses and hashes are
lower-case ``0x`` hex; uint256 values (token ids, amounts) are decimal strings; every row derived from a log carries
``block_number`` and ``log_index`` (its primary key, unique on a canonical chain) and ``tx_hash``, so a reorg rolls
back every table with one ``DELETE ... WHERE block_number > ancestor`` and reconciliation can look fills up by
order hash, transaction hash or party.

- ``chain_cursor``: per indexer name, the last fully indexed block, the head seen and the confirmed block.
- ``chain_blocks``: number → hash, parent hash of the recent window (reorg detection); older rows are pruned.
- ``chain_logs``: every followed log, raw (topics, data) and decoded (event name, JSON args, uint256 as strings).
- Typed projections: ``chain_fills`` (OrderFilled), ``chain_matches`` (OrdersMatched), ``chain_cancellations``,
  ``chain_fee_charges``, ``chain_token_registrations``, ``chain_conditions`` (preparation and resolution),
  ``chain_ctf_transfers`` (TransferSingle/TransferBatch, one row per id), ``chain_collateral_transfers``.
- ``chain_positions``: ERC1155 balance per (address, token id) from the transfers, kept in step with them (a
  rollback subtracts the orphaned transfers); zero balances are deleted.
- ``chain_reorgs``: one row per reorg handled (observability).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from store.schema.base import metadata

HASH = 66  # 0x + 64 hex
ADDR = 42  # 0x + 40 hex
UINT = 78  # decimal digits of 2**256 - 1


def _log_key() -> list[Column[object]]:
    return [
        Column("block_number", BigInteger, primary_key=True, autoincrement=False),
        Column("log_index", Integer, primary_key=True, autoincrement=False),
        Column("tx_hash", String(HASH), nullable=False),
    ]


chain_cursor = Table(
    "chain_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("last_block", BigInteger, nullable=False, comment="every block <= this is indexed"),
    Column("head_block", BigInteger, nullable=False, comment="chain head at the last step"),
    Column("confirmed_block", BigInteger, nullable=False, comment="head - confirmations at the last step"),
    Column("updated_at_ms", BigInteger, nullable=False),
)

chain_blocks = Table(
    "chain_blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(HASH), nullable=False),
    Column("parent_hash", String(HASH), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

chain_logs = Table(
    "chain_logs",
    metadata,
    *_log_key(),
    Column("block_hash", String(HASH), nullable=False),
    Column("tx_index", Integer, nullable=False),
    Column("address", String(ADDR), nullable=False),
    Column("topic0", String(HASH), nullable=True),
    Column("topic1", String(HASH), nullable=True),
    Column("topic2", String(HASH), nullable=True),
    Column("topic3", String(HASH), nullable=True),
    Column("data", Text, nullable=False),
    Column("event", String(64), nullable=True, comment="decoded event name; NULL if unknown/undecodable"),
    Column("args", Text, nullable=False, comment="decoded arguments as JSON; integers as decimal strings"),
    Index("ix_chain_logs_tx_hash", "tx_hash"),
)

chain_fills = Table(
    "chain_fills",
    metadata,
    *_log_key(),
    Column("exchange", String(ADDR), nullable=False),
    Column("order_hash", String(HASH), nullable=False),
    Column("maker", String(ADDR), nullable=False),
    Column("taker", String(ADDR), nullable=False),
    Column("maker_asset_id", String(UINT), nullable=False, comment="0 = collateral"),
    Column("taker_asset_id", String(UINT), nullable=False),
    Column("maker_amount_filled", String(UINT), nullable=False),
    Column("taker_amount_filled", String(UINT), nullable=False),
    Column("fee", String(UINT), nullable=False),
    Index("ix_chain_fills_order_hash", "order_hash"),
    Index("ix_chain_fills_tx_hash", "tx_hash"),
    Index("ix_chain_fills_maker", "maker"),
    Index("ix_chain_fills_taker", "taker"),
    Index("ix_chain_fills_maker_asset", "maker_asset_id"),
    Index("ix_chain_fills_taker_asset", "taker_asset_id"),
)

chain_matches = Table(
    "chain_matches",
    metadata,
    *_log_key(),
    Column("exchange", String(ADDR), nullable=False),
    Column("taker_order_hash", String(HASH), nullable=False),
    Column("taker_order_maker", String(ADDR), nullable=False),
    Column("maker_asset_id", String(UINT), nullable=False),
    Column("taker_asset_id", String(UINT), nullable=False),
    Column("maker_amount_filled", String(UINT), nullable=False),
    Column("taker_amount_filled", String(UINT), nullable=False),
    Index("ix_chain_matches_tx_hash", "tx_hash"),
    Index("ix_chain_matches_taker_order_hash", "taker_order_hash"),
    Index("ix_chain_matches_taker_order_maker", "taker_order_maker"),
)

chain_cancellations = Table(
    "chain_cancellations",
    metadata,
    *_log_key(),
    Column("order_hash", String(HASH), nullable=False),
    Index("ix_chain_cancellations_order_hash", "order_hash"),
)

chain_fee_charges = Table(
    "chain_fee_charges",
    metadata,
    *_log_key(),
    Column("receiver", String(ADDR), nullable=False),
    Column("token_id", String(UINT), nullable=False),
    Column("amount", String(UINT), nullable=False),
    Index("ix_chain_fee_charges_tx_hash", "tx_hash"),
)

chain_token_registrations = Table(
    "chain_token_registrations",
    metadata,
    *_log_key(),
    Column("token0", String(UINT), nullable=False),
    Column("token1", String(UINT), nullable=False),
    Column("condition_id", String(HASH), nullable=False),
    Index("ix_chain_token_registrations_token0", "token0"),
    Index("ix_chain_token_registrations_condition_id", "condition_id"),
)

chain_conditions = Table(
    "chain_conditions",
    metadata,
    *_log_key(),
    Column("kind", String(16), nullable=False, comment="prepared | resolved"),
    Column("condition_id", String(HASH), nullable=False),
    Column("oracle", String(ADDR), nullable=False),
    Column("question_id", String(HASH), nullable=False),
    Column("outcome_slot_count", Integer, nullable=False),
    Column("payout_numerators", Text, nullable=True, comment="JSON list of decimal strings (resolved only)"),
    Index("ix_chain_conditions_condition_id", "condition_id", "kind"),
)

chain_ctf_transfers = Table(
    "chain_ctf_transfers",
    metadata,
    Column("block_number", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("item", Integer, primary_key=True, autoincrement=False, comment="position in a TransferBatch; 0"),
    Column("tx_hash", String(HASH), nullable=False),
    Column("operator", String(ADDR), nullable=False),
    Column("from_address", String(ADDR), nullable=False),
    Column("to_address", String(ADDR), nullable=False),
    Column("token_id", String(UINT), nullable=False),
    Column("amount", String(UINT), nullable=False),
    Index("ix_chain_ctf_transfers_from", "from_address"),
    Index("ix_chain_ctf_transfers_to", "to_address"),
    Index("ix_chain_ctf_transfers_tx_hash", "tx_hash"),
)

chain_collateral_transfers = Table(
    "chain_collateral_transfers",
    metadata,
    *_log_key(),
    Column("from_address", String(ADDR), nullable=False),
    Column("to_address", String(ADDR), nullable=False),
    Column("amount", String(UINT), nullable=False),
    Index("ix_chain_collateral_transfers_from", "from_address"),
    Index("ix_chain_collateral_transfers_to", "to_address"),
    Index("ix_chain_collateral_transfers_tx_hash", "tx_hash"),
)

chain_positions = Table(
    "chain_positions",
    metadata,
    Column("address", String(ADDR), primary_key=True),
    Column("token_id", String(UINT), primary_key=True),
    Column("balance", String(UINT + 2), nullable=False, comment="decimal string; rows at zero are deleted"),
)

chain_reorgs = Table(
    "chain_reorgs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("detected_at_ms", BigInteger, nullable=False),
    Column("ancestor_block", BigInteger, nullable=False, comment="highest block still on the canonical chain"),
    Column("old_last_block", BigInteger, nullable=False),
    Column("depth", Integer, nullable=False, comment="blocks rolled back"),
    Column("orphaned_logs", Integer, nullable=False),
)

# Every table whose rows come from logs: what a rollback above a block deletes.
LOG_DERIVED_TABLES = (
    chain_logs,
    chain_fills,
    chain_matches,
    chain_cancellations,
    chain_fee_charges,
    chain_token_registrations,
    chain_conditions,
    chain_ctf_transfers,
    chain_collateral_transfers,
)

ALL_TABLES = (chain_cursor, chain_blocks, *LOG_DERIVED_TABLES, chain_positions, chain_reorgs)
