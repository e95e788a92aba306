"""``GET /prices-history``: a token's price over time, computed from the book's own trades.

A token's price at a moment is the price of its last trade: the taker's token at the trade price, and, for a
MINT or MERGE fill, the maker's token at the maker's price (the rule `MarketData` keeps last trade prices by).

Time is cut into buckets of ``fidelity`` minutes aligned on the unix epoch. The history has one point per bucket,
``{"t": <bucket start, unix s>, "p": <price number>}``, from the first bucket with a known price to the bucket of
the range's end: a bucket's price is its last trade's, or the previous bucket's when nothing traded in it (the
last trade before the range carries into its first bucket). A token never traded has an empty history.

The range is either ``interval`` (ending now: ``1h``, ``6h``, ``1d``, ``1w``, ``1m`` = 30 days, ``max``/``all`` =
since the first trade) or ``startTs``/``endTs`` (unix seconds, inclusive; a missing one is open-ended), never both.
A range that would give more than `MAX_POINTS` points is refused, naming the smallest fidelity that fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Row, select

from clob.engine import PRICE_SCALE
from clob.service.errors import ErrorCode, ServiceError
from clob.service.markets import MarketData
from store.db import Database
from store.schema import trades

INTERVALS: dict[str, int | None] = {
    "1h": 3_600,
    "6h": 6 * 3_600,
    "1d": 86_400,
    "1w": 7 * 86_400,
    "1m": 30 * 86_400,
    "max": None,
    "all": None,
}
"""Interval name → its length in seconds; None: since the first trade."""
MAX_POINTS = 10_000
MAX_TS = 10**12


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    token_id: int
    start: int | None
    """First second of the range (inclusive); None: from the first trade."""
    end: int
    """Last second of the range (inclusive)."""
    fidelity_s: int


def _bad(message: str) -> ServiceError:
    return ServiceError(ErrorCode.INVALID_PAYLOAD, f"invalid filters: {message}")


def _integer(name: str, value: str | None, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 13) or not low <= int(value) <= high:
        raise _bad(f"'{name}' must be an integer from {low} to {high}")
    return int(value)


def parse_query(params: Mapping[str, str | None], now: int) -> HistoryQuery:
    """The query string of ``/prices-history`` (``market``, ``interval``, ``startTs``, ``endTs``, ``fidelity``);
    raises `ServiceError` (400) naming the bad parameter."""
    market = params.get("market") or ""
    if not (market.isascii() and market.isdigit() and len(market) <= 78):
        raise _bad("'market' must be a token id (a decimal integer)")
    interval = params.get("interval")
    start = _integer("startTs", params.get("startTs"), 0, MAX_TS)
    end = _integer("endTs", params.get("endTs"), 0, MAX_TS)
    fidelity = _integer("fidelity", params.get("fidelity"), 1, 525_600) or 1
    if interval:
        if interval not in INTERVALS:
            raise _bad(f"'interval' must be one of {', '.join(INTERVALS)}")
        if start is not None or end is not None:
            raise _bad("'interval' and 'startTs'/'endTs' are mutually exclusive")
        length = INTERVALS[interval]
        start, end = (None if length is None else now - length), now
    if end is None:
        end = now
    if start is not None and start > end:
        raise _bad("'startTs' must not be after 'endTs'")
    return HistoryQuery(int(market), start, end, fidelity * 60)


def token_prices(rows: Iterable[tuple[int, str, str, str]], token_id: str) -> list[tuple[int, int]]:
    """(match time, price pips) of every trade that prices ``token_id``, in journal order, from trade rows
    (match_time, asset_id, price, payload JSON) of its market."""
    out: list[tuple[int, int]] = []
    for match_time, asset_id, price, payload in rows:
        if asset_id == token_id:
            out.append((int(match_time), _pips(price)))
            continue
        makers = orjson.loads(payload).get("makers", [])
        priced = [
            m["price"] for m in makers if m.get("token_id") == token_id and m.get("match_type") != "COMPLEMENTARY"
        ]
        if priced:
            out.append((int(match_time), _pips(priced[-1])))
    return out


def _pips(price: str) -> int:
    whole, _, frac = price.partition(".")
    return int(whole or "0") * PRICE_SCALE + int((frac + "0000")[:4])


def buckets(prices: list[tuple[int, int]], start: int | None, end: int, step: int) -> list[tuple[int, int]]:
    """(bucket start, price pips) per bucket from the first priced bucket to ``end``'s (see the module doc)."""
    carried: int | None = None
    last: dict[int, int] = {}
    for t, p in prices:
        if t > end:
            continue
        if start is not None and t < start:
            carried = p
        else:
            last[t - t % step] = p
    if carried is not None and start is not None:
        first = start - start % step
    elif last:
        first = min(last)
    else:
        return []
    final = end - end % step
    count = (final - first) // step + 1
    if count > MAX_POINTS:
        need = -(-(final - first + step) // (MAX_POINTS * 60))
        raise _bad(f"{count} points: 'fidelity' must be at least {need} for this range")
    out: list[tuple[int, int]] = []
    price = carried
    for bucket in range(first, final + 1, step):
        price = last.get(bucket, price)
        if price is not None:
            out.append((bucket, price))
    return out


class PriceHistory:
    """``/prices-history`` over the ``trades`` table."""

    def __init__(self, db: Database, markets: MarketData) -> None:
        self._db = db
        self._markets = markets

    def history(self, query: HistoryQuery) -> list[dict[str, int | float]]:
        ref = self._markets.token(query.token_id)
        if ref is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"no market trades token id {query.token_id}")
        token = str(query.token_id)
        t = trades.c
        window = (t.market == ref.market) & (t.match_time <= query.end)
        if query.start is not None:
            window &= t.match_time >= query.start
        with self._db.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).where(window).order_by(t.journal_seq)).all()
            prices = token_prices(_tuples(rows), token)
            if query.start is not None:
                prices[:0] = self._carried_in(conn, ref.market, token, query.start)
        return [{"t": b, "p": _number(p)} for b, p in buckets(prices, query.start, query.end, query.fidelity_s)]

    @staticmethod
    def _carried_in(conn: Connection, market: str, token: str, start: int) -> list[tuple[int, int]]:
        """The price carried into a range starting at ``start``: the token's last trade before it (read newest
        first, a page at a time, since the market's latest trades may all be of the other token)."""
        t = trades.c
        before = (t.market == market) & (t.match_time < start)
        offset = 0
        while True:
            page = conn.execute(
                select(*_COLUMNS).where(before).order_by(t.journal_seq.desc()).offset(offset).limit(_PAGE)
            ).all()
            found = token_prices(_tuples(page), token)
            if found:
                return found[:1]
            if len(page) < _PAGE:
                return []
            offset += _PAGE


_COLUMNS = (trades.c.match_time, trades.c.asset_id, trades.c.price, trades.c.payload)
_PAGE = 100


def _tuples(rows: Sequence[Row[Any, Any, Any, Any]]) -> Iterator[tuple[int, str, str, str]]:
    return ((r[0], r[1], r[2], r[3]) for r in rows)


def _number(pips: int) -> int | float:
    return pips // PRICE_SCALE if pips % PRICE_SCALE == 0 else pips / PRICE_SCALE
