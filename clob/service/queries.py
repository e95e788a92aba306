"""Reads of a user's orders and trades from the projections (``orders``, ``trades``, ``trade_parties``).

A user is a wallet address: every API key of the wallet sees the same orders and trades. Pages are offset based
(the API encodes offsets as Polymarket's base64 cursors); each query fetches one row more than the page to know
whether another page follows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select

from clob.service.markets import MarketData
from store.db import Database
from store.schema import orders, trade_parties, trades

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    more: bool

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.items) if self.more else None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """Polymarket's OpenOrder; sizes in share base units."""

    order_id: str
    status: str
    owner: str
    maker: str
    market: str
    asset_id: str
    side: str
    original_size: int
    size_matched: int
    price: str
    associate_trades: tuple[str, ...]
    outcome: str
    created_at: int
    expiration: int
    order_type: str


@dataclass(frozen=True, slots=True)
class MakerOrderRecord:
    order_id: str
    owner: str
    maker: str
    matched_amount: int
    price: str
    fee_rate_bps: int
    asset_id: str
    outcome: str
    side: str


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """Polymarket's Trade as one user sees it (``trader_side`` TAKER or MAKER); sizes in share base units."""

    trade_id: str
    taker_order_id: str
    market: str
    asset_id: str
    side: str
    size: int
    fee_rate_bps: int
    price: str
    status: str
    match_time: int
    last_update: int
    outcome: str
    bucket_index: int
    owner: str
    maker_address: str
    maker_orders: tuple[MakerOrderRecord, ...]
    transaction_hash: str
    trader_side: str


@dataclass(frozen=True, slots=True)
class OrderFilter:
    order_id: str | None = None
    market: str | None = None
    asset_id: str | None = None


@dataclass(frozen=True, slots=True)
class TradeFilter:
    trade_id: str | None = None
    maker_address: str | None = None
    market: str | None = None
    asset_id: str | None = None
    before: int | None = None
    after: int | None = None


class Queries:
    def __init__(self, db: Database, markets: MarketData) -> None:
        self._db = db
        self._markets = markets

    def _order(self, row: Any) -> OrderRecord:
        return OrderRecord(
            order_id=row.order_id,
            status=row.status,
            owner=row.owner,
            maker=row.maker,
            market=row.market,
            asset_id=row.asset_id,
            side=row.side,
            original_size=int(row.original_size),
            size_matched=int(row.size_matched),
            price=row.price,
            associate_trades=tuple(json.loads(row.associate_trades)),
            outcome=self._markets.outcome(int(row.asset_id)),
            created_at=int(row.created_at),
            expiration=int(row.expiration),
            order_type=row.order_type,
        )

    def order(self, order_id: str) -> OrderRecord | None:
        with self._db.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
        return None if row is None else self._order(row)

    def arrival(self, order_id: str) -> tuple[OrderRecord, list[tuple[str, dict[str, Any]]]] | None:
        """A stored order and the trades it made on arrival, as taker — (trade id, stored payload) — or None if it
        was never sequenced. What its placement answered follows from them."""
        with self._db.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
            if row is None:
                return None
            record = self._order(row)
            found = conn.execute(
                select(trades.c.trade_id, trades.c.payload)
                .where(trades.c.trade_id.in_(record.associate_trades), trades.c.taker_order_id == order_id)
                .order_by(trades.c.journal_seq, trades.c.trade_id)
            ).all()
        return record, [(r.trade_id, json.loads(r.payload)) for r in found]

    def open_orders(self, address: str | Sequence[str], flt: OrderFilter, offset: int, limit: int) -> Page[OrderRecord]:
        """The LIVE orders made by ``address`` (or by any of several: a signer and its wallets)."""
        makers = [address] if isinstance(address, str) else list(address)
        query = select(orders).where(orders.c.maker.in_(makers), orders.c.status == "LIVE")
        if flt.order_id:
            query = query.where(orders.c.order_id == flt.order_id)
        if flt.market:
            query = query.where(orders.c.market == flt.market)
        if flt.asset_id:
            query = query.where(orders.c.asset_id == flt.asset_id)
        query = query.order_by(orders.c.journal_seq, orders.c.order_id).offset(offset).limit(limit + 1)
        with self._db.engine.connect() as conn:
            rows = conn.execute(query).all()
        return Page([self._order(r) for r in rows[:limit]], offset, limit, len(rows) > limit)

    def trades(self, address: str | Sequence[str], flt: TradeFilter, offset: int, limit: int) -> Page[TradeRecord]:
        """The trades ``address`` (or any of several: a signer and its wallets) took part in."""
        parties = [address] if isinstance(address, str) else list(address)
        if flt.maker_address:
            if flt.maker_address.lower() not in parties:
                return Page([], offset, limit, False)
            parties = [flt.maker_address.lower()]
        mine = select(trade_parties.c.trade_id).where(trade_parties.c.address.in_(parties))
        query = select(trades).where(trades.c.trade_id.in_(mine))
        if flt.trade_id:
            query = query.where(trades.c.trade_id == flt.trade_id)
        if flt.market:
            query = query.where(trades.c.market == flt.market)
        if flt.asset_id:
            query = query.where(trades.c.asset_id == flt.asset_id)
        if flt.before is not None:
            query = query.where(trades.c.match_time < flt.before)
        if flt.after is not None:
            query = query.where(trades.c.match_time > flt.after)
        query = query.order_by(trades.c.journal_seq, trades.c.trade_id).offset(offset).limit(limit + 1)
        with self._db.engine.connect() as conn:
            rows = conn.execute(query).all()[: limit + 1]
            payloads = [json.loads(r.payload) for r in rows[:limit]]
            order_ids = {r.taker_order_id for r in rows[:limit]}
            order_ids |= {m["order_id"] for p in payloads for m in p["makers"]}
            owners = {
                r.order_id: r.owner
                for r in conn.execute(
                    select(orders.c.order_id, orders.c.owner).where(orders.c.order_id.in_(sorted(order_ids)))
                ).all()
            }
        items = [self._trade(r, p, owners, parties) for r, p in zip(rows[:limit], payloads, strict=True)]
        return Page(items, offset, limit, len(rows) > limit)

    def _trade(self, row: Any, payload: dict[str, Any], owners: dict[str, str], parties: list[str]) -> TradeRecord:
        makers = tuple(
            MakerOrderRecord(
                order_id=m["order_id"],
                owner=owners.get(m["order_id"], ""),
                maker=m["maker"],
                matched_amount=int(m["matched_amount"]),
                price=m["price"],
                fee_rate_bps=int(row.fee_rate_bps),
                asset_id=m["token_id"],
                outcome=self._markets.outcome(int(m["token_id"])),
                side=m["side"],
            )
            for m in payload["makers"]
        )
        return TradeRecord(
            trade_id=row.trade_id,
            taker_order_id=row.taker_order_id,
            market=row.market,
            asset_id=row.asset_id,
            side=row.side,
            size=int(row.size),
            fee_rate_bps=int(row.fee_rate_bps),
            price=row.price,
            status=row.status,
            match_time=int(row.match_time),
            last_update=int(row.last_update),
            outcome=self._markets.outcome(int(row.asset_id)),
            bucket_index=int(row.bucket_index),
            owner=owners.get(row.taker_order_id, ""),
            maker_address=row.taker,
            maker_orders=makers,
            transaction_hash=row.transaction_hash,
            trader_side="TAKER" if row.taker in parties else "MAKER",
        )
