"""Signature verification in worker processes, to use a second core for the CPU-bound part of order intake.

The GIL keeps one process on one core; the sequencer thread, the event loop and the checks share it. With a pool,
each POST /orders body list goes to a worker process that parses every order and recovers its signer; it answers
with the order hash of each order whose signature is valid (None for any other, which the main process then checks
again the ordinary way to produce the precise error). The main process still parses each order (cheap) and runs
every other check; the engine stays single-writer (only the sequencer applies commands).

The worker is handed the decoded JSON (re-encoded with orjson) and answers with digests computed from its own parse
of the same value, so a digest always belongs to the order the main process parses.

Transport: one pipe per worker, driven by the event loop itself — requests written to the pipe, answers read by a
reader callback on its file descriptor (``loop.add_reader``), matched to requests in order. There is no executor,
management thread or feeder thread: those competed for the GIL with the loop and the sequencer (~8 % of it at load,
py-spy). Each worker has at most `MAX_IN_FLIGHT` requests outstanding, so a request (≤ 1 MiB, usually ~11 KB) plus
those before it never fill the pipe and a write never blocks the loop for long. A worker that dies is dropped; with
none left (or for anything that cannot be sent), `digests` answers all-None and the caller verifies in-process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import signal
from collections.abc import Sequence
from functools import lru_cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import orjson

from orders import OrderError, OrderVerifier, parse_order_request
from orders.wallets import WalletRules

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 4
"""Requests outstanding per worker."""
_DIGEST = 32


@lru_cache(maxsize=4)
def _verifier(chain_id: int, exchange: str, wallets: WalletRules | None) -> OrderVerifier:
    return OrderVerifier(chain_id, exchange, wallets=wallets)


def verify_bodies(
    chain_id: int, exchange: str, bodies: Sequence[object] | bytes, wallets: WalletRules | None = None
) -> list[bytes | None]:
    """The order hash of each body (or of each item of a JSON array) whose signature verifies (a proxy-wallet or
    Safe order only with the deployment's ``wallets`` rules), else None."""
    verifier = _verifier(chain_id, exchange, wallets)
    if isinstance(bodies, bytes):
        bodies = orjson.loads(bodies)
        if not isinstance(bodies, list):
            return []
    out: list[bytes | None] = []
    for body in bodies:
        try:
            out.append(verifier.verify(parse_order_request(body).order))
        except (OrderError, ValueError, TypeError, OverflowError):
            out.append(None)
    return out


def encode_digests(digests: Sequence[bytes | None]) -> bytes:
    """Each digest as a flag byte (1: verified) and 32 bytes."""
    return b"".join(b"\x01" + d if d is not None and len(d) == _DIGEST else b"\x00" * (_DIGEST + 1) for d in digests)


def decode_digests(data: bytes) -> list[bytes | None]:
    step = _DIGEST + 1
    return [data[i + 1 : i + step] if data[i] == 1 else None for i in range(0, len(data), step)]


def _serve(conn: Connection, chain_id: int, exchange: str, wallets: WalletRules | None = None) -> None:
    """A worker: answer each request (a JSON array of order bodies) until an empty message or the pipe closes.
    Ctrl-C reaches the whole process group: the worker ignores it and ends when its parent closes the pipe (no
    KeyboardInterrupt traceback in the log)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not request:
            return
        try:
            answer = encode_digests(verify_bodies(chain_id, exchange, request, wallets))
        except Exception:  # a body the worker cannot read: the main process checks it (and says what is wrong)
            answer = b""
        conn.send_bytes(answer)


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.waiting: collections.deque[tuple[asyncio.Future[list[bytes | None]], int]] = collections.deque()
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.alive = True


class VerifyPool:
    """Worker processes verifying order signatures for one deployment (module docstring)."""

    def __init__(self, workers: int, chain_id: int, exchange: str, wallets: WalletRules | None = None) -> None:
        self.chain_id = chain_id
        self.exchange = exchange
        ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        for i in range(workers):
            parent, child = ctx.Pipe(duplex=True)
            process = ctx.Process(
                target=_serve, args=(child, chain_id, exchange, wallets), name=f"verify-{i}", daemon=True
            )
            process.start()
            child.close()
            self._workers.append(_Worker(process, parent))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next = 0

    def warm_up(self, timeout: float = 60.0) -> None:
        """Wait until every worker has started and answered once (spawning takes a while); call before use."""
        for worker in self._workers:
            worker.conn.send_bytes(b"[]")
            if not worker.conn.poll(timeout):
                raise RuntimeError(f"signature worker {worker.process.name} did not start in {timeout}s")
            worker.conn.recv_bytes()

    async def digests(self, bodies: Sequence[object]) -> list[bytes | None]:
        """The verified order hash of each body, None where the worker could not verify it."""
        nothing: list[bytes | None] = [None] * len(bodies)
        worker = self._pick()
        if worker is None:
            return nothing
        try:
            payload = orjson.dumps(list(bodies))
        except TypeError:  # e.g. an integer beyond 64 bits: checked in-process
            return nothing
        self._bind(asyncio.get_running_loop())
        async with worker.slots:
            if not worker.alive:
                return nothing
            future: asyncio.Future[list[bytes | None]] = asyncio.get_running_loop().create_future()
            worker.waiting.append((future, len(bodies)))
            try:
                worker.conn.send_bytes(payload)
            except OSError:
                self._lost(worker)
            return await future

    def _pick(self) -> _Worker | None:
        alive = [w for w in self._workers if w.alive]
        if not alive:
            return None
        self._next = (self._next + 1) % len(alive)
        return min(alive[self._next :] + alive[: self._next], key=lambda w: len(w.waiting))

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        self._unbind()
        for worker in self._workers:
            if worker.alive:
                loop.add_reader(worker.conn.fileno(), self._readable, worker)
        self._loop = loop

    def _unbind(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            for worker in self._workers:
                if worker.alive:
                    self._loop.remove_reader(worker.conn.fileno())
        self._loop = None

    def _readable(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                answer = worker.conn.recv_bytes()
                future, count = worker.waiting.popleft()
                digests = decode_digests(answer)
                if not future.done():
                    future.set_result(digests if len(digests) == count else [None] * count)
        except (EOFError, OSError, IndexError):
            self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        """The worker is gone (or its pipe broke): drop it; whatever it still owed is answered all-None."""
        if not worker.alive:
            return
        log.error(
            "signature worker %s stopped (exit code %s); verifying in-process",
            worker.process.name,
            worker.process.exitcode,
        )
        worker.alive = False
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(worker.conn.fileno())
        while worker.waiting:
            future, count = worker.waiting.popleft()
            if not future.done():
                future.set_result([None] * count)

    def close(self) -> None:
        """Stop the workers. Called on the loop's thread, or from another one while the loop runs (the service's
        stop runs on a worker thread) or after it ended."""
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):

            async def unbind() -> None:
                self._unbind()

            try:
                asyncio.run_coroutine_threadsafe(unbind(), loop).result(10)
            except Exception:  # the loop is going away: nothing left to unregister from
                self._loop = None
        elif loop is not None and not loop.is_running():
            self._loop = None
        else:
            self._unbind()
        for worker in self._workers:
            if worker.alive:
                with contextlib.suppress(OSError):
                    worker.conn.send_bytes(b"")
            for future, count in worker.waiting:
                if not future.done() and not future.get_loop().is_closed():
                    future.get_loop().call_soon_threadsafe(_settle, future, count)
            worker.waiting.clear()
            worker.alive = False
        for worker in self._workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(5)
            worker.conn.close()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _settle(future: asyncio.Future[list[bytes | None]], count: int) -> None:
    if not future.done():
        future.set_result([None] * count)
