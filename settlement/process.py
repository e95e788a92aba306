"""The batcher in a process of its own, driven and heard from the process that starts it.

A stack that runs the API, the sequencer, the indexer and the reconciler as threads of one process (the embedded
mode) shares one interpreter lock among them: a batcher thread there waits for the lock after every RPC answer and
every database read, behind whatever thread holds it. ``BatcherProcess`` runs the same ``SettlementService`` over
the same database in a child process (``multiprocessing`` spawn) and keeps the in-process interface the stack
wires to:

- ``notify()``: new trades may be pending (the sequencer's listener), a one-byte wake-up on the pipe, coalesced;
- ``add_row_listener(fn)``: ``fn(trade_row, status, tx_hash)`` for every durable trade status change;
- ``add_failure_hook(fn)``: ``fn(failed_trade, offending_order_ids)`` for every trade that became FAILED;
- ``stop()``: a clean stop (the child finishes its step, stops its scheduler and exits).

Listeners and hooks run in the parent, on one reader thread, in the order the child made the changes (they ran on
the batcher's thread before: the same one-at-a-time order). What they hear is best-effort exactly as before: the
database is the record, a change whose message is lost with a process is still in the tables.

The child lives and dies with its parent: when the pipe reaches end-of-file without a stop message (the parent
was killed), the child ends at once with ``os._exit``, wherever its step is, as a batcher thread would have died
with the process. Intent-before-effect (``settlement.batcher``) makes that safe, and a new batcher started by the
next runner recovers from the database and the chain.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from settlement.model import FailedHook, RowListener

log = logging.getLogger(__name__)

WAKE = b"w"
STOP = b"s"
WAKE_GAP_S = 0.01
"""at most one wake-up per this interval: the sequencer calls ``notify`` for every batch that traded"""


@dataclass(frozen=True, slots=True)
class BatcherParams:
    """What the child needs to build its batcher (``settlement.cli.create_batcher``)."""

    manifest_path: Path
    database_url: str
    rpc_url: str
    operator_key: str
    confirmations: int


def _child(conn: Connection, params: BatcherParams) -> None:
    """The child process: the batcher on its scheduler, messages out on ``conn``, wake-ups and stop in."""
    # Ctrl-C or a SIGTERM to the whole group reaches this process too: the parent says when to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from chain.deploy import Manifest
    from clob.logconfig import configure_logging
    from settlement.cli import create_batcher
    from settlement.config import SettlementConfig
    from settlement.service import SettlementService

    configure_logging()
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    manifest = Manifest.load(params.manifest_path)
    config = SettlementConfig(confirmations=params.confirmations)
    batcher = create_batcher(manifest, params.database_url, params.operator_key, config, rpc_url=params.rpc_url)
    batcher.add_row_listener(lambda row, status, tx_hash: send(("row", row, status, tx_hash)))
    batcher.add_failure_hook(lambda trade, offending: send(("failed", trade, tuple(offending))))
    service = SettlementService(batcher)
    service.start()
    send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)  # the parent is gone: die as its thread would have
        if message == STOP:
            break
        service.notify()
    service.stop(wait=True)
    log.info("settlement process stopped: %s", batcher.stats)
    conn.close()


class BatcherProcess:
    """The settlement batcher in a child process (module docstring); call ``start()`` from a thread that stays."""

    def __init__(self, params: BatcherParams) -> None:
        self.params = params
        self._row_listeners: list[RowListener] = []
        self._failed_hooks: list[FailedHook] = []
        self._conn: Connection | None = None
        self._process: Any = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._last_wake = 0.0
        self._stopping = False
        self._ready = threading.Event()

    def add_row_listener(self, fn: RowListener) -> None:
        self._row_listeners.append(fn)

    def add_failure_hook(self, fn: FailedHook) -> None:
        self._failed_hooks.append(fn)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def start(self, timeout: float = 60.0) -> None:
        """Spawn the child and wait until its batcher runs."""
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        self._process = ctx.Process(target=_child, args=(child, self.params), name="settlement", daemon=False)
        self._process.start()
        child.close()
        self._conn = parent
        self._reader = threading.Thread(target=self._read, name="settlement-events", daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.stop(wait=False)
            raise RuntimeError(f"the settlement process did not start in {timeout:.0f}s")

    def notify(self) -> None:
        """New trades may be pending: wake the child's batcher (at most one message per ``WAKE_GAP_S``)."""
        now = time.monotonic()
        if self._conn is None or now - self._last_wake < WAKE_GAP_S:
            return
        self._last_wake = now
        self._send(WAKE)

    def stop(self, wait: bool = True) -> None:
        """Ask the child to stop; with ``wait``, until it has (then it is killed after 15 s)."""
        self._stopping = True
        self._send(STOP)
        if self._process is None:
            return
        if wait:
            self._process.join(15)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def _send(self, message: bytes) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            with self._send_lock:
                conn.send_bytes(message)
        except (OSError, ValueError):  # the child is gone; the reader thread says so
            pass

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            try:
                self._dispatch(message)
            except Exception:
                log.exception("settlement event %r failed", message[:1])
        if not self._stopping:
            code = None if self._process is None else self._process.exitcode
            log.error("the settlement process ended unexpectedly (exit code %s): nothing is being settled", code)

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "row":
            _, row, status, tx_hash = message
            self._each(self._row_listeners, row, status, tx_hash)
        elif kind == "failed":
            _, trade, offending = message
            self._each(self._failed_hooks, trade, offending)
        elif kind == "ready":
            log.info("settlement process %d running", message[1])
            self._ready.set()

    @staticmethod
    def _each(fns: list[Callable[..., None]], *args: Any) -> None:
        for fn in fns:
            try:
                fn(*args)
            except Exception:
                log.exception("settlement listener %s failed", getattr(fn, "__name__", fn))
