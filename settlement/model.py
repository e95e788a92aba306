"""Values the batcher passes around: statuses, pending trades, stored transactions, receipts, status changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chain.exchange import Match
from orders import StoredTrade
from store.schema.book import TradeStatus as TradeStatus  # the stored vocabularies, declared with their columns
from store.schema.settlement import OPEN_TX_STATUSES as OPEN_TX_STATUSES
from store.schema.settlement import AttemptKind as AttemptKind
from store.schema.settlement import TxStatus as TxStatus


@dataclass(frozen=True, slots=True)
class PendingTrade:
    """A trade waiting for settlement: its row id, the stored trade, and what the grouping needs."""

    trade_id: str
    stored: StoredTrade
    status: TradeStatus
    journal_seq: int

    @property
    def order_ids(self) -> tuple[str, ...]:
        """The taker order first, then the maker orders, as in the ``matchOrders`` call."""
        return self.stored.order_ids

    @property
    def parties(self) -> frozenset[str]:
        return self.stored.parties

    @property
    def match_types(self) -> tuple[str, ...]:
        return tuple(m.match_type.name for m in self.stored.makers)

    @property
    def fill_count(self) -> int:
        return len(self.stored.makers)


@dataclass(frozen=True, slots=True)
class PreparedTrade:
    """A pending trade with its ``matchOrders`` arguments built from the stored signed orders."""

    trade: PendingTrade
    match: Match
    gas: int
    """the gas model's upper bound for this match inside a batch (grouping, and the gas limit once verified)"""
    encoded: bytes
    """the match ABI-encoded (``chain.exchange.encode_match``): ``matchOrders``'s arguments, and one element of
    ``matchOrdersBatch``'s array"""

    @property
    def trade_id(self) -> str:
        return self.trade.trade_id

    @property
    def parties(self) -> frozenset[str]:
        return self.trade.parties


@dataclass(frozen=True, slots=True)
class Attempt:
    """One signed raw transaction for a nonce."""

    attempt: int
    kind: AttemptKind
    tx_hash: str
    raw_tx: str
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class StoredTx:
    """A ``settlement_txs`` row with its attempts and trade ids (batch order)."""

    id: int
    nonce: int
    kind: str
    status: TxStatus
    to_address: str
    data: str
    gas_limit: int
    tx_hash: str
    raw_tx: str
    block_number: int | None
    block_hash: str | None
    created_at_ms: int
    sent_at_ms: int
    replaced_at_ms: int
    error: str
    fill_count: int = 0
    attempts: tuple[Attempt, ...] = ()
    trade_ids: tuple[str, ...] = ()

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The part of a transaction receipt the batcher needs."""

    tx_hash: str
    status: int
    block_number: int
    block_hash: str
    gas_used: int


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One trade moved to ``status``; ``row`` is the ``trades`` row merged with its payload (the WebSocket shape)."""

    trade_id: str
    status: TradeStatus
    tx_hash: str
    row: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FailedTrade:
    """What ``on_trade_failed`` receives: a trade that will never settle, and the policy's inputs.

    ``offending_order_ids`` are the orders found to be at fault (on-chain cancelled or filled, nonce bumped,
    expired, bad signature, maker short of balance or allowance); empty if no single order could be blamed.
    ``restore`` maps each *other* order of the trade to the amount (maker units) the engine consumed for this
    trade and which the chain never settled: liquidity the book may give back to its owner.
    """

    trade_id: str
    stored: StoredTrade
    error: str
    offending_order_ids: tuple[str, ...]
    restore: Mapping[str, int]


Listener = Callable[[str, str, str], None]
"""``fn(trade_id, status, tx_hash)``: called after each durable trade status change."""

RowListener = Callable[[Mapping[str, Any], str, str], None]
"""``fn(trade_row, status, tx_hash)``: the same, with the trade row merged with its payload (what
``clob.ws.hub.WsHub.on_trade_status`` takes)."""

FailedHook = Callable[[FailedTrade, tuple[str, ...]], None]
"""``fn(trade, offending_order_ids)``: a trade became FAILED (see docs/settlement.md, "Failed trades")."""


def restore_amounts(trade: StoredTrade, offending: Sequence[str]) -> dict[str, int]:
    """Per order of the trade that is not offending: the maker-unit amount this trade consumed of it."""
    amounts: dict[str, int] = {trade.taker_order_id: trade.taker_fill}
    for m in trade.makers:
        amounts[m.order_id] = amounts.get(m.order_id, 0) + m.making
    return {oid: amount for oid, amount in amounts.items() if oid not in set(offending)}
