"""How far settlement has got, for the book's obligations ledger (``clob.service.obligations``), which polls these
few named queries. Read-only; the batcher writes ``settlement_txs`` and ``trades.status`` in ``settlement.store``.

A trade is settled for good when its transaction is CONFIRMED: mined at ``settlement_txs.block_number`` and at the
confirmation depth. A trade that can never settle is FAILED in ``trades.status``. Everything else (MATCHED,
RETRYING, a transaction PENDING, MINED or REVERTED) is still on its way.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from store.db import Database
from store.schema.book import TradeStatus, trades
from store.schema.settlement import OPEN_TX_STATUSES, TxStatus, settlement_tx_trades, settlement_txs

__all__ = ["OpenTrade", "SettlementProgress", "TxState", "TxStatus"]  # TxStatus: the type of ``TxState.status``

_CHUNK = 500
_UNSETTLED = (TradeStatus.MATCHED.value, TradeStatus.RETRYING.value, TradeStatus.MINED.value)


@dataclass(frozen=True, slots=True)
class TxState:
    """One settlement transaction as the batcher last wrote it."""

    tx_id: int
    status: TxStatus
    block: int | None
    """The block it was mined in (None while not mined)."""
    updated_ms: int


@dataclass(frozen=True, slots=True)
class OpenTrade:
    """A trade whose obligations may still count: not settled yet, or CONFIRMED recently (``tx`` is then its
    transaction, CONFIRMED in block ``block``)."""

    trade_id: str
    payload: dict[str, Any]
    journal_seq: int
    tx: TxState | None


class SettlementProgress:
    """The queries, over the exchange's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def transactions(self, ids: Collection[int], after_id: int) -> list[TxState]:
        """The transactions ``ids`` and every one with an id above ``after_id`` (ids only grow), by id."""
        cond = settlement_txs.c.id > after_id
        if ids:
            cond = or_(cond, settlement_txs.c.id.in_(list(ids)))
        stmt = select(
            settlement_txs.c.id, settlement_txs.c.status, settlement_txs.c.block_number, settlement_txs.c.updated_at_ms
        ).where(cond)
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(settlement_txs.c.id)).all()
        return [_tx(r) for r in rows]

    def members(self, tx_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The trade ids each transaction settles."""
        out: dict[int, list[str]] = {i: [] for i in tx_ids}
        with self.db.engine.connect() as conn:
            for i in range(0, len(tx_ids), _CHUNK):
                stmt = select(settlement_tx_trades.c.tx_id, settlement_tx_trades.c.trade_id).where(
                    settlement_tx_trades.c.tx_id.in_(list(tx_ids[i : i + _CHUNK]))
                )
                for r in conn.execute(stmt):
                    out[int(r.tx_id)].append(str(r.trade_id))
        return {k: tuple(v) for k, v in out.items()}

    def failed(self, from_seq: int) -> list[str]:
        """FAILED trades matched at journal seq ``from_seq`` or later."""
        stmt = select(trades.c.trade_id).where(
            trades.c.status == TradeStatus.FAILED.value, trades.c.journal_seq >= from_seq
        )
        with self.db.engine.connect() as conn:
            return [str(r.trade_id) for r in conn.execute(stmt)]

    def open_trades(self, confirmed_since_ms: int) -> tuple[list[OpenTrade], int, list[TxState]]:
        """For a rebuild: the trades not settled yet and those whose transaction was CONFIRMED at or after
        ``confirmed_since_ms`` (by journal seq); when the latest transaction CONFIRMED before that was (Unix ms,
        0: none); and the transactions still worth following (open ones, and the recently CONFIRMED)."""
        confirmed = TxStatus.CONFIRMED.value
        with self.db.engine.connect() as conn:
            follow = [
                _tx(r)
                for r in conn.execute(
                    select(
                        settlement_txs.c.id,
                        settlement_txs.c.status,
                        settlement_txs.c.block_number,
                        settlement_txs.c.updated_at_ms,
                    )
                    .where(
                        or_(
                            settlement_txs.c.status.in_([s.value for s in OPEN_TX_STATUSES]),
                            (settlement_txs.c.status == confirmed)
                            & (settlement_txs.c.updated_at_ms >= confirmed_since_ms),
                        )
                    )
                    .order_by(settlement_txs.c.id)
                )
            ]
            forgotten = conn.execute(
                select(func.max(settlement_txs.c.updated_at_ms)).where(
                    settlement_txs.c.status == confirmed, settlement_txs.c.updated_at_ms < confirmed_since_ms
                )
            ).scalar()
            recent = {t.tx_id: t for t in follow if t.status == TxStatus.CONFIRMED}
            cols = (trades.c.trade_id, trades.c.payload, trades.c.journal_seq, trades.c.settlement_batch)
            rows = list(conn.execute(select(*cols).where(trades.c.status.in_(_UNSETTLED))))
            ids = list(recent)
            for i in range(0, len(ids), _CHUNK):
                rows += conn.execute(
                    select(*cols).where(
                        trades.c.status == TradeStatus.CONFIRMED.value,
                        trades.c.settlement_batch.in_(ids[i : i + _CHUNK]),
                    )
                )
        out = [
            OpenTrade(
                str(r.trade_id),
                json.loads(r.payload),
                int(r.journal_seq),
                None if r.settlement_batch is None else recent.get(int(r.settlement_batch)),
            )
            for r in rows
        ]
        out.sort(key=lambda t: t.journal_seq)
        return out, int(forgotten or 0), follow

    def last_tx_id(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.max(settlement_txs.c.id))).scalar() or 0)


def _tx(r: Any) -> TxState:
    return TxState(
        int(r.id), TxStatus(r.status), None if r.block_number is None else int(r.block_number), int(r.updated_at_ms)
    )
