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
import struct
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Select, func, insert, select

from store.db import Database
from store.schema import journal

GENESIS = b"\x00" * 32
_HEADER = struct.Struct(">QQB")
"""seq, ts_ms, len(kind): the fixed-size part of an entry's hashed content."""

Row = tuple[int, str, bytes, int, bytes, bytes]
"""A raw journal row as ``Journal.scan`` yields it: (seq, kind, payload, ts_ms, prev_hash, hash)."""


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


_COLUMNS = ("stream", "seq", "kind", "payload", "prev_hash", "hash", "ts_ms")


def _row(e: JournalEntry) -> tuple[str, int, str, bytes, bytes, bytes, int]:
    return (e.stream, e.seq, e.kind, e.payload, e.prev_hash, e.hash, e.ts_ms)


def entry_hash(prev_hash: bytes, seq: int, ts_ms: int, kind: str, payload: bytes) -> bytes:
    """The chain hash of one entry."""
    kind_bytes = kind.encode()
    if len(kind_bytes) > 255:
        raise ValueError("journal kind too long")
    try:
        header = _HEADER.pack(seq, ts_ms, len(kind_bytes))
    except struct.error as exc:
        raise OverflowError(f"seq or ts_ms out of range: {exc}") from None
    return hashlib.sha256(prev_hash + header + kind_bytes + payload).digest()


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
        """Insert prepared entries in the caller's transaction (one driver-level ``executemany`` of plain tuples:
        the values are already of the column types, so SQLAlchemy's per-value processing is skipped)."""
        if not entries:
            return
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        if conn.dialect.paramstyle not in ("qmark", "format", "pyformat"):
            conn.execute(insert(journal), [dict(zip(_COLUMNS, _row(e), strict=True)) for e in entries])
            return
        conn.exec_driver_sql(
            f"INSERT INTO {journal.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join([marker] * len(_COLUMNS))})",
            [_row(e) for e in entries],
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
        """Entries with seq ≥ ``from_seq`` in order, read ``chunk`` at a time, each chunk on a pooled connection
        given back before the chunk is yielded (nothing is held while the caller works on the entries)."""
        stream = self.stream
        next_seq = from_seq
        while True:
            with self.db.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=chunk).execute(self._select(next_seq))
                try:
                    rows = result.fetchmany(chunk)
                finally:
                    result.close()
            for seq, kind, payload, ts_ms, prev_hash, digest in rows:
                yield JournalEntry(stream, seq, kind, bytes(payload), ts_ms, bytes(prev_hash), bytes(digest))
            if len(rows) < chunk:
                return
            next_seq = int(rows[-1][0]) + 1

    def _select(self, from_seq: int) -> Select[int, str, bytes, int, bytes, bytes]:
        return (
            select(
                journal.c.seq, journal.c.kind, journal.c.payload, journal.c.ts_ms, journal.c.prev_hash, journal.c.hash
            )
            .where(journal.c.stream == self.stream, journal.c.seq >= from_seq)
            .order_by(journal.c.seq)
        )

    def scan(self, from_seq: int = 1, page: int = 20_000) -> Generator[Row, None, None]:
        """Raw rows ``(seq, kind, payload, ts_ms, prev_hash, hash)`` with seq ≥ ``from_seq``, in order: the fast
        path of recovery and replay (no entry objects). One query, streamed ``page`` rows at a time (a server-side
        cursor on PostgreSQL, the lazy cursor on SQLite): constant memory, one plan. (A query per page, as ``read``
        did, was fine on SQLite but ~1 s per page on PostgreSQL once psycopg had prepared it with a generic plan.)
        The connection is held until the iteration ends or the generator is closed."""
        with self.db.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=page).execute(self._select(from_seq))
            try:
                for rows in result.partitions():
                    for seq, kind, payload, ts_ms, prev_hash, digest in rows:
                        # (drivers return bytes for binary columns; some return memoryview)
                        yield (
                            seq,
                            kind,
                            payload if type(payload) is bytes else bytes(payload),
                            ts_ms,
                            prev_hash if type(prev_hash) is bytes else bytes(prev_hash),
                            digest if type(digest) is bytes else bytes(digest),
                        )
            finally:
                result.close()


def verified(rows: Iterable[Row], start_seq: int = 1, start_hash: bytes = GENESIS) -> Iterator[Row]:
    """Yield each raw row once its chain link is checked: its seq is the next one, its ``prev_hash`` is the
    previous entry's hash and its ``hash`` is ``entry_hash`` of its content (computed here in one SHA-256 call over
    the concatenated content: the same bytes, so the same hash). Raise ``JournalVerifyError`` naming the first
    bad entry — before it is yielded, so nothing after a break is ever used."""
    expected, prev = start_seq, start_hash
    sha256, pack = hashlib.sha256, _HEADER.pack
    kinds: dict[str, bytes] = {}
    for row in rows:
        seq, kind, payload, ts_ms, prev_hash, digest = row
        if seq != expected:
            raise JournalVerifyError(expected, f"missing (next stored entry is {seq})")
        if prev_hash != prev:
            raise JournalVerifyError(seq, "prev_hash does not match the previous entry's hash")
        kind_bytes = kinds.get(kind)
        if kind_bytes is None:
            kind_bytes = kind.encode()
            if len(kind_bytes) > 255:
                raise JournalVerifyError(seq, "kind too long")
            kinds[kind] = kind_bytes
        try:
            header = pack(seq, ts_ms, len(kind_bytes))
        except struct.error:
            raise JournalVerifyError(seq, "seq or ts_ms out of range") from None
        if sha256(prev + header + kind_bytes + payload).digest() != digest:
            raise JournalVerifyError(seq, "content does not match its hash (tampered)")
        yield row
        prev = digest
        expected += 1


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
