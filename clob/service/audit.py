"""Settlement batches with the journal head that produced them, so a third party can audit the sequence.

Each operator transaction settles trades; each trade carries the journal sequence number and chain hash of the
command that matched it. A batch's ``journal_seq`` / ``journal_hash`` is the latest of its trades: whoever holds the
journal up to that entry can recompute the chain hash (``store.journal.entry_hash``) and every fill the batch
settled (``make replay``), and check them against the transaction's on-chain ``OrderFilled`` logs. The rows are
the batcher's, read through ``store.queries.audit``.
"""

from __future__ import annotations

from clob.service.queries import Page
from store.db import Database
from store.queries import audit
from store.queries.audit import SettlementBatch, count_batches

__all__ = ["SettlementBatch", "count_batches", "settlement_batches"]


def settlement_batches(db: Database, offset: int, limit: int) -> Page[SettlementBatch]:
    """Operator transactions, newest first."""
    items, more = audit.settlement_batches(db, offset, limit)
    return Page(items, offset, limit, more)
