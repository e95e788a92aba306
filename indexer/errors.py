"""The indexer's exceptions: one root, one subclass per thing a caller may want to handle differently."""

from __future__ import annotations


class IndexerError(Exception):
    """Root of every error the indexer raises on purpose."""


class RpcError(IndexerError):
    """The node answered a JSON-RPC call with an error (or not at all)."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        super().__init__(f"{method}: {message}" + (f" (code {code})" if code is not None else ""))
        self.method = method
        self.code = code


class RangeTooLargeError(RpcError):
    """``eth_getLogs`` refused or timed out on a block range: retry with a smaller one."""


class ChainChangedError(IndexerError):
    """The chain changed under a step (a reorg between two calls); the step is discarded and retried."""


class ReorgTooDeepError(IndexerError):
    """No stored block matches the chain any more: the reorg is deeper than the stored window."""


class ChainMismatchError(IndexerError):
    """The database was indexed from another chain (chain id differs)."""


class UnsupportedDatabaseError(IndexerError):
    """The database is neither SQLite nor PostgreSQL, the two the indexer's SQL (``ON CONFLICT``, ``COPY``, the
    driver's paramstyle) is written for."""

    def __init__(self, dialect: str) -> None:
        super().__init__(
            f"the indexer stores to SQLite or PostgreSQL; this database is {dialect!r}"
            " (use a sqlite:// or postgresql+psycopg:// URL)"
        )
        self.dialect = dialect
