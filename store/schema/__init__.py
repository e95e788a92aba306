"""Every table of the exchange, one module per owner, all on one ``MetaData`` (``store.schema.base.metadata``).

- ``journal``: ``journal``, ``snapshots`` (written by ``store.journal`` and the snapshot writer).
- ``book``: ``projection_cursor``, ``markets``, ``deployment``, ``api_keys``, ``heartbeats``, ``orders``, ``trades``,
  ``trade_parties`` (written by ``clob.service``; the settlement status of ``trades`` by ``settlement.store``).
- ``settlement``: ``settlement_txs``, ``settlement_attempts``, ``settlement_tx_trades`` (``settlement.store``).
- ``indexer``: the ``chain_*`` tables (``indexer.store``, ``indexer.projections``).
- ``reconcile``: ``reconciliation_runs``, ``reconciliation_discrepancies`` (``reconcile.runs``).

Importing this package declares them all, so ``metadata`` is complete for Alembic (``store/migrations``) and for
the test that compares the migrations with it. Reads that cross from one package's tables into another's go
through ``store.queries``. The book's and the journal's tables are re-exported here, the most used ones.
"""

from store.schema import indexer, reconcile, settlement
from store.schema.base import metadata
from store.schema.book import (
    api_keys,
    deployment,
    heartbeats,
    markets,
    orders,
    projection_cursor,
    trade_parties,
    trades,
)
from store.schema.journal import journal, snapshots

__all__ = [
    "api_keys",
    "deployment",
    "heartbeats",
    "indexer",
    "journal",
    "markets",
    "metadata",
    "orders",
    "projection_cursor",
    "reconcile",
    "settlement",
    "snapshots",
    "trade_parties",
    "trades",
]
