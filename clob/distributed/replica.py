"""A replica of one shard's engine, built only from verified journal entries.

The book is a pure function of its journal, so anyone holding the journal holds the book. A gateway keeps one
replica per shard, fed by the shard's JOURNAL stream (``offer``) and, for anything the stream did not deliver, by
the journal table itself (``catch_up``): every entry's chain hash is recomputed before it is applied, and entries
are applied strictly in sequence order, each exactly once. Listeners get the same `Applied` items (with the
engine's events) the sequencer's listeners get, so market data, WebSockets and the answers to a gateway's own
commands are computed the same way in both deployment modes.

Threading: ``offer``/``catch_up`` may be called from any thread (one lock serialises them and the reads). The read
views (``book``, ``market_info``, ``markets``) are copies made on demand: applying an entry only marks the books
it touched, so a gateway following a busy shard does not rebuild a book per entry that nobody reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from clob.engine import BookDelta, CancelOrder, Engine, MarketId, MarketInfo, PlaceOrder, TokenBook, TokenId
from clob.service.applied import Applied
from clob.service.codec import decode
from clob.service.sequencer import StreamStatus
from clob.service.snapshots import load_verified
from store.db import Database
from store.journal import GENESIS, Journal, JournalEntry, entry_hash

log = logging.getLogger(__name__)


class ReplicaDiverged(Exception):  # noqa: N818 - a state, not an error
    """An entry does not chain onto the replica's head: the replica refuses it (and everything after it)."""


class Replica:
    def __init__(self, db: Database, stream: str) -> None:
        self.db = db
        self.stream = stream
        self.engine = Engine()
        self.seq = 0
        self.head_hash = GENESIS
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Applied], None]] = []
        self._books: dict[TokenId, TokenBook] = {}
        self._dirty: set[TokenId] = set()
        self._markets: dict[MarketId, MarketInfo] | None = None

    # --- building ----------------------------------------------------------------------------------------------
    def load(self, upto: int | None = None) -> int:
        """Start over from the newest verified snapshot (at or before ``upto``) and the journal after it, up to
        ``upto`` (default: the journal head), without notifying listeners; return the entries applied."""
        with self._lock:
            engine, seq, head = Engine(), 0, GENESIS
            restored = load_verified(self.db, self.stream)
            if restored is not None and (upto is None or restored[1].seq <= upto):
                engine, snap = restored
                seq, head = snap.seq, snap.journal_hash
            self.engine, self.seq, self.head_hash = engine, seq, head
            self._books, self._dirty, self._markets = {}, set(), None
            return self.catch_up(upto, notify=False)

    def catch_up(self, upto: int | None = None, notify: bool = True) -> int:
        """Apply the journal table's entries after ours (up to ``upto``); return how many."""
        with self._lock:
            journal = Journal(self.db, self.stream)
            count = 0
            batch: list[JournalEntry] = []
            for entry in journal.read(from_seq=self.seq + 1):
                if upto is not None and entry.seq > upto:
                    break
                batch.append(entry)
                if len(batch) >= 1000:
                    count += self._apply(batch, notify)
                    batch = []
            if batch:
                count += self._apply(batch, notify)
            return count

    def offer(self, entries: Iterable[JournalEntry]) -> int:
        """Entries from the bus, in order; old ones are skipped, a gap is filled from the journal table."""
        with self._lock:
            todo: list[JournalEntry] = []
            for entry in entries:
                if entry.seq <= self.seq + len(todo):
                    continue
                if entry.seq != self.seq + len(todo) + 1:
                    count = self._apply(todo, True)
                    todo = []
                    count += self.catch_up(upto=entry.seq - 1)
                    if entry.seq != self.seq + 1:
                        raise ReplicaDiverged(f"{self.stream}: entry {entry.seq} follows {self.seq} after catch-up")
                todo.append(entry)
            return self._apply(todo, True)

    def _apply(self, entries: list[JournalEntry], notify: bool) -> int:
        if not entries:
            return 0
        items: list[Applied] = []
        for entry in entries:
            if entry.seq != self.seq + 1 or entry.prev_hash != self.head_hash:
                raise ReplicaDiverged(f"{self.stream}: entry {entry.seq} does not chain onto {self.seq}")
            if entry_hash(entry.prev_hash, entry.seq, entry.ts_ms, entry.kind, entry.payload) != entry.hash:
                raise ReplicaDiverged(f"{self.stream}: entry {entry.seq} has a wrong hash")
            command, meta = decode(entry.kind, entry.payload, entry.seq)
            events = self.engine.apply(command)
            self.seq, self.head_hash = entry.seq, entry.hash
            for ev in events:
                if isinstance(ev, BookDelta):
                    self._dirty.add(ev.token_id)
            if not isinstance(command, PlaceOrder | CancelOrder):
                self._markets = None  # markets may have been created, halted, resolved, re-ticked
            if notify:
                items.append(Applied(entry.seq, command, meta, events, entry.hash.hex(), self.stream, entry))
        if notify:
            for item in items:
                for listener in self._listeners:
                    try:
                        listener(item)
                    except Exception:
                        log.exception("replica %s: listener failed on seq %d", self.stream, item.seq)
        return len(entries)

    # --- reading -----------------------------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[Applied], None]) -> None:
        self._listeners.append(listener)

    def status(self) -> StreamStatus:
        with self._lock:
            return StreamStatus(
                self.stream, self.seq, self.head_hash.hex(), self.engine.state_hash(), self.engine.resting_count()
            )

    def book(self, token_id: TokenId) -> TokenBook | None:
        with self._lock:
            if token_id in self._dirty or token_id not in self._books:
                self._dirty.discard(token_id)
                book = self.engine.book(token_id)
                if book is None:
                    return None
                self._books[token_id] = book
            return self._books[token_id]

    def _market_view(self) -> dict[MarketId, MarketInfo]:
        with self._lock:
            if self._markets is None:
                self._markets = {m.market: m for m in self.engine.markets()}
            return self._markets

    def market_info(self, market_id: MarketId) -> MarketInfo | None:
        return self._market_view().get(market_id)

    def markets(self) -> list[MarketInfo]:
        return list(self._market_view().values())

    def has_token(self, token_id: TokenId) -> bool:
        return any(token_id in (m.yes_token, m.no_token) for m in self._market_view().values())
