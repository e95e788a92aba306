"""Snapshots off the writer thread: a consistent capture at a pause point, the expensive work elsewhere.

Serializing a big book (``Engine.state_hash`` and ``Engine.snapshot``: ~3 s for 450k resting orders on the bench
machine, more for more) on the sequencer's thread would stall order intake for as long. ``SnapshotTaker.capture``
runs on that thread between two batches — when the engine's state is exactly the one after journal entry ``seq`` —
and costs only a capture:

- ``fork`` (the default where ``os.fork`` exists): the process forks. The child is a copy-on-write image of the
  whole process at that instant, so its engine is exactly the state at ``seq`` whatever the parent does next; it
  computes the state hash and the snapshot bytes on another core, writes them to a pipe and leaves with
  ``os._exit`` (no cleanup, no finalizers, no atexit: it never touches the parent's connections, sockets or locks).
  The writer thread pays only for the fork itself (copying page tables: ~20 ms with a 450k-order book, see
  BENCHMARKS.md). A background thread reads the pipe, reaps the child and stores the snapshot. Costs: while the
  child runs, pages the parent writes are copied (memory up to the engine's size again) and the child takes a core;
  a child that hangs is killed after ``CHILD_TIMEOUT_S``. Only the engine is used in the child, never a lock,
  connection or thread of the parent.
- ``inline``: state hash and bytes are computed on the calling thread (the stall), only the database write moves to
  the background thread. The fallback where there is no fork, or chosen with ``POLYCLOB_SNAPSHOT_MODE=inline``.

Either way the stored row says: this blob, with this state hash, is the engine right after entry ``seq``, whose chain
hash is ``journal_hash`` — the same guarantee as before. And it is still checked before it is trusted
(``snapshots.load_verified``: the blob restores, to that state hash, and the journal's entry ``seq`` has that hash).
A failed or abandoned snapshot only costs restart time; ``failed`` counts them.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import threading
import time
from dataclasses import dataclass

from clob.engine import Engine
from clob.service.snapshots import Snapshot, store_snapshot
from store.db import Database

log = logging.getLogger(__name__)

CHILD_TIMEOUT_S = 900.0
"""A forked child that has not delivered its snapshot by then is killed (and the snapshot skipped)."""


def default_mode() -> str:
    """``POLYCLOB_SNAPSHOT_MODE`` (``fork`` or ``inline``) if set, else ``fork`` where the platform has it."""
    mode = os.environ.get("POLYCLOB_SNAPSHOT_MODE", "").strip().lower()
    if mode in ("fork", "inline"):
        return mode
    return "fork" if hasattr(os, "fork") else "inline"


@dataclass(frozen=True, slots=True)
class _Job:
    seq: int
    journal_hash: bytes
    started: float
    pid: int = 0
    fd: int = -1
    snapshot: Snapshot | None = None


class SnapshotTaker:
    """Takes a stream's snapshots; ``capture`` on the writer thread, storage on background threads."""

    def __init__(self, db: Database, stream: str, mode: str | None = None, max_in_flight: int = 2, keep: int = 2):
        mode = mode or default_mode()
        if mode not in ("fork", "inline"):
            raise ValueError("snapshot mode must be 'fork' or 'inline'")
        if mode == "fork" and not hasattr(os, "fork"):
            mode = "inline"
        self.db = db
        self.stream = stream
        self.mode = mode
        self.max_in_flight = max_in_flight
        self.keep = keep
        self.last_capture_s = 0.0
        """Seconds the last ``capture`` held its caller (the writer-thread stall)."""
        self.max_capture_s = 0.0
        self.last_ready_s = 0.0
        """Seconds from the start of the last stored snapshot's capture to its commit."""
        self.stored = 0
        self.failed = 0
        self.last_stored_seq = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def capture(self, seq: int, journal_hash: bytes, engine: Engine) -> bool:
        """Capture ``engine`` — which must be exactly the state after journal entry ``seq`` and must not change
        until this returns — and have it stored in the background. True when this snapshot is dealt with: captured,
        or failed (logged and counted in ``failed``; the caller moves on to the next one rather than retrying at
        every pause). False only when ``max_in_flight`` snapshots are still being made: nothing was done, try at a
        later pause."""
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                return False
            self._in_flight += 1
        started = time.perf_counter()
        try:
            capture = self._fork if self.mode == "fork" else self._inline
            job = capture(seq, journal_hash, engine, started)
        except Exception:
            log.exception("stream %s: snapshot capture at seq %d failed", self.stream, seq)
            self._done(ok=False)
            return True
        finally:
            self.last_capture_s = time.perf_counter() - started
            self.max_capture_s = max(self.max_capture_s, self.last_capture_s)
        threading.Thread(target=self._finish, args=(job,), name=f"snapshot-{self.stream}-{seq}", daemon=True).start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no snapshot is in flight; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    # --- capture -------------------------------------------------------------------------------------------
    def _inline(self, seq: int, journal_hash: bytes, engine: Engine, started: float) -> _Job:
        snap = Snapshot(self.stream, seq, journal_hash, engine.state_hash(), engine.snapshot())
        return _Job(seq, journal_hash, started, snapshot=snap)

    def _fork(self, seq: int, journal_hash: bytes, engine: Engine, started: float) -> _Job:
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:  # the child: a frozen copy of the engine at seq; compute, hand over, vanish
            code = 1
            try:
                os.close(read_fd)
                gc.disable()
                digest = engine.state_hash().encode()
                blob = engine.snapshot()
                view = memoryview(len(digest).to_bytes(1, "big") + digest + blob)
                while view:
                    view = view[os.write(write_fd, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        return _Job(seq, journal_hash, started, pid=pid, fd=read_fd)

    # --- background ----------------------------------------------------------------------------------------
    def _finish(self, job: _Job) -> None:
        ok = False
        try:
            snap = job.snapshot if job.snapshot is not None else self._collect(job)
            if snap is not None:
                store_snapshot(self.db, snap, keep=self.keep)
                self.last_stored_seq = max(self.last_stored_seq, snap.seq)
                self.last_ready_s = time.perf_counter() - job.started
                ok = True
        except Exception:
            log.exception("stream %s: snapshot at seq %d failed", self.stream, job.seq)
        finally:
            self._done(ok)

    def _collect(self, job: _Job) -> Snapshot | None:
        """Read the child's output, reap it; the snapshot, or None (logged) if the child failed."""
        chunks: list[bytes] = []
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([job.fd], [], [], left)[0]:
                    os.kill(job.pid, signal.SIGKILL)
                    log.error("stream %s: snapshot child for seq %d timed out; killed", self.stream, job.seq)
                    break
                chunk = os.read(job.fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(job.fd)
            _pid, status = os.waitpid(job.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            log.error("stream %s: snapshot child for seq %d failed (status %#x)", self.stream, job.seq, status)
            return None
        data = b"".join(chunks)
        size = data[0] if data else 0
        if len(data) < 1 + size or size == 0:
            log.error("stream %s: snapshot child for seq %d returned %d bytes", self.stream, job.seq, len(data))
            return None
        return Snapshot(self.stream, job.seq, job.journal_hash, data[1 : 1 + size].decode(), data[1 + size :])

    def _done(self, ok: bool) -> None:
        with self._idle:
            self._in_flight -= 1
            if ok:
                self.stored += 1
            else:
                self.failed += 1
            self._idle.notify_all()
