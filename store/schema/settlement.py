"""The batcher's tables (migration ``0003_settlement``); ``settlement.store`` writes them.

One row of ``settlement_txs`` is one operator nonce: the transaction that settles a fixed list of trades
(``settlement_tx_trades``, in batch order). Its signed raw transactions — the first one and every fee-bumped
replacement, all with the same nonce — are ``settlement_attempts``; at most one of them can ever be mined.
The row and its first attempt are committed *before* the first broadcast (write-ahead intent), so after a crash
the batcher knows every nonce it may have used and every hash that may be on chain.

``settlement_txs.status``:

- ``PENDING``: signed and durable; broadcast or not; no receipt seen for any attempt.
- ``MINED``: a receipt with status 1 is on the canonical chain; waiting for the confirmation depth.
- ``REVERTED``: the nonce was consumed without settling — a receipt with status 0, or a mined ``cancel`` attempt —
  waiting for the confirmation depth before the trades are released.
- ``CONFIRMED`` (terminal): mined, at depth, block hash still canonical; the trades are CONFIRMED.
- ``ABANDONED`` (terminal): the nonce is consumed for good without settling (a final revert, a final foreign
  transaction, or rejected at first send with "nonce too low"); the trades were released for another attempt.

``trades.settlement_batch`` (a column of the sequencer's ``trades`` table) holds the ``settlement_txs.id`` that
currently owns a trade; NULL means the trade is free to be batched (if its status is MATCHED or RETRYING).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.schema.base import metadata


class TxStatus(StrEnum):
    """The status of one operator nonce (``settlement_txs.status``); see the module docstring."""

    PENDING = "PENDING"
    MINED = "MINED"
    REVERTED = "REVERTED"
    CONFIRMED = "CONFIRMED"
    ABANDONED = "ABANDONED"


OPEN_TX_STATUSES = (TxStatus.PENDING, TxStatus.MINED, TxStatus.REVERTED)


class AttemptKind(StrEnum):
    """What a signed attempt does (``settlement_attempts.kind``)."""

    SETTLE = "settle"
    CANCEL = "cancel"


HASH = 66  # 0x + 64 hex
ADDR = 42  # 0x + 40 hex

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_ID = BigInteger().with_variant(Integer(), "sqlite")

settlement_txs = Table(
    "settlement_txs",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("operator", String(ADDR), nullable=False, comment="lower-case operator address (the sender)"),
    Column("nonce", BigInteger, nullable=False),
    Column("kind", String(24), nullable=False, comment="matchOrders | matchOrdersBatch"),
    Column("status", String(16), nullable=False, comment="PENDING | MINED | REVERTED | CONFIRMED | ABANDONED"),
    Column("to_address", String(ADDR), nullable=False),
    Column("data", Text, nullable=False, comment="calldata, 0x hex (replacements re-sign it)"),
    Column("gas_limit", BigInteger, nullable=False),
    Column("trade_count", Integer, nullable=False),
    Column("fill_count", Integer, nullable=False, comment="maker fills settled by this transaction"),
    Column("tx_hash", String(HASH), nullable=False, comment="the latest attempt's hash, or the mined one"),
    Column("raw_tx", Text, nullable=False, comment="the latest attempt's signed raw transaction"),
    Column("attempts", Integer, nullable=False, comment="signed attempts (1 + replacements)"),
    Column("block_number", BigInteger, nullable=True),
    Column("block_hash", String(HASH), nullable=True),
    Column("gas_used", BigInteger, nullable=True),
    Column("error", Text, nullable=False, default=""),
    Column("created_at_ms", BigInteger, nullable=False),
    Column(
        "sent_at_ms", BigInteger, nullable=False, comment="last broadcast (written with the intent); 0 = re-send now"
    ),
    Column("replaced_at_ms", BigInteger, nullable=False, comment="when the latest attempt was signed"),
    Column("updated_at_ms", BigInteger, nullable=False),
    UniqueConstraint("chain_id", "operator", "nonce", name="uq_settlement_txs_nonce"),
    Index("ix_settlement_txs_status", "status"),
)

settlement_attempts = Table(
    "settlement_attempts",
    metadata,
    Column("tx_id", _ID, ForeignKey("settlement_txs.id"), primary_key=True, autoincrement=False),
    Column("attempt", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(8), nullable=False, comment="settle | cancel (a 0-value self-transfer filling the nonce)"),
    Column("tx_hash", String(HASH), nullable=False, unique=True),
    Column("raw_tx", Text, nullable=False),
    Column("max_fee_per_gas", BigInteger, nullable=False),
    Column("max_priority_fee_per_gas", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

settlement_tx_trades = Table(
    "settlement_tx_trades",
    metadata,
    Column("tx_id", _ID, ForeignKey("settlement_txs.id"), primary_key=True, autoincrement=False),
    Column("trade_id", String(80), primary_key=True),
    Column("position", Integer, nullable=False, comment="index of the match in the transaction"),
    Index("ix_settlement_tx_trades_trade", "trade_id"),
)

ALL_TABLES = (settlement_txs, settlement_attempts, settlement_tx_trades)
