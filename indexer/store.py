"""The indexer's writes: one transaction per step (blocks, logs, typed rows, positions, cursor), rollbacks above a
block after a reorg, and the cursor. SQLite and PostgreSQL through SQLAlchemy Core with ``ON CONFLICT``.

Idempotence: a log is identified by (block number, log index). Before writing a batch the store reads which keys of
the batch's block span are already stored and drops those logs, so typed rows and position deltas are produced
once per log however often it is delivered. Inserts use ``ON CONFLICT DO NOTHING`` as a second guard.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select, update

from indexer.errors import ChainMismatchError, UnsupportedDatabaseError
from indexer.events import ZERO_ADDRESS, DecodedLog
from indexer.projections import PositionKey, Projector
from indexer.source import BlockHeader
from store.schema.indexer import (
    LOG_DERIVED_TABLES,
    chain_blocks,
    chain_ctf_transfers,
    chain_cursor,
    chain_logs,
    chain_positions,
    chain_reorgs,
)

_CHUNK = 500  # keys per IN (...) list


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where one named indexer stands."""

    name: str
    chain_id: int
    last_block: int
    head_block: int
    confirmed_block: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class IngestResult:
    logs: int
    new_logs: int


@dataclass(frozen=True, slots=True)
class RollbackResult:
    ancestor: int
    old_last_block: int
    orphaned_logs: int

    @property
    def depth(self) -> int:
        return max(0, self.old_last_block - self.ancestor)


def _now_ms() -> int:
    return int(time.time() * 1000)


SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def _dialect(name: str) -> str:
    """``name`` if the store supports that database; ``UnsupportedDatabaseError`` otherwise."""
    if name not in SUPPORTED_DIALECTS:
        raise UnsupportedDatabaseError(name)
    return name


_SQL_CACHE: dict[tuple[str, str, str], str] = {}
_GETTERS: dict[str, Any] = {}


def _bulk_sql(dialect: str, table: Table, upsert: Sequence[str] = ()) -> str:
    """``INSERT ... VALUES (...) ON CONFLICT ...`` in the driver's paramstyle (cached)."""
    key = (dialect, table.name, ",".join(upsert))
    sql = _SQL_CACHE.get(key)
    if sql is None:
        cols = [c.name for c in table.columns]
        mark = "?" if dialect == "sqlite" else "%s"
        sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) ON CONFLICT "
        if upsert:
            pk = ", ".join(c.name for c in table.primary_key.columns)
            sql += f"({pk}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in upsert)
        else:
            sql += "DO NOTHING"
        _SQL_CACHE[key] = sql
    return sql


def _bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], upsert: Sequence[str] = ()) -> None:
    """Insert row dicts (keys = the table's columns) with ``ON CONFLICT DO NOTHING`` (or ``DO UPDATE`` of the
    ``upsert`` columns; keys must then be unique within ``rows``).

    Bulk writes bypass SQLAlchemy's per-row parameter processing, which costs more than the database's own insert.
    SQLite: one DBAPI ``executemany`` (sqlite3 loops in C). PostgreSQL: ``COPY`` into a temporary staging table,
    then one ``INSERT ... SELECT ... ON CONFLICT`` (psycopg's ``executemany`` spends ~50 µs of Python per row).
    """
    if not rows:
        return
    getter = _GETTERS.get(table.name)
    if getter is None:
        getter = _GETTERS[table.name] = itemgetter(*(c.name for c in table.columns))
    dialect = _dialect(conn.dialect.name)
    if dialect == "postgresql":
        _pg_copy_insert(conn, table, [getter(r) for r in rows], upsert)
    else:
        conn.exec_driver_sql(_bulk_sql(dialect, table, upsert), [getter(r) for r in rows])


def _pg_copy_insert(conn: Connection, table: Table, tuples: list[tuple[Any, ...]], upsert: Sequence[str]) -> None:
    """``COPY`` into a per-session temporary table shaped like ``table``, then insert from it with ``ON CONFLICT``
    (runs in the caller's transaction; the staging table is emptied after use)."""
    stage = f"_stage_{table.name}"
    cols = ", ".join(c.name for c in table.columns)
    if upsert:
        pk = ", ".join(c.name for c in table.primary_key.columns)
        conflict = f"({pk}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in upsert)
    else:
        conflict = "DO NOTHING"
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name} INCLUDING DEFAULTS)")
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in tuples:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT {conflict}")
        cur.execute(f"TRUNCATE {stage}")


def _chunks(items: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for k in range(0, len(items), n):
        yield items[k : k + n]


class IndexerStore:
    """Reads and writes the ``chain_*`` tables of one database (SQLite or PostgreSQL; any other raises
    ``UnsupportedDatabaseError`` here, before anything is read or written)."""

    def __init__(self, engine: Engine) -> None:
        _dialect(engine.dialect.name)
        self.engine = engine

    # --- cursor ----------------------------------------------------------------------------------------------

    def cursor(self, name: str) -> Cursor | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(chain_cursor).where(chain_cursor.c.name == name)).mappings().first()
        return Cursor(**row) if row is not None else None

    def open_cursor(self, name: str, chain_id: int, start_block: int) -> Cursor:
        """The cursor ``name``, created at ``start_block - 1`` if new; refuses another chain's database."""
        with self.engine.begin() as conn:
            row = conn.execute(select(chain_cursor).where(chain_cursor.c.name == name)).mappings().first()
            if row is None:
                other = conn.execute(select(chain_cursor.c.chain_id).where(chain_cursor.c.chain_id != chain_id)).first()
                if other is not None:
                    raise ChainMismatchError(f"database holds chain {other[0]}, node is chain {chain_id}")
                values: dict[str, Any] = {
                    "name": name,
                    "chain_id": chain_id,
                    "last_block": start_block - 1,
                    "head_block": start_block - 1,
                    "confirmed_block": start_block - 1,
                    "updated_at_ms": _now_ms(),
                }
                conn.execute(chain_cursor.insert().values(**values))
                return Cursor(**values)
        cur = Cursor(**row)
        if cur.chain_id != chain_id:
            raise ChainMismatchError(f"cursor {name!r} is on chain {cur.chain_id}, node is chain {chain_id}")
        return cur

    def touch(self, name: str, head: int, confirmed: int) -> None:
        """Record the head seen at an idle step."""
        with self.engine.begin() as conn:
            conn.execute(
                update(chain_cursor)
                .where(chain_cursor.c.name == name)
                .values(head_block=head, confirmed_block=confirmed, updated_at_ms=_now_ms())
            )

    # --- blocks ----------------------------------------------------------------------------------------------

    def stored_blocks(self, from_number: int | None = None) -> dict[int, BlockHeader]:
        q = select(chain_blocks)
        if from_number is not None:
            q = q.where(chain_blocks.c.number >= from_number)
        with self.engine.connect() as conn:
            return {r.number: BlockHeader(r.number, r.hash, r.parent_hash, r.timestamp) for r in conn.execute(q)}

    def top_block(self) -> BlockHeader | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(chain_blocks).order_by(chain_blocks.c.number.desc()).limit(1)).first()
        return BlockHeader(r.number, r.hash, r.parent_hash, r.timestamp) if r is not None else None

    def log_blocks(self, below: int, chunk: int = 128) -> Iterable[list[tuple[int, str]]]:
        """(block number, block hash) of the blocks below ``below`` that hold stored logs, highest first, in
        chunks of ``chunk``."""
        hi = below
        while True:
            q = (
                select(chain_logs.c.block_number, chain_logs.c.block_hash)
                .where(chain_logs.c.block_number < hi)
                .group_by(chain_logs.c.block_number, chain_logs.c.block_hash)
                .order_by(chain_logs.c.block_number.desc())
                .limit(chunk)
            )
            with self.engine.connect() as conn:
                rows = [(int(r[0]), str(r[1])) for r in conn.execute(q)]
            if not rows:
                return
            yield rows
            hi = rows[-1][0]

    # --- writes ----------------------------------------------------------------------------------------------

    def ingest(
        self,
        name: str,
        logs: Sequence[DecodedLog],
        projector: Projector,
        *,
        headers: Iterable[BlockHeader] = (),
        span: tuple[int, int] | None = None,
        head: int | None = None,
        confirmed: int | None = None,
        prune_below: int | None = None,
    ) -> IngestResult:
        """Store one step in one transaction and, if ``span`` is given, advance the cursor to its end.

        ``span`` is the block range the logs cover (defaults to the logs' own min..max); logs already stored in it
        are skipped. Without ``span`` the cursor is left alone (backfills).
        """
        lo, hi = span if span is not None else self._log_span(logs)
        with self.engine.begin() as conn:
            hdr_rows = [
                {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash, "timestamp": h.timestamp}
                for h in headers
            ]
            _bulk_insert(conn, chain_blocks, hdr_rows, upsert=("hash", "parent_hash", "timestamp"))
            fresh = self._unseen(conn, logs, lo, hi)
            proj = projector.project(fresh)
            for table, rows in proj.rows.items():
                _bulk_insert(conn, table, rows)
            if proj.deltas:
                self._apply_deltas(conn, proj.deltas)
            if span is not None:
                values: dict[str, Any] = {"last_block": hi, "updated_at_ms": _now_ms()}
                if head is not None:
                    values["head_block"] = head
                if confirmed is not None:
                    values["confirmed_block"] = confirmed
                conn.execute(
                    update(chain_cursor)
                    .where(chain_cursor.c.name == name, chain_cursor.c.last_block < hi)
                    .values(**values)
                )
            if prune_below is not None:
                conn.execute(delete(chain_blocks).where(chain_blocks.c.number < prune_below))
        return IngestResult(len(logs), len(fresh))

    @staticmethod
    def _log_span(logs: Sequence[DecodedLog]) -> tuple[int, int]:
        if not logs:
            return (0, -1)
        nums = [d.raw.block_number for d in logs]
        return min(nums), max(nums)

    @staticmethod
    def _unseen(conn: Connection, logs: Sequence[DecodedLog], lo: int, hi: int) -> list[DecodedLog]:
        """The logs not yet stored (nor repeated earlier in ``logs``), in order."""
        if not logs:
            return []
        stored: set[tuple[int, int]] = set()
        if lo <= hi:
            mark = "?" if conn.dialect.name == "sqlite" else "%s"
            sql = f"SELECT block_number, log_index FROM {chain_logs.name} WHERE block_number BETWEEN {mark} AND {mark}"
            stored = set(map(tuple, conn.exec_driver_sql(sql, (lo, hi)).fetchall()))
        out = []
        for d in logs:
            k = (d.raw.block_number, d.raw.log_index)
            if k not in stored:
                stored.add(k)
                out.append(d)
        return out

    @staticmethod
    def _apply_deltas(conn: Connection, deltas: Mapping[PositionKey, int]) -> None:
        keys = [k for k, v in deltas.items() if v != 0]
        current: dict[PositionKey, int] = {}
        p = chain_positions.c
        wanted = set(keys)
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        for chunk in _chunks(sorted({a for a, _ in keys})):
            marks = ", ".join([mark] * len(chunk))
            sql = f"SELECT address, token_id, balance FROM {chain_positions.name} WHERE address IN ({marks})"
            for addr, token, bal in conn.exec_driver_sql(sql, tuple(chunk)).fetchall():
                if (addr, token) in wanted:
                    current[(addr, token)] = int(bal)
        upserts, zeros = [], []
        for k in keys:
            bal = current.get(k, 0) + deltas[k]
            if bal == 0:
                if k in current:
                    zeros.append({"a": k[0], "t": k[1]})
            else:
                upserts.append({"address": k[0], "token_id": k[1], "balance": str(bal)})
        _bulk_insert(conn, chain_positions, upserts, upsert=("balance",))
        if zeros:
            conn.execute(
                delete(chain_positions).where(p.address == bindparam("a"), p.token_id == bindparam("t")), zeros
            )

    def rollback(self, name: str, ancestor: int) -> RollbackResult:
        """Delete everything above block ``ancestor`` (logs, typed rows, blocks), undo the orphaned transfers'
        position deltas and move the cursor back to ``ancestor``. One transaction."""
        with self.engine.begin() as conn:
            row = conn.execute(select(chain_cursor.c.last_block).where(chain_cursor.c.name == name)).first()
            old_last = int(row[0]) if row is not None else ancestor
            t = chain_ctf_transfers.c
            deltas: dict[PositionKey, int] = defaultdict(int)
            q = select(t.from_address, t.to_address, t.token_id, t.amount).where(t.block_number > ancestor)
            for src, dst, token, amount in conn.execute(q):
                if src != ZERO_ADDRESS:
                    deltas[(src, token)] += int(amount)
                if dst != ZERO_ADDRESS:
                    deltas[(dst, token)] -= int(amount)
            orphaned = conn.execute(
                select(func.count()).select_from(chain_logs).where(chain_logs.c.block_number > ancestor)
            ).scalar_one()
            if deltas:
                self._apply_deltas(conn, deltas)
            for table in LOG_DERIVED_TABLES:
                conn.execute(delete(table).where(table.c.block_number > ancestor))
            conn.execute(delete(chain_blocks).where(chain_blocks.c.number > ancestor))
            conn.execute(
                update(chain_cursor)
                .where(chain_cursor.c.name == name, chain_cursor.c.last_block > ancestor)
                .values(last_block=ancestor, updated_at_ms=_now_ms())
            )
            conn.execute(  # nothing above the ancestor is confirmed any more (the reconciler reads this)
                update(chain_cursor)
                .where(chain_cursor.c.name == name, chain_cursor.c.confirmed_block > ancestor)
                .values(confirmed_block=ancestor)
            )
            conn.execute(
                chain_reorgs.insert().values(
                    name=name,
                    detected_at_ms=_now_ms(),
                    ancestor_block=ancestor,
                    old_last_block=old_last,
                    depth=max(0, old_last - ancestor),
                    orphaned_logs=int(orphaned),
                )
            )
        return RollbackResult(ancestor, old_last, int(orphaned))
