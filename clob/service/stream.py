"""What the service needs from "the sequencer": the embedded `Sequencer`, or a gateway's `ShardRouter`.

Both take commands (``submit``) and show the engine state the journal produced (``book``, ``market_info``,
``markets``, ``status``) and call listeners with every durable command (`Applied`), so everything above them
(`ExchangeService`, market data, WebSockets, metrics) runs unchanged in both deployment modes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Protocol

from clob.engine import MarketInfo, TokenBook, TokenId
from clob.service.applied import Applied
from clob.service.sequencer import Outcome, StreamStatus
from clob.service.submission import Submission


class StreamUnavailable(Exception):  # noqa: N818 - a state, not an error
    """A remote command stream could not take a command or did not answer in time (it may still be applied)."""


class CommandStream(Protocol):
    stream: str

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


def collect(futures: Sequence[Future[Outcome]]) -> Future[list[Outcome | BaseException]]:
    """One future for several: their results (or exceptions) in order, once all are done — ``submit_many`` for a
    stream that takes commands one at a time."""
    target: Future[list[Outcome | BaseException]] = Future()
    if not futures:
        target.set_result([])
        return target
    remaining = [len(futures)]
    lock = threading.Lock()

    def done(_f: Future[Outcome]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        target.set_result([f.exception() or f.result() for f in futures])

    for f in futures:
        f.add_done_callback(done)
    return target
