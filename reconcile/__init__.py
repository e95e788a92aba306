"""Reconciliation: the book (orders, trades, settlement attempts) against the indexed chain, and back.

- ``rules``: the rules as pure functions over a frozen ``Snapshot`` (no I/O, no clock).
- ``snapshot``: the ``Snapshot`` from the database (``store.queries.reconcile``) and the traders' holdings
  (``IndexedHoldings`` from the index, ``ViewHoldings`` from a chain view).
- ``runs``: ``Reconciler.run_once()`` — snapshot, rules, store (``reconciliation_*`` tables), hooks; ``schedule``
  on apscheduler.
- ``hooks``: ``book_feedback_hook``, which cancels in the book what the chain made unfillable (imports the
  sequencer, so it is not re-exported here).
- ``api``: the ``/chain`` read router (indexed chain, book trades by transaction, stored discrepancies).
- ``cli``: ``python -m reconcile``.

The reconciler meets the batcher and the indexer only through the store: it reads their tables through
``store.queries`` and imports neither ``settlement`` nor ``indexer``. See ``docs/indexer.md``.
"""

from reconcile.rules import Discrepancy, Kind, Snapshot, reconcile
from reconcile.runs import Hook, Reconciler, RunResult, store_run
from reconcile.snapshot import (
    HoldingsSource,
    HoldingView,
    IndexedHoldings,
    ReconcileError,
    ViewHoldings,
    load_snapshot,
)
from store.queries.reconcile import BookTradeRef, book_trades_by_tx
from store.queries.reconciliation import RunRecord, StoredDiscrepancy, last_run, list_discrepancies
from store.schema.reconcile import TABLES, reconciliation_discrepancies, reconciliation_runs

__all__ = [
    "TABLES",
    "BookTradeRef",
    "Discrepancy",
    "HoldingView",
    "HoldingsSource",
    "Hook",
    "IndexedHoldings",
    "Kind",
    "ReconcileError",
    "Reconciler",
    "RunRecord",
    "RunResult",
    "Snapshot",
    "StoredDiscrepancy",
    "ViewHoldings",
    "book_trades_by_tx",
    "last_run",
    "list_discrepancies",
    "load_snapshot",
    "reconcile",
    "reconciliation_discrepancies",
    "reconciliation_runs",
    "store_run",
]
