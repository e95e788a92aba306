"""The sequencer's durable log (migration ``0001_initial_schema``).

- ``journal``: every accepted command, in sequence, hash-chained (see ``store.journal``).
- ``snapshots``: periodic engine snapshots that bound restart time.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, String, Table

from store.schema.base import metadata

journal = Table(
    "journal",
    metadata,
    Column("stream", String(64), primary_key=True, comment="one writer per stream (a market shard)"),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("payload", LargeBinary, nullable=False, comment="canonical JSON of the command"),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    Column("ts_ms", BigInteger, nullable=False, comment="the command's own time; part of the payload too"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("journal_hash", LargeBinary(32), nullable=False),
    Column("state_hash", String(64), nullable=False),
    Column("blob", LargeBinary, nullable=False),
)
