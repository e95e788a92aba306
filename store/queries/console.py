"""The batcher's transactions and attempts, for the operator console (``clob.service.console``): the latest ones, and
those of one trade. ``settlement.store`` writes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from store.db import Database
from store.schema.settlement import settlement_attempts, settlement_tx_trades, settlement_txs


@dataclass(frozen=True, slots=True)
class SettlementAttempt:
    attempt: int
    kind: str
    tx_hash: str
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class SettlementTx:
    """One operator transaction (a nonce) and, when asked for, its signed attempts."""

    id: int
    nonce: int
    kind: str
    status: str
    tx_hash: str
    gas_limit: int
    gas_used: int | None
    attempts: int
    trade_count: int
    fill_count: int
    block_number: int | None
    block_hash: str | None
    error: str
    created_at_ms: int
    updated_at_ms: int
    attempt_list: tuple[SettlementAttempt, ...] = ()

    @property
    def retries(self) -> int:
        """Replacements signed after the first attempt (fee bumps, cancels)."""
        return max(0, self.attempts - 1)


def _settlement_tx(r: Any, attempt_list: tuple[SettlementAttempt, ...] = ()) -> SettlementTx:
    return SettlementTx(
        int(r.id),
        int(r.nonce),
        r.kind,
        r.status,
        r.tx_hash,
        int(r.gas_limit),
        None if r.gas_used is None else int(r.gas_used),
        int(r.attempts),
        int(r.trade_count),
        int(r.fill_count),
        None if r.block_number is None else int(r.block_number),
        r.block_hash,
        r.error,
        int(r.created_at_ms),
        int(r.updated_at_ms),
        attempt_list,
    )


_TX_COLUMNS = tuple(c for c in settlement_txs.c if c.name not in ("data", "raw_tx"))


def settlement_transactions(db: Database, limit: int) -> list[SettlementTx]:
    """Operator transactions, newest first (calldata and raw transactions left out)."""
    q = select(*_TX_COLUMNS).order_by(settlement_txs.c.id.desc()).limit(limit)
    with db.engine.connect() as conn:
        return [_settlement_tx(r) for r in conn.execute(q)]


def settlements_of(conn: Connection, trade_id: str) -> tuple[SettlementTx, ...]:
    """The transactions that tried to settle ``trade_id``, by id, each with its signed attempts."""
    link = settlement_tx_trades.c
    tx_rows = conn.execute(
        select(*_TX_COLUMNS)
        .join(settlement_tx_trades, link.tx_id == settlement_txs.c.id)
        .where(link.trade_id == trade_id)
        .order_by(settlement_txs.c.id)
    ).all()
    ids = [int(r.id) for r in tx_rows]
    attempts: dict[int, list[SettlementAttempt]] = {i: [] for i in ids}
    if ids:
        a = settlement_attempts.c
        for r in conn.execute(
            select(settlement_attempts).where(a.tx_id.in_(ids)).order_by(settlement_attempts.c.tx_id, a.attempt)
        ):
            attempts[int(r.tx_id)].append(
                SettlementAttempt(
                    int(r.attempt),
                    r.kind,
                    r.tx_hash,
                    int(r.max_fee_per_gas),
                    int(r.max_priority_fee_per_gas),
                    int(r.created_at_ms),
                )
            )
    return tuple(_settlement_tx(r, tuple(attempts[int(r.id)])) for r in tx_rows)
