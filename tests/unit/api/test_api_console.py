"""The console's JSON (``/console/api/…``) over a real sequencer and database (SQLite and PostgreSQL), the page and
its assets, and ``/docs`` served from the installed Swagger UI.

What the batcher and the indexer would write (a settlement transaction and its attempts, the indexer's cursor and
fills, reconciliation runs) is inserted as rows: the queries are what is under test here; the browser tests run
the real services.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, update

from clob.api.assets import ConsoleAssets, default_assets
from clob.service import console
from clob.service.sequencer import StreamStatus
from orders import Side
from store.schema import trades
from store.schema.indexer import chain_cursor, chain_fills
from store.schema.reconcile import reconciliation_runs
from store.schema.settlement import settlement_attempts, settlement_tx_trades, settlement_txs
from tests.unit.api.conftest import World
from tests.unit.api.support import ADMIN_TOKEN, CONDITION, NO, YES

TX = "0x" + "ab" * 32


def trade(world: World, price: str = "0.60", size: str = "10") -> dict[str, Any]:
    """Alice sells YES, Bob buys it: one trade; its /data/trades record as Bob sees it."""
    assert world.alice.place(world.alice.order(YES, Side.SELL, price, size)).status_code == 200
    placed = world.bob.place(world.bob.order(YES, Side.BUY, price, size))
    assert placed.status_code == 200, placed.text
    trade_id = placed.json()["tradeIDs"][0]
    listed = world.bob.request("GET", "/data/trades").json()["data"]
    found: dict[str, Any] = next(t for t in listed if t["id"] == trade_id)
    return found


def settle_rows(world: World, t: dict[str, Any], block: int = 40) -> None:
    """The rows the batcher and the indexer write for a trade settled in ``TX`` at ``block``."""
    now = int(time.time() * 1000)
    with world.service.db.engine.begin() as conn:
        tx_id = conn.execute(
            insert(settlement_txs).values(
                chain_id=31337, operator="0x" + "0f" * 20, nonce=7, kind="matchOrders", status="CONFIRMED",
                to_address="0x" + "0e" * 20, data="0x", gas_limit=200_000, trade_count=1, fill_count=1, tx_hash=TX,
                raw_tx="0x", attempts=2, block_number=block, block_hash="0x" + "cd" * 32, gas_used=150_000, error="",
                created_at_ms=now, sent_at_ms=now, replaced_at_ms=now, updated_at_ms=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(insert(settlement_tx_trades).values(tx_id=tx_id, trade_id=t["id"], position=0))
        for attempt, tx_hash in ((0, "0x" + "aa" * 32), (1, TX)):
            conn.execute(
                insert(settlement_attempts).values(
                    tx_id=tx_id, attempt=attempt, kind="settle", tx_hash=tx_hash, raw_tx="0x",
                    max_fee_per_gas=10 + attempt, max_priority_fee_per_gas=1, created_at_ms=now,
                )
            )  # fmt: skip
        conn.execute(
            update(trades)
            .where(trades.c.trade_id == t["id"])
            .values(status="CONFIRMED", transaction_hash=TX, settlement_batch=tx_id, last_update=int(time.time()))
        )
        conn.execute(
            insert(chain_cursor).values(
                name="main", chain_id=31337, last_block=block + 2, head_block=block + 2, confirmed_block=block + 1,
                updated_at_ms=now,
            )
        )  # fmt: skip
        orders = [t["taker_order_id"], t["maker_orders"][0]["order_id"], "0x" + "99" * 32]  # the last: another trade's
        for i, order_hash in enumerate(orders):
            conn.execute(
                insert(chain_fills).values(
                    block_number=block, log_index=i, tx_hash=TX, exchange="0x" + "0e" * 20, order_hash=order_hash,
                    maker="0x" + "01" * 20, taker="0x" + "02" * 20, maker_asset_id="0", taker_asset_id=str(YES),
                    maker_amount_filled="6000000", taker_amount_filled="10000000", fee="0",
                )
            )  # fmt: skip


def test_market_trades_and_prices(world: World) -> None:
    first = trade(world, "0.60")
    second = trade(world, "0.62", "5")
    got = world.client.get(f"/console/api/markets/{CONDITION}/trades").json()["data"]
    assert [t["trade_id"] for t in got] == [second["id"], first["id"]]  # newest first
    assert got[0] | {"match_time": 0, "last_update": 0, "journal_seq": 0} == {
        "trade_id": second["id"], "market": CONDITION, "asset_id": str(YES), "side": "BUY", "size": "5000000",
        "price": "0.62", "status": "MATCHED", "match_time": 0, "last_update": 0, "transaction_hash": "",
        "error": "", "journal_seq": 0, "outcome": "Yes",
    }  # fmt: skip
    assert got[0]["journal_seq"] > got[1]["journal_seq"]
    assert len(world.client.get(f"/console/api/markets/{CONDITION}/trades?limit=1").json()["data"]) == 1

    prices = world.client.get(f"/console/api/markets/{CONDITION}/prices").json()["tokens"]
    assert [(p["token_id"], p["outcome"]) for p in prices] == [(str(YES), "Yes"), (str(NO), "No")]
    assert [p["price"] for p in prices[0]["history"]] == ["0.6", "0.62"]  # oldest first
    assert prices[1]["history"] == []


def test_trade_life_joins_the_journal_the_batcher_and_the_indexer(world: World) -> None:
    t = trade(world)
    life = world.client.get(f"/console/api/trades/{t['id']}").json()
    assert life["trade"]["status"] == "MATCHED"
    assert life["settlements"] == []
    assert life["fills"] == []
    assert life["block_number"] is None
    assert life["confirmations"] == 0
    assert life["indexer"] is None
    journal = life["journal"]
    assert journal["stream"] == "main"
    assert journal["kind"] == "place"
    assert journal["hash_matches"] is True
    head = world.client.get("/admin/stream", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    assert (journal["seq"], journal["hash"]) == (head["head_seq"], head["head_hash"])  # the last command matched

    settle_rows(world, t, block=40)
    life = world.client.get(f"/console/api/trades/{t['id']}").json()
    assert life["trade"]["status"] == "CONFIRMED"
    [tx] = life["settlements"]
    assert (tx["nonce"], tx["status"], tx["attempts"], tx["retries"], tx["gas_used"]) == (7, "CONFIRMED", 2, 1, 150_000)
    assert [a["tx_hash"] for a in tx["attempt_list"]] == ["0x" + "aa" * 32, TX]
    assert "raw_tx" not in tx
    assert "data" not in tx
    assert life["block_number"] == 40
    assert life["confirmations"] == 3  # blocks 40, 41, 42
    assert sorted(f["order_hash"] for f in life["fills"]) == sorted(
        [t["taker_order_id"], t["maker_orders"][0]["order_id"]]
    )
    assert life["indexer_confirmed"] is True
    assert life["fills"][0]["maker_amount_filled"] == "6000000"


def test_trade_life_errors(world: World) -> None:
    missing = world.client.get("/console/api/trades/6f1c2a9e-0000-5000-8000-000000000001")
    assert missing.status_code == 404
    assert "not found" in missing.json()["error"]
    assert world.client.get("/console/api/trades/not%20an%20id").status_code == 400
    bad = world.client.get("/console/api/markets/0x12/trades")
    assert bad.status_code == 400
    assert "condition_id" in bad.json()["error"]
    assert world.client.get(f"/console/api/markets/0x{'00' * 32}/prices").status_code == 404
    assert world.client.get(f"/console/api/markets/{CONDITION}/trades?limit=0").status_code == 400


def test_settlement_overview_and_runs(world: World) -> None:
    t = trade(world)
    trade(world, "0.61")
    settle_rows(world, t)
    with world.service.db.engine.begin() as conn:
        for i in range(3):
            conn.execute(
                insert(reconciliation_runs).values(
                    started_at_ms=1000 * i, finished_at_ms=1000 * i + 5, confirmed_block=10 + i, found=i, opened=i,
                    resolved=0, stats=orjson.dumps({"trades": 2}).decode(),
                )
            )  # fmt: skip
    got = world.client.get("/console/api/settlement").json()
    [tx] = got["transactions"]
    assert (tx["tx_hash"], tx["retries"], tx["trade_count"]) == (TX, 1, 1)
    assert got["trades_by_status"] == {"CONFIRMED": 1, "MATCHED": 1}
    assert got["backlog"][-1]["backlog"] == 1  # the unsettled one, now
    assert 0 <= got["backlog"][-1]["lag_seconds"] <= 60
    assert got["backlog"][-1]["time"] == pytest.approx(time.time(), abs=60)

    overview = world.client.get("/console/api/overview").json()
    assert overview["indexer"]["lag_blocks"] == 0
    assert overview["trades_by_status"] == {"CONFIRMED": 1, "MATCHED": 1}
    [stream] = overview["streams"]
    assert stream["stream"] == "main"
    assert len(stream["state_hash"]) == 64
    assert stream["head_seq"] > 0

    runs = world.client.get("/console/api/reconciliation/runs?limit=2").json()["data"]
    assert [(r["confirmed_block"], r["stats"]) for r in runs] == [(12, {"trades": 2}), (11, {"trades": 2})]
    assert runs[0]["id"] > runs[1]["id"]  # newest first (PostgreSQL's ids do not restart when rows are deleted)


def test_backlog_samples_count_unsettled_trades_and_the_age_of_the_oldest(world: World) -> None:
    clock = [10_000.0]
    sampler = console.BacklogSampler(world.service.db, keep=3, clock=lambda: clock[0])
    rows = [(9_100, "CONFIRMED"), (9_500, "MINED"), (9_700, "MATCHED"), (9_800, "RETRYING"), (9_900, "FAILED")]
    assert sampler.sample() == console.BacklogPoint(10_000, 0, 0)
    with world.service.db.engine.begin() as conn:
        for i, (matched, status) in enumerate(rows):
            conn.execute(
                insert(trades).values(
                    trade_id=f"t{i}", market=CONDITION, asset_id=str(YES), taker_order_id="0x", taker="0x", side="BUY",
                    size=1, price="0.5", fee_rate_bps=0, status=status, match_time=matched, last_update=matched,
                    payload="{}", journal_seq=i, journal_hash="",
                )
            )  # fmt: skip
    clock[0] = 10_010.0
    assert sampler.sample() == console.BacklogPoint(10_010, 3, 510)  # MINED since 9,500; the final two not counted
    with world.service.db.engine.begin() as conn:
        conn.execute(update(trades).where(trades.c.trade_id == "t1").values(status="CONFIRMED"))
    clock[0] = 10_020.0
    assert sampler.series() == [
        console.BacklogPoint(10_000, 0, 0),
        console.BacklogPoint(10_010, 3, 510),
        console.BacklogPoint(10_020, 2, 320),
    ]
    clock[0] = 10_030.0
    assert [p.time for p in sampler.series()] == [10_010, 10_020, 10_030]  # the latest `keep`


def test_status_cache_asks_the_stream_at_most_once_per_ttl() -> None:
    calls: list[int] = []

    class Stream:
        stream = "main"

        def status(self, timeout: float = 30.0) -> StreamStatus:
            calls.append(1)
            return StreamStatus("main", len(calls), "h", "s", 0)

        def statuses(self) -> list[StreamStatus]:
            return [self.status()]

    clock = [0.0]
    cache = console.StatusCache(Stream(), ttl_s=5.0, clock=lambda: clock[0])  # type: ignore[arg-type]
    assert cache.get()[0].head_seq == 1
    clock[0] = 4.9
    assert cache.get()[0].head_seq == 1
    clock[0] = 5.0
    assert cache.get()[0].head_seq == 2
    assert len(calls) == 2


def test_the_page_its_modules_and_the_vendored_packages_are_served(world: World) -> None:
    page = world.client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/console/static/app.js">' in page.text
    module = world.client.get("/console/static/app.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    if default_assets().missing():
        pytest.skip(f"npm packages not installed: {default_assets().missing()} (make bootstrap)")
    for path in (
        "/console/vendor/preact/dist/preact.mjs",
        "/console/vendor/preact/hooks/dist/hooks.mjs",
        "/console/vendor/htm/htm.mjs",
        "/console/vendor/uplot/uPlot.esm.js",
        "/console/vendor/swagger-ui/swagger-ui-bundle.js",
    ):
        got = world.client.get(path)
        assert got.status_code == 200, path
        assert "javascript" in got.headers["content-type"], path
    assert world.client.get("/console/vendor/nope/x.js").status_code == 404


def test_docs_load_swagger_ui_from_the_api_itself(world: World) -> None:
    if default_assets().missing():
        pytest.skip("swagger-ui-dist not installed (make bootstrap)")
    docs = world.client.get("/docs")
    assert docs.status_code == 200
    assert "/console/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "/openapi.json" in docs.text
    assert "https://" not in docs.text
    assert "http://" not in docs.text
    assert world.client.get("/redoc").status_code == 404


def test_docs_without_swagger_ui_say_what_to_run(tmp_path: Any) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from clob.api.assets import STATIC, install_assets

    app = FastAPI(docs_url=None, redoc_url=None)
    install_assets(app, ConsoleAssets(STATIC, tmp_path / "node_modules"))
    got = TestClient(app).get("/docs")
    assert got.status_code == 503
    assert "make bootstrap" in got.json()["error"]
