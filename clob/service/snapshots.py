"""Engine snapshots in the database: they bound restart time, and they are checked before they are trusted.

A snapshot row holds ``(stream, seq, journal_hash, state_hash, blob)``: the engine state right after journal entry
``seq`` (``Engine.snapshot``: versioned, CRC-checked, no pickle), the chain hash of that entry and the engine's
``state_hash``. On restart the newest snapshot is restored only if its blob decodes, its recomputed state hash
matches the stored one and its journal hash matches the journal's entry ``seq``; the journal tail after it is then
replayed with the chain verified from that hash. Any doubt falls back to a full replay from the first entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from clob.engine import Engine
from store.db import Database
from store.schema import journal, snapshots

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    stream: str
    seq: int
    journal_hash: bytes
    state_hash: str
    blob: bytes


def save_snapshot(db: Database, stream: str, seq: int, journal_hash: bytes, engine: Engine, keep: int = 2) -> Snapshot:
    """Store the engine's snapshot at ``seq`` and keep only the newest ``keep`` of the stream (serialized on the
    calling thread; the sequencer uses ``clob.service.snapshot_capture`` to do that elsewhere)."""
    snap = Snapshot(stream, seq, journal_hash, engine.state_hash(), engine.snapshot())
    store_snapshot(db, snap, keep)
    return snap


def store_snapshot(db: Database, snap: Snapshot, keep: int = 2) -> None:
    """Store a ready snapshot and keep only the newest ``keep`` of its stream."""
    stream = snap.stream
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # PostgreSQL's default TOAST compression (pglz) needs ~7 s for a 16 MB snapshot (much of it is raw order
            # ids, which pglz keeps trying to compress); lz4, where the server has it, ~0.1 s. For this transaction.
            modes = conn.exec_driver_sql(
                "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
            ).scalar_one_or_none()
            if modes and "lz4" in modes:
                conn.exec_driver_sql("SET LOCAL default_toast_compression = 'lz4'")
        conn.execute(
            insert(snapshots).values(
                stream=stream, seq=snap.seq, journal_hash=snap.journal_hash, state_hash=snap.state_hash, blob=snap.blob
            )
        )
        kept = conn.execute(
            select(snapshots.c.seq).where(snapshots.c.stream == stream).order_by(snapshots.c.seq.desc()).limit(keep)
        ).all()
        oldest_kept = min(r.seq for r in kept)
        conn.execute(delete(snapshots).where(snapshots.c.stream == stream, snapshots.c.seq < oldest_kept))


def load_verified(db: Database, stream: str) -> tuple[Engine, Snapshot] | None:
    """The newest snapshot that passes every check, restored; None if there is none (or none can be trusted)."""
    with db.engine.connect() as conn:
        # Candidates newest first; each blob is read only when its turn comes (they are megabytes each).
        candidates = conn.execute(
            select(snapshots.c.seq, snapshots.c.journal_hash, snapshots.c.state_hash)
            .where(snapshots.c.stream == stream)
            .order_by(snapshots.c.seq.desc())
        ).all()
        for r in candidates:
            seq, journal_hash = int(r.seq), bytes(r.journal_hash)
            entry_hash = conn.execute(
                select(journal.c.hash).where(journal.c.stream == stream, journal.c.seq == seq)
            ).scalar_one_or_none()
            if entry_hash is None or bytes(entry_hash) != journal_hash:
                log.warning("snapshot %s@%d does not match the journal; ignored", stream, seq)
                continue
            blob = conn.execute(
                select(snapshots.c.blob).where(snapshots.c.stream == stream, snapshots.c.seq == seq)
            ).scalar_one_or_none()
            if blob is None:  # pruned meanwhile by a newer snapshot
                continue
            snap = Snapshot(stream, seq, journal_hash, r.state_hash, bytes(blob))
            try:
                engine = Engine.restore(snap.blob)
            except Exception as exc:  # a corrupt blob is a reason to replay, not to stop
                log.warning("snapshot %s@%d cannot be restored (%s); ignored", stream, snap.seq, exc)
                continue
            if engine.state_hash() != snap.state_hash:
                log.warning("snapshot %s@%d restores to a different state hash; ignored", stream, snap.seq)
                continue
            return engine, snap
    return None
