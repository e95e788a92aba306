"""Projections on SQLite and PostgreSQL: the driver-level statements write exactly the rows SQLAlchemy Core does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from clob.engine import (
    CancelOrder,
    ChangeTickSize,
    Command,
    CreateMarket,
    Engine,
    HaltMarket,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address, BaseUnits
from clob.service.applied import Applied
from clob.service.codec import encode, kind_of
from clob.service.projections import Projector, dumps_json, signed_order_json, sorted_json
from store import Journal, connect_database
from store.schema import journal, markets, orders, projection_cursor, trade_parties, trades

MARKET = MarketId("0x" + "ab" * 32)
OTHER = MarketId("0x" + "cd" * 32)
NOW = UnixSeconds(1_700_000_000)


def place(n: int, maker: str, side: Side, cents: int, shares: int) -> tuple[Any, dict[str, Any]]:
    usdc, base = shares * cents * 10_000, shares * 1_000_000
    ma, ta = (usdc, base) if side == Side.BUY else (base, usdc)
    order = {"salt": n, "maker": maker, "side": side.name, "makerAmount": str(ma), "note": 'é "q", 1: 2'}

    def make(seq: int) -> Command:
        return PlaceOrder(
            seq, NOW, OrderId(f"0x{n:064x}"), Address(maker), TokenId(1), side, BaseUnits(ma), BaseUnits(ta), 0,
            UnixSeconds(0), OrderType.GTC,
        )  # fmt: skip

    return make, {"owner": f"key-{maker}", "market": MARKET, "price": f"0.{cents:02d}", "order": order}


def batches() -> list[list[tuple[Any, dict[str, Any]]]]:
    return [
        [
            (lambda s: CreateMarket(s, NOW, MARKET, TokenId(1), TokenId(2), 2, BaseUnits(5_000_000), 0), {"q": 1}),
            (lambda s: CreateMarket(s, NOW, OTHER, TokenId(3), TokenId(4), 2, BaseUnits(5_000_000), 0), {}),
            place(1, "0xa", Side.BUY, 40, 10),
            place(2, "0xb", Side.BUY, 45, 20),
            place(3, "0xc", Side.SELL, 44, 5),  # trades with order 2 in its own batch
        ],
        [
            place(4, "0xd", Side.SELL, 40, 25),  # takes the rest of 2 and part of 1, from the earlier batch
            place(5, "0xe", Side.BUY, 30, 10),
            (lambda s: CancelOrder(s, NOW, OrderId(f"0x{5:064x}")), {}),
            (lambda s: ChangeTickSize(s, NOW, MARKET, 3), {}),
            (lambda s: HaltMarket(s, NOW, OTHER), {}),
        ],
        [place(6, "0xf", Side.SELL, 40, 5)],
    ]


def project(url: str, core: bool) -> dict[str, list[Any]]:
    db = connect_database(url)
    engine, log, projector = Engine(), Journal(db, "main"), Projector("main")
    if core:  # as for a driver whose placeholders are neither ? nor %s
        projector._statements[(db.engine.dialect.name, db.engine.dialect.paramstyle)] = None
    for subs in batches():
        items, applied = [], []
        for make, meta in subs:
            cmd = make(log.head_seq + len(items) + 1)
            items.append((kind_of(cmd), encode(cmd, meta), int(cmd.now) * 1000))
            applied.append((cmd, meta, engine.apply(cmd)))
        entries = log.prepare(items)
        done = [
            Applied(e.seq, c, m, ev, e.hash.hex(), "main", e) for e, (c, m, ev) in zip(entries, applied, strict=True)
        ]
        with db.engine.begin() as conn:
            Journal.insert(conn, entries)
            projector.write(conn, done)
        log.advance(entries)
    tables = (orders, trades, trade_parties, markets, projection_cursor, journal)
    with db.engine.begin() as conn:
        rows = {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))] for t in tables}
        for t in reversed(tables):
            conn.execute(t.delete())
    db.dispose()
    return rows


def test_driver_statements_write_what_core_writes(db_url: str) -> None:
    fast = project(db_url, core=False)
    assert fast == project(db_url, core=True)
    by_id = {int(r[0], 16): r for r in fast["orders"]}
    # (status, size_matched, number of trades): order 2 traded in its own batch (inserted in its final state) and
    # again in the next one with order 1 (updated in place); 5 was cancelled in the batch that placed it; 6 rests
    assert {n: (r[9], r[8], len(json.loads(r[14]))) for n, r in by_id.items()} == {
        1: ("MATCHED", 10_000_000, 1),
        2: ("MATCHED", 20_000_000, 2),
        3: ("MATCHED", 5_000_000, 1),
        4: ("MATCHED", 25_000_000, 1),
        5: ("CANCELED", 0, 0),
        6: ("LIVE", 0, 0),
    }
    assert len(fast["trades"]) == 2
    assert len(fast["trade_parties"]) == 5
    assert fast["projection_cursor"] == [("main", 11)]
    assert {(m[0], m[8], m[12]) for m in fast["markets"]} == {(MARKET, "0.001", "open"), (OTHER, "0.01", "halted")}


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1, "x", None, True, 1.5, -(2**70)], "é": {"\u2028": '"', "c": ()}},
        [],
        ["6f3c1d2e-8a4b-5c6d-9e0f-a1b2c3d4e5f6", "x"],
        {},
        "é",
        float("nan"),
    ],
)
def test_prebuilt_json_is_json_dumps(value: Any) -> None:
    assert sorted_json(value) == json.dumps(value, sort_keys=True)
    assert dumps_json(value) == json.dumps(value)


@pytest.mark.parametrize(
    "order",
    [
        {"salt": 12, "maker": "0xAb", "signature": "0x00", "signatureType": 0, "tokenId": "7"},
        {"salt": 2**80, "maker": "0xé", "side": "BUY"},  # beyond 64 bits: the standard library writes it
        {},
    ],
)
def test_signed_order_json_is_compact_sorted_json(order: dict[str, Any]) -> None:
    text = signed_order_json(order)
    assert text == json.dumps(order, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(text) == order


def test_a_market_reopened_on_another_stream_moves_its_row(db_url: str) -> None:
    """The store was used in the other mode (embedded stream "main", then a shard): the shard's CreateMarket of a
    market "main" projected before takes the row over instead of failing the shard's commit."""
    db = connect_database(db_url)
    for stream, question in (("main", "first"), ("s0", "again")):
        engine, log, projector = Engine(), Journal(db, stream), Projector(stream)
        cmd = CreateMarket(Seq(1), NOW, MARKET, TokenId(1), TokenId(2), 2, BaseUnits(5_000_000), 0)
        meta = {"question": question}
        entries = log.prepare([(kind_of(cmd), encode(cmd, meta), int(cmd.now) * 1000)])
        done = [Applied(entries[0].seq, cmd, meta, engine.apply(cmd), entries[0].hash.hex(), stream, entries[0])]
        with db.engine.begin() as conn:
            Journal.insert(conn, entries)
            projector.write(conn, done)
        log.advance(entries)
    with db.engine.begin() as conn:
        rows = conn.execute(select(markets.c.condition_id, markets.c.stream, markets.c.question)).all()
        for t in (markets, projection_cursor, journal):
            conn.execute(t.delete())
    db.dispose()
    assert [tuple(r) for r in rows] == [(MARKET, "s0", "again")]
