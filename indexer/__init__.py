"""The chain indexer: follows exchange, ConditionalTokens and collateral logs reorg-safely into SQL.

- ``events``: the followed events (exchange per the protocol doc, ConditionalTokens from its ABI, ERC20 collateral)
  and a fast topic0 → decoder path over eth-abi.
- ``source``: the ``ChainSource`` seam and ``RpcSource`` (raw batched JSON-RPC).
- ``follower``: ``Indexer.run_once()`` — reorg check, one adaptive ``eth_getLogs`` range, one transaction.
- ``store``, ``projections``: write the ``chain_*`` tables (logs, blocks, cursor, fills, matches, cancellations, fee
  charges, token registrations, conditions, CTF and collateral transfers, positions, reorgs) on SQLite or
  PostgreSQL. The tables are declared in ``store.schema.indexer``; readers outside the indexer use
  ``store.queries.chain`` (fills by transaction, order, user and market; positions; resolution status; lag).

The indexer imports neither ``settlement`` nor ``reconcile``: they meet in the store.

See ``docs/indexer.md`` for the confirmation and reorg model and how to run it (``python -m indexer``).
"""

from indexer.errors import (
    ChainChangedError,
    ChainMismatchError,
    IndexerError,
    RangeTooLargeError,
    ReorgTooDeepError,
    RpcError,
    UnsupportedDatabaseError,
)
from indexer.events import DecodedLog, EventRegistry, EventSpec, RawLog, default_registry
from indexer.follower import Indexer, IndexerConfig, StepResult
from indexer.source import BlockHeader, ChainSource, LogFilter, RpcSource
from indexer.store import Cursor, IndexerStore, RollbackResult

__all__ = [
    "BlockHeader",
    "ChainChangedError",
    "ChainMismatchError",
    "ChainSource",
    "Cursor",
    "DecodedLog",
    "EventRegistry",
    "EventSpec",
    "Indexer",
    "IndexerConfig",
    "IndexerError",
    "IndexerStore",
    "LogFilter",
    "RangeTooLargeError",
    "RawLog",
    "ReorgTooDeepError",
    "RollbackResult",
    "RpcError",
    "RpcSource",
    "StepResult",
    "UnsupportedDatabaseError",
    "default_registry",
]
