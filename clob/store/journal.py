"""The command journal: every accepted command, in order, each entry chained to the previous by hash.

    hash(n) = SHA-256( hash(n-1) ‖ seq as 8 bytes ‖ ts_ms as 8 bytes ‖ len(kind) as 1 byte ‖ kind ‖ payload )

with hash(0) = 32 zero bytes. Anyone holding the journal can recompute the chain, re-run the engine over the
payloads and prove every fill; a changed byte anywhere breaks the chain at that entry's sequence number.

The journal is written before any effect of its commands becomes visible: the sequencer prepares entries
(``prepare``), inserts them in a database transaction (``insert``) together with the projections of their effects,
and only after that transaction commits advances the in-memory head (``advance``) and answers callers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from clob.store.db import Database
from clob.store.schema import journal

GENESIS = b"\x00" * 32


class JournalVerifyError(Exception):
    """The journal's hash chain is broken at ``seq``."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"journal entry {seq}: {reason}")
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journaled command."""

    stream: str
    seq: int
    kind: str
    payload: bytes
    ts_ms: int
    prev_hash: bytes
    hash: bytes


def entry_hash(prev_hash: bytes, seq: int, ts_ms: int, kind: str, payload: bytes) -> bytes:
    """The chain hash of one entry."""
    kind_bytes = kind.encode()
    if len(kind_bytes) > 255:
        raise ValueError("journal kind too long")
    h = hashlib.sha256(prev_hash)
    h.update(seq.to_bytes(8, "big"))
    h.update(ts_ms.to_bytes(8, "big"))
    h.update(len(kind_bytes).to_bytes(1, "big"))
    h.update(kind_bytes)
    h.update(payload)
    return h.digest()


class Journal:
    """The journal of one stream (one writer). Not thread-safe: owned by that stream's sequencer."""

    def __init__(self, db: Database, stream: str = "main") -> None:
        self.db = db
        self.stream = stream
        self.head_seq, self.head_hash = self._load_head()

    def _load_head(self) -> tuple[int, bytes]:
        with self.db.engine.connect() as conn:
            last = conn.execute(
                select(func.max(journal.c.seq)).where(journal.c.stream == self.stream)
            ).scalar_one_or_none()
            if last is None:
                return 0, GENESIS
            row = conn.execute(
                select(journal.c.hash).where(journal.c.stream == self.stream, journal.c.seq == last)
            ).one()
            return int(last), bytes(row.hash)

    def prepare(self, items: Sequence[tuple[str, bytes, int]]) -> list[JournalEntry]:
        """Entries for (kind, payload, ts_ms) items following the current head; the head does not move yet."""
        entries = []
        seq, prev = self.head_seq, self.head_hash
        for kind, payload, ts_ms in items:
            seq += 1
            digest = entry_hash(prev, seq, ts_ms, kind, payload)
            entries.append(JournalEntry(self.stream, seq, kind, payload, ts_ms, prev, digest))
            prev = digest
        return entries

    @staticmethod
    def insert(conn: Connection, entries: Sequence[JournalEntry]) -> None:
        """Insert prepared entries in the caller's transaction."""
        if not entries:
            return
        conn.execute(
            insert(journal),
            [
                {
                    "stream": e.stream,
                    "seq": e.seq,
                    "kind": e.kind,
                    "payload": e.payload,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                    "ts_ms": e.ts_ms,
                }
                for e in entries
            ],
        )

    def advance(self, entries: Sequence[JournalEntry]) -> None:
        """Move the head after the transaction holding ``entries`` committed."""
        if entries:
            if entries[0].seq != self.head_seq + 1 or entries[0].prev_hash != self.head_hash:
                raise RuntimeError("journal head moved concurrently: one writer per stream")
            self.head_seq, self.head_hash = entries[-1].seq, entries[-1].hash

    def append(self, items: Sequence[tuple[str, bytes, int]]) -> list[JournalEntry]:
        """Prepare, insert and commit in one transaction; return the entries."""
        entries = self.prepare(items)
        with self.db.engine.begin() as conn:
            self.insert(conn, entries)
        self.advance(entries)
        return entries

    def read(self, from_seq: int = 1, chunk: int = 5000) -> Iterator[JournalEntry]:
        """Entries with seq ≥ ``from_seq`` in order, read in chunks."""
        next_seq = from_seq
        while True:
            with self.db.engine.connect() as conn:
                rows = conn.execute(
                    select(journal)
                    .where(journal.c.stream == self.stream, journal.c.seq >= next_seq)
                    .order_by(journal.c.seq)
                    .limit(chunk)
                ).all()
            if not rows:
                return
            for r in rows:
                yield JournalEntry(
                    r.stream, int(r.seq), r.kind, bytes(r.payload), int(r.ts_ms), bytes(r.prev_hash), bytes(r.hash)
                )
            next_seq = int(rows[-1].seq) + 1


def verify_chain(entries: Iterator[JournalEntry], start_seq: int = 1, start_hash: bytes = GENESIS) -> bytes:
    """Recompute the chain; raise ``JournalVerifyError`` naming the first bad entry; return the head hash."""
    expected_seq, prev = start_seq, start_hash
    for e in entries:
        if e.seq != expected_seq:
            raise JournalVerifyError(expected_seq, f"missing (next stored entry is {e.seq})")
        if e.prev_hash != prev:
            raise JournalVerifyError(e.seq, "prev_hash does not match the previous entry's hash")
        digest = entry_hash(prev, e.seq, e.ts_ms, e.kind, e.payload)
        if digest != e.hash:
            raise JournalVerifyError(e.seq, "content does not match its hash (tampered)")
        prev = digest
        expected_seq += 1
    return prev
