"""Settlement batches with the journal head that produced them, for the audit page (``clob.service.audit``), so a
third party can audit the sequence.

Each operator transaction settles trades; each trade carries the journal sequence number and chain hash of the
command that matched it. A batch's ``journal_seq`` / ``journal_hash`` is the latest of its trades: whoever holds the
journal up to that entry can recompute the chain hash (``store.journal.entry_hash``) and every fill the batch
settled (``make replay``), and check them against the transaction's on-chain ``OrderFilled`` logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from store.db import Database
from store.schema.book import trades
from store.schema.settlement import settlement_tx_trades, settlement_txs


@dataclass(frozen=True, slots=True)
class SettlementBatch:
    """One operator transaction and the journal position of the trades it settles."""

    batch_id: int
    transaction_hash: str
    status: str
    block_number: int | None
    trade_ids: tuple[str, ...]
    journal_seq: int
    journal_hash: str


def settlement_batches(db: Database, offset: int, limit: int) -> tuple[list[SettlementBatch], bool]:
    """Operator transactions, newest first: up to ``limit`` after skipping ``offset``, and whether more follow."""
    tx = settlement_txs.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(tx.id, tx.tx_hash, tx.status, tx.block_number).order_by(tx.id.desc()).offset(offset).limit(limit + 1)
        ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        ids = [r.id for r in rows]
        members: dict[int, list[tuple[str, int, str]]] = {i: [] for i in ids}
        if ids:
            link = settlement_tx_trades.c
            for r in conn.execute(
                select(link.tx_id, link.trade_id, trades.c.journal_seq, trades.c.journal_hash)
                .join(trades, trades.c.trade_id == link.trade_id)
                .where(link.tx_id.in_(ids))
                .order_by(link.tx_id, link.position)
            ):
                members[r.tx_id].append((r.trade_id, int(r.journal_seq), r.journal_hash))
    items = []
    for r in rows:
        group = members[r.id]
        head = max(group, key=lambda m: m[1]) if group else ("", 0, "")
        items.append(
            SettlementBatch(
                int(r.id), r.tx_hash, r.status, r.block_number, tuple(m[0] for m in group), head[1], head[2]
            )
        )
    return items, more


def count_batches(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(settlement_txs)).scalar_one())
