"""A replica of one shard's engine, built only from verified journal entries.

The book is a pure function of its journal, so anyone holding the journal holds the book. A gateway keeps one
replica per shard, fed by the shard's JOURNAL stream (``offer``) and, for anything the stream did not deliver, by
the journal table itself (``catch_up``): every entry's chain hash is recomputed before it is applied, and entries
are applied strictly in sequence order, each exactly once. Listeners get the same `Applied` items (with the
engine's events) the sequencer's listeners get, so market data, WebSockets and the answers to a gateway's own
commands are computed the same way in both deployment modes.

Threading: ``offer``/``catch_up`` may be called from any thread (one lock serialises them); the read views
(``book``, ``market_info``, ``markets``) are copies refreshed after each applied run of entries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from clob.engine import BookDelta, Engine, MarketId, MarketInfo, TokenBook, TokenId
from clob.service.codec import decode
from clob.service.projections import Applied
from clob.service.sequencer import StreamStatus
from clob.service.snapshots import load_verified
from clob.store.db import Database
from clob.store.journal import GENESIS, Journal, JournalEntry, entry_hash

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
        self._view_lock = threading.Lock()
        self._books: dict[TokenId, TokenBook] = {}
        self._markets: dict[MarketId, MarketInfo] = {}

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
            applied = self.catch_up(upto, notify=False)
            self._refresh_views(None)
            return applied

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
            if notify:
                items.append(Applied(entry.seq, command, meta, events, entry.hash.hex(), self.stream))
        if notify:
            self._refresh_views(items)
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
        with self._view_lock:
            return self._books.get(token_id)

    def market_info(self, market_id: MarketId) -> MarketInfo | None:
        with self._view_lock:
            return self._markets.get(market_id)

    def markets(self) -> list[MarketInfo]:
        with self._view_lock:
            return list(self._markets.values())

    def has_token(self, token_id: TokenId) -> bool:
        with self._view_lock:
            return token_id in self._books

    def _refresh_views(self, items: list[Applied] | None) -> None:
        markets = {m.market: m for m in self.engine.markets()}
        if items is None:
            tokens = {t for m in markets.values() for t in (m.yes_token, m.no_token)}
        else:
            tokens = {ev.token_id for it in items for ev in it.events if isinstance(ev, BookDelta)}
            for m in markets.values():  # a new market's books exist before any delta
                if m.yes_token not in self._books:
                    tokens.update((m.yes_token, m.no_token))
        books = {t: b for t in tokens if (b := self.engine.book(t)) is not None}
        with self._view_lock:
            self._books.update(books)
            self._markets = markets
