"""Market reference data and market data: token lookup, Polymarket book summaries, prices, last trades.

Sources, all safe to read from any thread:

- the sequencer's views (`Sequencer.book`, `.market_info`, `.markets`), updated after each durable batch: the
  engine state the API may show;
- the ``markets`` table (question, slug, ...), written by the projector when a ``CreateMarket`` is journaled;
- last trade prices, kept from the sequencer's events by `MarketData.on_events` (a listener) and, for tokens not
  traded since start-up, read once from the ``trades`` table.

Book summaries are `clob.service.marketdata.book_summary` (Polymarket's ordering and hash rule), the same function
the WebSocket ``book`` event uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from clob.engine import (
    MarketCreated,
    MarketId,
    MarketInfo,
    MatchType,
    Side,
    TokenId,
    Trade,
)
from clob.service.applied import Applied
from clob.service.marketdata import book_summary
from clob.service.ports import CommandStream
from clob.service.trades import trade_price_pips
from clob.service.units import format_pips, format_units
from store.db import Database
from store.schema import markets, trades

OUTCOMES = ("Yes", "No")


def tick_string(tick_decimals: int) -> str:
    """A tick size as Polymarket writes it: 2 → "0.01"."""
    return format_pips(10 ** (4 - tick_decimals))


@dataclass(frozen=True, slots=True)
class TokenRef:
    """Where a token trades: its market and outcome index (0 = Yes, 1 = No)."""

    market: MarketId
    token_id: TokenId
    index: int

    @property
    def outcome(self) -> str:
        return OUTCOMES[self.index]


@dataclass(frozen=True, slots=True)
class LastTrade:
    price: str
    side: str


@dataclass(frozen=True, slots=True)
class MarketRecord:
    """A market's reference data (the ``markets`` row) joined with its live engine state."""

    condition_id: str
    question_id: str
    question: str
    description: str
    market_slug: str
    oracle: str
    end_date_iso: str
    yes_token: str
    no_token: str
    tick_size: str
    min_order_size: int
    fee_rate_bps: int
    status: str
    created_at_ms: int
    winning_asset_id: str = ""
    """The winning token of a resolved market, when its resolution named one."""


class MarketData:
    """Token lookup, market records, book summaries and last trades over the sequencer's views."""

    def __init__(self, db: Database, sequencer: CommandStream) -> None:
        self._db = db
        self._sequencer = sequencer
        self._lock = threading.Lock()
        self._tokens: dict[int, TokenRef] = {}
        self._last: dict[int, LastTrade | None] = {}

    # --- tokens and markets ----------------------------------------------------------------------------------
    def token(self, token_id: int) -> TokenRef | None:
        """The market of a token; a miss rebuilds the index from the sequencer's market views (token ids never
        move between markets, so entries never go stale)."""
        ref = self._tokens.get(token_id)
        if ref is None:
            self._reindex()
            ref = self._tokens.get(token_id)
        return ref

    def _reindex(self) -> None:
        index: dict[int, TokenRef] = {}
        for info in self._sequencer.markets():
            index[int(info.yes_token)] = TokenRef(info.market, info.yes_token, 0)
            index[int(info.no_token)] = TokenRef(info.market, info.no_token, 1)
        with self._lock:
            self._tokens = index

    def info(self, market_id: str) -> MarketInfo | None:
        return self._sequencer.market_info(market_id)

    def outcome(self, token_id: int) -> str:
        ref = self.token(token_id)
        return "" if ref is None else ref.outcome

    def count(self) -> int:
        with self._db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(markets)).scalar_one())

    def records(self, offset: int, limit: int) -> list[MarketRecord]:
        with self._db.engine.connect() as conn:
            rows = conn.execute(
                select(markets).order_by(markets.c.created_at_ms, markets.c.condition_id).offset(offset).limit(limit)
            ).all()
        return [self._record(row) for row in rows]

    def record(self, condition_id: str) -> MarketRecord | None:
        with self._db.engine.connect() as conn:
            row = conn.execute(select(markets).where(markets.c.condition_id == condition_id.lower())).first()
        return None if row is None else self._record(row)

    def _record(self, row: object) -> MarketRecord:
        r = row._mapping  # type: ignore[attr-defined]
        info = self._sequencer.market_info(r["condition_id"])
        return MarketRecord(
            condition_id=r["condition_id"],
            question_id=r["question_id"],
            question=r["question"],
            description=r["description"],
            market_slug=r["market_slug"],
            oracle=r["oracle"],
            end_date_iso=r["end_date_iso"],
            yes_token=r["yes_token_id"],
            no_token=r["no_token_id"],
            tick_size=tick_string(info.tick_decimals) if info else r["tick_size"],
            min_order_size=int(r["min_order_size"]),
            fee_rate_bps=int(r["fee_rate_bps"]),
            status=(info.status.value if info else str(r["status"])).upper(),
            created_at_ms=int(r["created_at_ms"]),
            winning_asset_id=str(r["winning_asset_id"] or ""),
        )

    # --- market data -----------------------------------------------------------------------------------------
    def best(self, token_id: int) -> tuple[int | None, int | None]:
        """Best bid and best ask (pips) of a token's book as of the last durable batch."""
        book = self._sequencer.book(TokenId(token_id))
        if book is None:
            return None, None
        return (book.bids[0][0] if book.bids else None, book.asks[0][0] if book.asks else None)

    def summary(self, ref: TokenRef, now_ms: int) -> dict[str, Any]:
        """The token's OrderBookSummary (Polymarket's JSON shape, shared with the WebSocket ``book`` event)."""
        info = self._sequencer.market_info(ref.market)
        last = self.last_trade(ref.token_id)
        return book_summary(
            self._sequencer.book(ref.token_id),
            market=ref.market,
            asset_id=str(ref.token_id),
            tick_size=tick_string(info.tick_decimals) if info else "",
            min_order_size=format_units(info.min_size) if info else "0",
            last_trade_price=last.price if last else "",
            timestamp_ms=now_ms,
        )

    def last_trade(self, token_id: int) -> LastTrade | None:
        if token_id in self._last:
            return self._last[token_id]
        with self._db.engine.connect() as conn:
            row = conn.execute(
                select(trades.c.price, trades.c.side)
                .where(trades.c.asset_id == str(token_id))
                .order_by(trades.c.journal_seq.desc())
                .limit(1)
            ).first()
        last = None if row is None else LastTrade(row.price, row.side)
        with self._lock:
            self._last.setdefault(token_id, last)
        return self._last[token_id]

    def on_applied(self, applied: Applied) -> None:
        """Sequencer listener: remember each token's last trade (the taker's token at the trade price, and the
        other token of MINT/MERGE fills at the maker's price)."""
        for ev in applied.events:
            if isinstance(ev, Trade):
                self._last[int(ev.token_id)] = LastTrade(format_pips(trade_price_pips(ev)), ev.side.name)
                for m in ev.makers:
                    if m.match_type != MatchType.COMPLEMENTARY:
                        self._last[int(m.token_id)] = LastTrade(format_pips(m.price), Side(m.side).name)
            elif isinstance(ev, MarketCreated):
                self._reindex()
