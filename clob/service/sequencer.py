"""The sequencer: the ONE writer of a stream (a shard of markets). Journal before effect, in batches.

Callers (API handlers, the heartbeat monitor, admin tools) ``submit`` a ``Submission`` and get a future, or
``submit_many`` a request's worth and get one future for all. A single thread drains the queue in batches and, for
each submission in order:

1. refuses a new order whose id (``Submission.order_id``) was sequenced before — stored in ``orders`` (one query for
   the whole batch) or earlier in the batch — and, as the single writer, nothing can slip in between;
2. runs its ``precheck`` against the current engine, and checks its balance ``reservation`` against the engine's
   resting reservations and the obligations ledger (`clob.service.obligations`: fills matched and not settled
   yet) — a rejection here is answered at once and nothing is journaled;
3. builds the engine command with the next sequence number and applies it to the engine (in memory), and records
   its fills in the obligations ledger;

then, for the whole batch, writes the journal entries, the projections of their events and the projection cursor
in ONE database transaction. Only after that commit are futures resolved, market-data views updated and events
published. Nobody can observe an effect whose command is not durable. If the commit fails, the in-memory engine is
ahead of the journal: the sequencer rebuilds it from the journal (``recover``) and fails the batch's futures —
their commands were not accepted.

Between batches the thread waits for commands only until the next GTD expiry (``clob.service.expiry``): then an
``ExpireOrders`` goes first into the next batch, journaled like any command (and not at all when nothing expires).

``recover`` on start-up: restore the newest verified snapshot (``clob.service.snapshots``; one is taken every
``snapshot_every`` commands, serialized and stored off the writer thread by ``clob.service.snapshot_capture``; a
failed one is logged and the next is due ``snapshot_every`` commands later), re-apply every later journal entry and
check each recomputed chain hash; the engine then has exactly the state it had before the restart (the same
``state_hash``); the obligations ledger is rebuilt from the trades table with it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from clob.engine import (
    BookDelta,
    Command,
    Engine,
    Event,
    MarketCreated,
    MarketId,
    MarketInfo,
    MarketStatusChanged,
    RejectReason,
    Seq,
    TickSizeChanged,
    TokenBook,
    TokenId,
    Trade,
)
from clob.service.applied import Applied
from clob.service.codec import decode_command, encode, kind_of
from clob.service.expiry import ExpiryTimer
from clob.service.obligations import Obligations, settlement_obligations
from clob.service.projections import Projector
from clob.service.snapshot_capture import SnapshotTaker
from clob.service.snapshots import load_verified
from clob.service.submission import Submission, sequenced
from clob.service.trades import trade_key
from store.db import Database
from store.journal import GENESIS, Journal, verified

log = logging.getLogger(__name__)


class SequencerStopped(Exception):  # noqa: N818 - a state, not an error
    """The sequencer is not running."""


class CommitFailed(Exception):  # noqa: N818
    """The batch holding this command could not be made durable; the command was not accepted."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """A read of the engine on the sequencer thread, after every command submitted before it is durable."""

    read: Callable[[Engine], Any]


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """Where a stream stands: its journal head and the engine state that the journal produces."""

    stream: str
    head_seq: int
    head_hash: str
    state_hash: str
    resting_orders: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a submission: its journal seq and engine events, or the precheck's rejection."""

    seq: int | None
    events: tuple[Event, ...] = ()
    rejected: str | None = None
    stream: str = ""
    """The stream that journaled it, where the answering stream follows several (a gateway: the shard); empty:
    the stream that answered."""


Listener = Callable[[Applied], None]

_MARKET_EVENTS = (MarketCreated, MarketStatusChanged, TickSizeChanged)
"""The events after which the market views are read again (nothing else changes a `MarketInfo`)."""


DUPLICATE = RejectReason.DUPLICATE_ORDER.value
"""`Outcome.rejected` of a new order whose id was sequenced before (the engine's reason for a live duplicate)."""


class _Group:
    """Submissions answered together by one future (one HTTP request's orders): a single wake-up of the caller
    instead of one per order. A group is never split across batches."""

    __slots__ = ("future", "results", "single", "subs")

    def __init__(self, subs: Sequence[Submission], future: Future[Any], single: bool) -> None:
        self.subs = subs
        self.future = future
        self.single = single
        self.results: list[Outcome | BaseException | None] = [None] * len(subs)

    def settle(self) -> None:
        if self.single:
            result = self.results[0]
            if isinstance(result, BaseException):
                self.future.set_exception(result)
            else:
                self.future.set_result(result)
        else:
            self.future.set_result(self.results)


class Sequencer:
    """Owns one stream's engine and journal. Thread-safe ``submit``; everything else runs on its own thread."""

    def __init__(
        self,
        db: Database,
        stream: str = "main",
        max_batch: int = 512,
        snapshot_every: int = 100_000,
        snapshot_mode: str | None = None,
        clock: Callable[[], float] = time.time,
        obligations: Obligations | None = None,
    ) -> None:
        self.db = db
        self.stream = stream
        self.max_batch = max_batch
        self.engine = Engine()
        self.journal = Journal(db, stream)
        self.projector = Projector(stream)
        self._queue: queue.Queue[_Group | tuple[Inspection, Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._running = False
        self._listeners: list[Listener] = []
        self._batch_hooks: list[Callable[[float, int], None]] = []
        self.snapshot_every = snapshot_every
        self.snapshots = SnapshotTaker(db, stream, snapshot_mode)
        """Takes the periodic snapshots off this sequencer's thread (``fork`` by default, or ``inline``)."""
        self._last_snapshot_seq = 0
        self._books: dict[TokenId, TokenBook] = {}
        self._markets: dict[MarketId, MarketInfo] = {}
        self._view_lock = threading.Lock()
        self.expiry = ExpiryTimer(clock)
        """When the GTD sweep is due (``clob.service.expiry``): the writer thread waits for commands until then."""
        self.obligations = obligations if obligations is not None else settlement_obligations(db)
        """What makers owe for fills not settled yet; written on this sequencer's thread only."""

    # --- lifecycle -------------------------------------------------------------------------------------------
    def recover(self, use_snapshot: bool = True) -> int:
        """Rebuild the engine: the newest verified snapshot (if any) plus the journal after it, every chain hash
        checked; return the number of journal entries re-applied.

        The journal is streamed in pages (constant memory), each entry's chain link checked before its command is
        decoded (``decode_command``: the command only, the meta unread) and applied; the engine's events are
        dropped. The cyclic garbage collector is paused meanwhile (it would rescan the growing book again and
        again). A broken chain or an undecodable entry raises before the new engine replaces the current one."""
        engine, start_seq, start_hash = Engine(), 1, GENESIS
        restored = load_verified(self.db, self.stream) if use_snapshot else None
        last_snapshot = self._last_snapshot_seq
        if restored is not None:
            engine, snap = restored
            start_seq, start_hash = snap.seq + 1, snap.journal_hash
            last_snapshot = snap.seq
        count = 0
        apply = engine.apply
        paused = gc.isenabled()
        gc.disable()
        rows = self.journal.scan(start_seq)
        try:
            for seq, kind, payload, _ts, _prev, _hash in verified(rows, start_seq, start_hash):
                apply(decode_command(kind, payload, seq))
                count += 1
        finally:
            rows.close()  # the scan's connection goes back to the pool now, even when the chain is broken
            if paused:
                gc.enable()
        self.engine = engine
        self._last_snapshot_seq = last_snapshot
        self.journal = Journal(self.db, self.stream)
        self.obligations.load()
        self._refresh_all_views()
        return count

    def _maybe_snapshot(self) -> None:
        """At a pause point (every durable command applied, nothing else yet): if a snapshot is due, capture the
        engine for ``self.snapshots`` to serialize and store off this thread (``clob.service.snapshot_capture``)."""
        if self.snapshot_every <= 0:
            return
        if self.journal.head_seq - self._last_snapshot_seq < self.snapshot_every:
            return
        if self.snapshots.capture(self.journal.head_seq, self.journal.head_hash, self.engine):
            self._last_snapshot_seq = self.journal.head_seq

    def start(self) -> None:
        if self._running:
            return
        self.recover()
        self._running = True
        self._thread = threading.Thread(target=self._run, name=f"sequencer-{self.stream}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if not self._running:
            return
        self._running = False
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self.expiry.flush()
        if not self.snapshots.wait(timeout):
            log.warning("stream %s: a snapshot was still being made at stop", self.stream)

    # --- API ---------------------------------------------------------------------------------------------------
    def submit(self, submission: Submission) -> Future[Outcome]:
        fut: Future[Outcome] = Future()
        self._enqueue(_Group((submission,), fut, True))
        return fut

    def submit_many(self, submissions: Sequence[Submission]) -> Future[list[Outcome | BaseException]]:
        """Sequence ``submissions`` in order, in one batch; the future gives one result each: its `Outcome`, or
        the exception that kept it out (`CommitFailed`, a malformed submission's error). The caller is woken once
        for all of them."""
        fut: Future[list[Outcome | BaseException]] = Future()
        if not submissions:
            fut.set_result([])
        else:
            self._enqueue(_Group(tuple(submissions), fut, False))
        return fut

    def _enqueue(self, group: _Group) -> None:
        if not self._running:
            group.future.set_exception(SequencerStopped("the sequencer is not running"))
        else:
            self._queue.put(group)

    async def submit_async(self, submission: Submission) -> Outcome:
        return await asyncio.wrap_future(self.submit(submission))

    def inspect(self, read: Callable[[Engine], Any]) -> Future[Any]:
        """Run ``read(engine)`` on the sequencer thread once everything submitted before is durable."""
        fut: Future[Any] = Future()
        if not self._running:
            fut.set_exception(SequencerStopped("the sequencer is not running"))
            return fut
        self._queue.put((Inspection(read), fut))
        return fut

    def status(self, timeout: float = 30.0) -> StreamStatus:
        """The journal head and the engine's state hash, read consistently on the sequencer thread."""

        def read(engine: Engine) -> StreamStatus:
            return StreamStatus(
                self.stream,
                self.journal.head_seq,
                self.journal.head_hash.hex(),
                engine.state_hash(),
                engine.resting_count(),
            )

        result: StreamStatus = self.inspect(read).result(timeout)
        return result

    def statuses(self) -> list[StreamStatus]:
        """This one stream's `status` (a gateway's `CommandStream` follows several)."""
        return [self.status()]

    def add_listener(self, listener: Listener) -> None:
        """``listener(applied)`` is called on the sequencer thread after each durable command; keep it fast."""
        self._listeners.append(listener)

    def book(self, token_id: TokenId) -> TokenBook | None:
        """The token's book as of the last durable batch."""
        with self._view_lock:
            return self._books.get(token_id)

    def market_info(self, market_id: str) -> MarketInfo | None:
        key = MarketId(market_id)
        with self._view_lock:
            return self._markets.get(key)

    def markets(self) -> list[MarketInfo]:
        with self._view_lock:
            return list(self._markets.values())

    # --- the writer thread -----------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item: _Group | tuple[Inspection, Future[Any]] | None
            try:
                item = self._queue.get(timeout=self.expiry.wait_s(self.engine))
            except queue.Empty:
                item = None  # the expiry deadline came first: a sweep alone
            else:
                if item is None:
                    return
            batch: list[_Group] = []
            sweep = self.expiry.due(self.engine)
            if sweep is not None:  # first in the batch: what expired is gone before the batch's orders arrive
                group = _Group((sweep,), Future(), True)
                self.expiry.sent(group.future)
                batch.append(group)
            size = len(batch)
            inspection: tuple[Inspection, Future[Any]] | None = None
            while item is not None:
                if isinstance(item, tuple):
                    inspection = item
                    break
                batch.append(item)
                size += len(item.subs)
                if size >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._running = False
                    break
            if batch:
                self._process(batch)
            if inspection is not None:
                try:
                    inspection[1].set_result(inspection[0].read(self.engine))
                except Exception as exc:
                    inspection[1].set_exception(exc)
            if not self._running:
                self._fail_pending()
                return

    def _fail_pending(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Group):
                item.future.set_exception(SequencerStopped("the sequencer stopped"))
            elif item is not None:
                item[1].set_exception(SequencerStopped("the sequencer stopped"))

    def add_batch_hook(self, hook: Callable[[float, int], None]) -> None:
        """``hook(seconds, commands)`` after each durable batch: how long it took from the first submission's
        dequeue to the commit, and how many commands it held."""
        self._batch_hooks.append(hook)

    def _sequenced_orders(self, batch: list[_Group]) -> set[str]:
        """Which of the batch's new order ids are in ``orders`` already (one query for the whole batch)."""
        ids = [s.order_id for group in batch for s in group.subs if s.order_id is not None]
        if not ids:
            return set()
        with self.db.engine.connect() as conn:
            return self.projector.stored_order_ids(conn, ids)

    def _process(self, batch: list[_Group]) -> None:
        started = time.perf_counter()
        engine = self.engine
        obligations = self.obligations
        obligations.poll()
        items: list[tuple[str, bytes, int]] = []
        applied: list[tuple[Command, dict[str, Any], list[Event]]] = []
        journaled: list[tuple[_Group, int]] = []  # (group, position) of each applied command, in order
        try:
            known = self._sequenced_orders(batch)
        except Exception as exc:
            log.exception("stream %s: cannot read the stored order ids; failing a batch", self.stream)
            self._fail(batch, exc)
            return
        for group in batch:
            results = group.results
            for pos, sub in enumerate(group.subs):
                oid = sub.order_id
                try:
                    if oid is not None and oid in known:
                        results[pos] = Outcome(None, (), DUPLICATE)
                        continue
                    if sub.precheck is not None and (reason := sub.precheck(engine)) is not None:
                        results[pos] = Outcome(None, (), reason)
                        continue
                    if sub.reservation is not None and (reason := obligations.check(engine, sub.reservation)):
                        results[pos] = Outcome(None, (), reason)
                        continue
                    seq = self.journal.head_seq + len(items) + 1
                    command = sequenced(sub.command, Seq(seq))
                    meta = dict(sub.meta)
                    payload = encode(command, meta)
                except Exception as exc:  # a malformed submission must not take the stream down
                    results[pos] = exc
                    continue
                try:
                    events = engine.apply(command)
                except Exception as exc:  # the engine refused to go on: its state is suspect, start over
                    log.exception("stream %s: engine failed on seq %d; rebuilding from the journal", self.stream, seq)
                    results[pos] = exc
                    self._abort(batch, exc)
                    return
                if oid is not None:
                    known.add(oid)
                for ev in events:
                    if isinstance(ev, Trade):
                        obligations.record(trade_key(self.stream, ev), ev, seq)
                items.append((kind_of(command), payload, int(command.now) * 1000))
                applied.append((command, meta, events))
                journaled.append((group, pos))

        entries = self.journal.prepare(items)
        done = [
            Applied(e.seq, cmd, meta, events, e.hash.hex(), self.stream, e)
            for e, (cmd, meta, events) in zip(entries, applied, strict=True)
        ]
        try:
            with self.db.engine.begin() as conn:
                Journal.insert(conn, entries)
                self.projector.write(conn, done)
        except Exception as exc:
            log.exception(
                "stream %s: commit of %d commands failed; rebuilding from the journal", self.stream, len(items)
            )
            self._abort(batch, exc)
            return
        self.journal.advance(entries)
        elapsed = time.perf_counter() - started
        for hook in self._batch_hooks:
            hook(elapsed, len(entries))
        self._update_views(applied)
        # Listeners (market data, WebSockets, metrics, the batcher's wake-up) see a command before its caller
        # gets the answer, so whatever the caller reads next already reflects it.
        for item in done if self._listeners else ():
            for listener in self._listeners:
                try:
                    listener(item)
                except Exception:
                    log.exception("listener failed on seq %d", item.seq)
        for (group, pos), item in zip(journaled, done, strict=True):
            group.results[pos] = Outcome(item.seq, tuple(item.events))
        for group in batch:
            group.settle()
        self._maybe_snapshot()

    @staticmethod
    def _fail(batch: list[_Group], exc: Exception) -> None:
        """Answer the batch with nothing of it durable: refusals stand, every other command failed."""
        for group in batch:
            results = group.results
            for pos, result in enumerate(results):
                if result is None:  # (journaled commands are answered only after the commit)
                    results[pos] = CommitFailed(str(exc))
            group.settle()

    def _abort(self, batch: list[_Group], exc: Exception) -> None:
        """Nothing of this batch became durable: answer it (`_fail`), then rebuild the engine from the journal."""
        self._fail(batch, exc)
        self.recover()

    # --- market-data views -----------------------------------------------------------------------------------
    def _update_views(self, applied: list[tuple[Command, dict[str, Any], list[Event]]]) -> None:
        tokens: set[TokenId] = set()
        market_changed = False
        for _cmd, _meta, events in applied:
            for ev in events:
                if isinstance(ev, BookDelta):
                    tokens.add(ev.token_id)
                elif isinstance(ev, _MARKET_EVENTS):
                    market_changed = True
        books = {t: b for t in tokens if (b := self.engine.book(t)) is not None}
        markets = {m.market: m for m in self.engine.markets()} if market_changed else None
        with self._view_lock:
            self._books.update(books)
            if markets is not None:
                self._markets = markets

    def _refresh_all_views(self) -> None:
        markets = {m.market: m for m in self.engine.markets()}
        books: dict[TokenId, TokenBook] = {}
        for m in markets.values():
            for token in (m.yes_token, m.no_token):
                book = self.engine.book(token)
                if book is not None:
                    books[token] = book
        with self._view_lock:
            self._books = books
            self._markets = markets
