"""Read-only queries behind the operator console (``clob.api.routers.console``): a market's recent trades and price
history, one trade's life from the book to the indexed chain, settlement transactions and the backlog over time
(`BacklogSampler`), reconciliation runs.

A trade's life joins what four writers recorded: the sequencer (the ``trades`` row with the journal seq and hash of
the command that matched it, and that ``journal`` entry), the batcher (``settlement_txs`` and their signed
``settlement_attempts``), the indexer (its cursor: head and confirmed block; the transaction's ``OrderFilled`` logs).
Times are as stored: trades in unix seconds, the other tables in milliseconds. The batcher's, the indexer's and
the reconciler's rows are read through ``store.queries`` (``console``, ``chain``, ``reconciliation``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from clob.service.ports import CommandStream
from clob.service.sequencer import StreamStatus
from store.db import Database
from store.queries import console as console_queries
from store.queries.chain import Fill, IndexerStatus, fills_by_tx, indexer_status
from store.queries.console import SettlementTx as SettlementTx  # re-exported for the console router
from store.queries.reconciliation import RunRecord, recent_runs
from store.schema import journal, markets, trades

UNSETTLED_TRADE_STATUSES = ("MATCHED", "MINED", "RETRYING")
MAX_LIMIT = 500
log = logging.getLogger(__name__)


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """A trade of the book as the console lists it (no owner or API key: the console is public)."""

    trade_id: str
    market: str
    asset_id: str
    side: str
    size: int
    price: str
    status: str
    match_time: int
    last_update: int
    transaction_hash: str
    error: str
    journal_seq: int


_TRADE_COLUMNS = (
    trades.c.trade_id,
    trades.c.market,
    trades.c.asset_id,
    trades.c.side,
    trades.c.size,
    trades.c.price,
    trades.c.status,
    trades.c.match_time,
    trades.c.last_update,
    trades.c.transaction_hash,
    trades.c.error,
    trades.c.journal_seq,
)


def _market_trade(r: Any) -> MarketTrade:
    return MarketTrade(
        r.trade_id,
        r.market,
        r.asset_id,
        r.side,
        int(r.size),
        r.price,
        r.status,
        int(r.match_time),
        int(r.last_update),
        r.transaction_hash,
        r.error,
        int(r.journal_seq),
    )


def market_trades(db: Database, market: str, limit: int = 50) -> list[MarketTrade]:
    """The market's latest trades, newest first."""
    q = (
        select(*_TRADE_COLUMNS)
        .where(trades.c.market == market.lower())
        .order_by(trades.c.journal_seq.desc(), trades.c.trade_id)
        .limit(_limit(limit))
    )
    with db.engine.connect() as conn:
        return [_market_trade(r) for r in conn.execute(q)]


@dataclass(frozen=True, slots=True)
class PricePoint:
    time: int
    price: str


def price_history(db: Database, market: str, limit: int = 2000) -> dict[str, list[PricePoint]]:
    """Trade prices per traded token (the taker's token and price), oldest first: the latest ``limit`` trades."""
    q = (
        select(trades.c.asset_id, trades.c.match_time, trades.c.price)
        .where(trades.c.market == market.lower())
        .order_by(trades.c.journal_seq.desc())
        .limit(max(1, min(limit, 10_000)))
    )
    out: dict[str, list[PricePoint]] = {}
    with db.engine.connect() as conn:
        rows = conn.execute(q).all()
    for r in reversed(rows):
        out.setdefault(r.asset_id, []).append(PricePoint(int(r.match_time), r.price))
    return out


# --- settlement ----------------------------------------------------------------------------------------------------


def settlement_transactions(db: Database, limit: int = 50) -> list[SettlementTx]:
    """Operator transactions, newest first (calldata and raw transactions left out)."""
    return console_queries.settlement_transactions(db, _limit(limit))


def trade_status_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(trades.c.status, func.count()).group_by(trades.c.status)).all()
    return {str(status): int(n) for status, n in rows}


@dataclass(frozen=True, slots=True)
class BacklogPoint:
    """At ``time`` (unix seconds): trades not yet CONFIRMED or FAILED, and the age of the oldest of them."""

    time: int
    backlog: int
    lag_seconds: int


def backlog_now(db: Database, now: int) -> BacklogPoint:
    """The settlement backlog at ``now``: one query over the unsettled trades (the status index), whatever the size
    of the table."""
    t = trades.c
    with db.engine.connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(t.match_time)).where(t.status.in_(UNSETTLED_TRADE_STATUSES))
        ).one()
    return BacklogPoint(now, int(count), max(0, now - int(oldest)) if oldest is not None else 0)


class BacklogSampler:
    """The settlement backlog over time: sampled every ``interval_s`` by the API process (``run``), the latest
    ``keep`` samples kept (30 minutes by default). History starts when the process does."""

    def __init__(
        self, db: Database, interval_s: float = 10.0, keep: int = 180, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.interval_s = interval_s
        self._clock = clock
        self._points: deque[BacklogPoint] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def sample(self) -> BacklogPoint:
        point = backlog_now(self.db, int(self._clock()))
        with self._lock:
            self._points.append(point)
        return point

    def series(self) -> list[BacklogPoint]:
        """The samples, oldest first, ending with one taken now."""
        self.sample()
        with self._lock:
            return list(self._points)

    async def run(self) -> None:
        """Sample until cancelled (the app's lifespan runs it)."""
        while True:
            try:
                await asyncio.to_thread(self.sample)
            except Exception:  # the database may be briefly unavailable: the next sample retries
                log.warning("settlement backlog sample failed", exc_info=True)
            await asyncio.sleep(self.interval_s)


# --- a trade's life ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JournalRef:
    """The journal entry of the command that matched a trade."""

    stream: str
    seq: int
    hash: str
    kind: str | None
    ts_ms: int | None
    hash_matches: bool | None
    """Whether the journal still holds that hash at that seq (None when the entry is not in this database)."""


@dataclass(frozen=True, slots=True)
class TradeLife:
    trade: MarketTrade
    taker_order_id: str
    maker_order_ids: tuple[str, ...]
    journal: JournalRef
    settlements: tuple[SettlementTx, ...]
    indexer: IndexerStatus | None
    fills: tuple[Fill, ...]

    @property
    def block_number(self) -> int | None:
        mined = [s for s in self.settlements if s.tx_hash == self.trade.transaction_hash and s.block_number]
        return mined[-1].block_number if mined else None

    @property
    def confirmations(self) -> int:
        """Blocks from the settlement's block to the chain head the indexer last saw (the block itself counts)."""
        block = self.block_number
        if block is None or self.indexer is None:
            return 0
        return max(0, self.indexer.head_block - block + 1)

    @property
    def indexer_confirmed(self) -> bool:
        """Whether the indexer holds the trade's fills in a confirmed block."""
        return bool(self.fills) and all(f.confirmed for f in self.fills)


def _journal_ref(conn: Connection, market: str, seq: int, expected: str) -> JournalRef:
    stream = conn.execute(select(markets.c.stream).where(markets.c.condition_id == market)).scalar_one_or_none()
    stream = stream or "main"
    row = conn.execute(
        select(journal.c.kind, journal.c.ts_ms, journal.c.hash).where(journal.c.stream == stream, journal.c.seq == seq)
    ).first()
    if row is None:
        return JournalRef(stream, seq, expected, None, None, None)
    return JournalRef(stream, seq, expected, row.kind, int(row.ts_ms), bytes(row.hash).hex() == expected)


def trade_life(db: Database, trade_id: str) -> TradeLife | None:
    """Everything the stores know about one trade, or None when the book has no such trade."""
    with db.engine.connect() as conn:
        columns = (*_TRADE_COLUMNS, trades.c.taker_order_id, trades.c.payload, trades.c.journal_hash)
        row = conn.execute(select(*columns).where(trades.c.trade_id == trade_id)).first()
        if row is None:
            return None
        trade = _market_trade(row)
        payload = orjson.loads(row.payload)
        makers = tuple(str(m["order_id"]) for m in payload.get("makers", []))
        ref = _journal_ref(conn, trade.market, trade.journal_seq, row.journal_hash)
        settlements = console_queries.settlements_of(conn, trade_id)
    status = indexer_status(db)
    fills: Sequence[Fill] = ()
    if trade.transaction_hash:
        ours = {o.lower() for o in (row.taker_order_id, *makers)}
        fills = [f for f in fills_by_tx(db, trade.transaction_hash) if f.order_hash.lower() in ours]
    return TradeLife(trade, row.taker_order_id, makers, ref, settlements, status, tuple(fills))


# --- journal head ------------------------------------------------------------------------------------------------


class StatusCache:
    """The streams' journal head and state hash, computed at most once per ``ttl_s``: the state hash serializes the
    whole engine on the sequencer thread, so a public page must not be able to ask for it on every request."""

    def __init__(self, stream: CommandStream, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._at = -math.inf
        self._value: list[StreamStatus] = []

    def get(self) -> list[StreamStatus]:
        with self._lock:
            if self._clock() - self._at >= self._ttl:
                self._value = self._stream.statuses()  # a gateway follows several shards
                self._at = self._clock()
            return self._value


# --- reconciliation ------------------------------------------------------------------------------------------------


def reconciliation_runs(db: Database, limit: int = 20) -> list[RunRecord]:
    """Reconciliation runs, newest first."""
    return recent_runs(db, _limit(limit))
