"""The book's tables (migrations ``0001``, ``0005``, ``0006``, ``0007``). uint256 values (token ids, amounts) are
stored as decimal strings or BIGINT base units.

- ``projection_cursor``: per stream, the last journal sequence number applied to the tables below.
- ``markets``, ``api_keys``: reference data.
- ``deployment``: the chain and contracts the store belongs to (``make run`` refuses a store of another chain).
- ``orders``, ``trades``: projections of the engine's events, rebuilt from the journal if lost; trades also carry the
  settlement status (MATCHED → MINED → CONFIRMED, RETRYING, FAILED) written by the batcher.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.schema.base import metadata


class TradeStatus(StrEnum):
    """Polymarket's trade statuses (protocol doc §7), as stored in ``trades.status`` and sent on the user channel."""

    MATCHED = "MATCHED"
    MINED = "MINED"
    CONFIRMED = "CONFIRMED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"


projection_cursor = Table(
    "projection_cursor",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

markets = Table(
    "markets",
    metadata,
    Column("condition_id", String(66), primary_key=True),
    Column("question_id", String(66), nullable=False),
    Column("question", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("market_slug", String(200), nullable=False, default=""),
    Column("oracle", String(42), nullable=False, default=""),
    Column("yes_token_id", String(78), nullable=False, unique=True),
    Column("no_token_id", String(78), nullable=False, unique=True),
    Column("tick_size", String(8), nullable=False),
    Column("min_order_size", BigInteger, nullable=False, comment="shares, base units"),
    Column("fee_rate_bps", Integer, nullable=False, default=0),
    Column("neg_risk", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, default="open"),
    Column(
        "winning_asset_id",
        String(78),
        nullable=False,
        default="",
        server_default="",
        comment="the winning token once resolved, if the resolution named one",
    ),
    Column("end_date_iso", String(40), nullable=False, default=""),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("stream", String(64), nullable=False, default="main"),
)

deployment = Table(
    "deployment",
    metadata,
    Column("deployment_id", String(200), primary_key=True, comment="chain id : deploy block hash : exchange"),
    Column("chain_id", BigInteger, nullable=False),
    Column("exchange", String(42), nullable=False),
    Column("deploy_block", BigInteger, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
    comment="the deployment whose markets, orders and trades this store holds (one row; make run checks it)",
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("api_key", String(36), primary_key=True),
    Column("address", String(42), nullable=False, comment="lower-case signer EOA"),
    Column("nonce", BigInteger, nullable=False),
    Column("passphrase_hash", String(64), nullable=False, comment="SHA-256; the secret itself is never stored"),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    UniqueConstraint("address", "nonce", name="uq_api_keys_address_nonce"),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("address", String(42), primary_key=True, comment="lower-case wallet address"),
    Column("session", String(36), nullable=False, comment="the heartbeat id the user must send back"),
    Column("last_ms", BigInteger, nullable=False, comment="wall-clock ms of the last beat (gateways keep NTP time)"),
    comment="dead man's switch sessions shared by every API gateway (distributed mode)",
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(66), primary_key=True),
    Column("market", String(66), nullable=False),
    Column("asset_id", String(78), nullable=False),
    Column("owner", String(36), nullable=False, comment="API key that placed it"),
    Column("maker", String(42), nullable=False, comment="lower-case"),
    Column("side", String(4), nullable=False),
    Column("price", String(12), nullable=False),
    Column("original_size", BigInteger, nullable=False),
    Column("size_matched", BigInteger, nullable=False, default=0),
    Column("status", String(32), nullable=False),
    Column("order_type", String(4), nullable=False),
    Column("expiration", BigInteger, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("signed_order", Text, nullable=False, comment="the signed V1 order as JSON, for settlement"),
    Column("associate_trades", Text, nullable=False, default="[]"),
    Column("journal_seq", BigInteger, nullable=False),
    Index("ix_orders_maker_status", "maker", "status"),
    Index("ix_orders_market", "market"),
)

trades = Table(
    "trades",
    metadata,
    Column("trade_id", String(80), primary_key=True),
    Column("market", String(66), nullable=False),
    Column("asset_id", String(78), nullable=False),
    Column("taker_order_id", String(66), nullable=False),
    Column("taker", String(42), nullable=False),
    Column("side", String(4), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("price", String(12), nullable=False),
    Column("fee_rate_bps", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("match_time", BigInteger, nullable=False),
    Column("last_update", BigInteger, nullable=False),
    Column("bucket_index", Integer, nullable=False, default=0),
    Column("payload", Text, nullable=False, comment="the engine's trade event (maker fills, amounts) as JSON"),
    Column("transaction_hash", String(66), nullable=False, default=""),
    Column("settlement_batch", BigInteger, nullable=True),
    Column("error", Text, nullable=False, default=""),
    Column("journal_seq", BigInteger, nullable=False),
    Column("journal_hash", String(64), nullable=False, default="", comment="chain head hash at the trade"),
    Index("ix_trades_status", "status"),
    Index("ix_trades_market", "market"),
    Index("ix_trades_taker", "taker"),
    Index("ix_trades_settlement", "settlement_batch", "status", "journal_seq", "trade_id"),
)

trade_parties = Table(
    "trade_parties",
    metadata,
    Column("trade_id", String(80), primary_key=True),
    Column("address", String(42), primary_key=True),
    Index("ix_trade_parties_address", "address"),
)
