"""Read queries that cross from one package's tables into another's, one module per consumer.

A package writes its own tables (``settlement.store``, ``indexer.store``, ``reconcile.runs``, the book's
projections) and reads them where it likes; when it needs another package's rows, the query lives here, named for
its consumer, so that settlement, the indexer, the reconciler and the book meet only in the store:

- ``chain``: the indexed chain (fills, matches, order state, positions, resolution, indexer status), for every
  reader outside the indexer: the ``/chain`` API, the console, the reconciler and the stack's resolution watcher.
- ``obligations``: settlement progress, for the book's obligations ledger (``clob.service.obligations``).
- ``audit``: settlement transactions of trades, for the audit page (``clob.service.audit``).
- ``console``: settlement, indexer and reconciliation summaries, for the operator console (``clob.service.console``).
- ``reconcile``: the reconciler's snapshot (book trades with settlement attempts, orders, confirmed chain facts,
  indexed holdings), for ``reconcile.snapshot``; the book's trades a transaction settles, for ``reconcile.api``.
- ``reconciliation``: stored reconciliation runs and discrepancies (``reconcile.runs`` writes them), for the
  ``/chain`` API, the reconciler's CLI and the console.

Results are plain frozen values or SQLAlchemy rows; nothing here imports a consumer.
"""
