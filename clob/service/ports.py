"""The ports of the service: what it needs from the parts that differ between deployments.

The composition root (`polyclob`) builds the embedded stack or a distributed gateway and plugs its parts in here;
everything above these ports (`ExchangeService`, market data, WebSockets, metrics, the console) runs unchanged in
both modes and never asks which one it is in.

- `CommandStream`: "the sequencer" — the embedded `Sequencer`, or a gateway's `ShardRouter` over the shards. It
  takes commands (``submit``), shows the engine state the journal produced (``book``, ``market_info``,
  ``markets``), reports where each of its streams stands (``status``, ``statuses``: one per shard it follows) and
  calls listeners with every durable command (`Applied`).
- `TradeStatusFeed`: settlement status changes from a batcher in another process (a gateway follows them on the
  bus); in the embedded mode the batcher calls the listeners itself and there is no feed.
- `ChainView`: balances, allowances and nonces of traders, cached (`clob.service.chain_view.CachedChainView`);
  absent when balances are not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from clob.engine import MarketInfo, TokenBook, TokenId
from clob.service.applied import Applied
from clob.service.chain_view import Holding
from clob.service.sequencer import Outcome, StreamStatus
from clob.service.stream import StreamUnavailable
from clob.service.submission import Submission

__all__ = [
    "ChainView",
    "CommandStream",
    "StreamUnavailable",
    "TradeStatusFeed",
    "TradeStatusListener",
]

TradeStatusListener = Callable[[Mapping[str, Any], str, str], None]
"""``listener(trade_row, status, tx_hash)`` for a settlement status change (MINED, CONFIRMED, RETRYING, FAILED)."""


class CommandStream(Protocol):
    stream: str
    """The stream's name (a gateway: its first shard's); trade ids of an outcome without its own are of it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, submission: Submission) -> Future[Outcome]: ...

    def submit_many(self, submissions: Sequence[Submission]) -> Future[list[Outcome | BaseException]]: ...

    def add_listener(self, listener: Callable[[Applied], None]) -> None: ...

    def add_batch_hook(self, hook: Callable[[float, int], None]) -> None: ...

    def book(self, token_id: TokenId) -> TokenBook | None: ...

    def market_info(self, market_id: str) -> MarketInfo | None: ...

    def markets(self) -> list[MarketInfo]: ...

    def status(self, timeout: float = 30.0) -> StreamStatus: ...

    def statuses(self) -> list[StreamStatus]:
        """Every stream this one is made of (the embedded sequencer: itself; a gateway: each shard)."""
        ...


class TradeStatusFeed(Protocol):
    def add_status_listener(self, listener: TradeStatusListener) -> None: ...


class ChainView(Protocol):
    def holding(self, address: str, asset_id: int, refresh: bool = False, cached_only: bool = False) -> Holding: ...

    def nonce(self, address: str, refresh: bool = False, cached_only: bool = False) -> int: ...

    def invalidate(self, address: str, asset_id: int | None = None) -> None: ...
