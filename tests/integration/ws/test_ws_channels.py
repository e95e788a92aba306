"""WebSocket channels, real client and server: snapshot, ordered deltas, user events, slow consumers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from fastapi import FastAPI

from clob.engine import Side, TokenId
from clob.service.marketdata import book_summary
from clob.service.sequencer import Sequencer
from clob.service.submission import UNSEQUENCED, Submission
from clob.ws.hub import WsHub
from clob.ws.router import router
from store import connect_database
from tests.integration.store.test_sequencer import MARKET, NO, YES, create_market, place, run
from tests.support.server import serve

KEYS = {"key-0xaaa": ("s-a", "p-a", "0xaaa"), "key-0xbbb": ("s-b", "p-b", "0xbbb")}


def build_app(seqr: Sequencer, max_queue: int = 1000) -> FastAPI:
    def summary_of(asset: str) -> dict[str, Any] | None:
        if asset not in (str(YES), str(NO)):
            return None
        return book_summary(
            seqr.book(TokenId(int(asset))),
            market=MARKET,
            asset_id=asset,
            tick_size="0.01",
            min_order_size="5",
            last_trade_price="",
            timestamp_ms=int(time.time() * 1000),
        )

    hub = WsHub(summary_of, lambda _m: [str(YES), str(NO)], lambda _oid: None, max_queue=max_queue)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        seqr.add_listener(hub.on_applied)
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.ws_hub = hub

    def check(api_key: str, secret: str, passphrase: str) -> str | None:
        known = KEYS.get(api_key)
        return known[2] if known and known[:2] == (secret, passphrase) else None

    app.state.ws_check_creds = check
    app.include_router(router)
    return app


@pytest.fixture
def stack(tmp_path: Any) -> Iterator[tuple[Sequencer, str]]:
    db = connect_database(f"sqlite:///{tmp_path / 'ws.db'}")
    seqr = Sequencer(db)
    seqr.start()
    run(seqr, create_market())
    try:
        with serve(build_app(seqr)) as url:
            yield seqr, url.replace("http://", "ws://")
    finally:
        seqr.stop()
        db.dispose()


async def recv_json(ws: Any, timeout: float = 5.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_market_channel_snapshot_then_ordered_deltas(stack: tuple[Sequencer, str]) -> None:
    seqr, url = stack
    run(seqr, place(1, "0xaaa", YES, Side.BUY, 40, 10))

    async def scenario() -> None:
        async with websockets.connect(url + "/ws/market") as ws:
            await ws.send(json.dumps({"type": "market", "assets_ids": [str(YES)], "initial_dump": True}))
            snapshot = await recv_json(ws)
            assert isinstance(snapshot, list)
            assert snapshot[0]["event_type"] == "book"
            assert snapshot[0]["bids"] == [{"price": "0.4", "size": "10"}]
            await ws.send("PING")
            assert await asyncio.wait_for(ws.recv(), 5) == "PONG"

            await asyncio.to_thread(run, seqr, place(2, "0xbbb", YES, Side.BUY, 45, 20))
            await asyncio.to_thread(run, seqr, place(3, "0xbbb", NO, Side.BUY, 50, 7))  # YES ask at 0.50
            from clob.engine import CancelOrder, OrderId

            oid = OrderId("0x" + f"{2:064x}")
            await asyncio.to_thread(run, seqr, Submission(CancelOrder(UNSEQUENCED, 1_700_000_000, oid)))
            seen = [await recv_json(ws) for _ in range(3)]
            changes = [
                (c["price"], c["size"], c["side"])
                for m in seen
                for c in m["price_changes"]
                if c["asset_id"] == str(YES)
            ]
            assert [m["event_type"] for m in seen] == ["price_change"] * 3
            assert changes == [("0.45", "20", "BUY"), ("0.5", "7", "SELL"), ("0.45", "0", "BUY")]
            last_yes = next(c for c in seen[-1]["price_changes"] if c["asset_id"] == str(YES))
            assert last_yes["best_bid"] == "0.4"
            assert last_yes["best_ask"] == "0.5"

            from clob.engine import ChangeTickSize

            await asyncio.to_thread(run, seqr, Submission(ChangeTickSize(UNSEQUENCED, 1_700_000_000, MARKET, 3)))
            tick = await recv_json(ws)
            assert tick["event_type"] == "tick_size_change"
            assert (tick["asset_id"], tick["old_tick_size"], tick["new_tick_size"]) == (str(YES), "0.01", "0.001")

    asyncio.run(scenario())


def test_user_channel_orders_and_trades(stack: tuple[Sequencer, str]) -> None:
    seqr, url = stack

    async def scenario() -> None:
        async with websockets.connect(url + "/ws/user") as bad:
            await bad.send(
                json.dumps({"type": "user", "auth": {"apiKey": "key-0xaaa", "secret": "x", "passphrase": "y"}})
            )
            assert "error" in await recv_json(bad)
        async with websockets.connect(url + "/ws/user") as ws:
            auth = {"apiKey": "key-0xaaa", "secret": "s-a", "passphrase": "p-a"}
            await ws.send(json.dumps({"type": "user", "markets": [], "auth": auth}))
            await asyncio.to_thread(run, seqr, place(1, "0xaaa", YES, Side.SELL, 60, 10))
            await asyncio.to_thread(run, seqr, place(2, "0xbbb", YES, Side.BUY, 60, 5))  # other user takes 5
            placement = await recv_json(ws)
            assert (placement["event_type"], placement["type"], placement["status"]) == ("order", "PLACEMENT", "LIVE")
            trade = await recv_json(ws)
            assert (trade["event_type"], trade["status"], trade["trader_side"]) == ("trade", "MATCHED", "MAKER")
            assert trade["size"] == "5"
            update = await recv_json(ws)
            assert (update["type"], update["size_matched"], update["original_size"]) == ("UPDATE", "5", "10")

    asyncio.run(scenario())


def test_user_channel_includes_the_users_wallets(tmp_path: Any) -> None:
    """Orders and trades made by a user's proxy wallet or Safe (ws_wallets_of) reach that user's channel."""
    db = connect_database(f"sqlite:///{tmp_path / 'wallets.db'}")
    seqr = Sequencer(db)
    seqr.start()
    run(seqr, create_market())
    app = build_app(seqr)
    app.state.ws_wallets_of = lambda address: frozenset({"0xccc"}) if address == "0xaaa" else frozenset()

    async def scenario(url: str) -> None:
        async with websockets.connect(url + "/ws/user") as ws:
            auth = {"apiKey": "key-0xaaa", "secret": "s-a", "passphrase": "p-a"}
            await ws.send(json.dumps({"type": "user", "markets": [], "auth": auth}))
            await asyncio.to_thread(run, seqr, place(1, "0xccc", YES, Side.SELL, 60, 10))  # the user's wallet
            await asyncio.to_thread(run, seqr, place(2, "0xbbb", YES, Side.BUY, 60, 5))  # someone else takes 5
            placement = await recv_json(ws)
            assert (placement["type"], placement["status"], placement["maker_address"]) == (
                "PLACEMENT",
                "LIVE",
                "0xccc",
            )
            trade = await recv_json(ws)
            assert (trade["event_type"], trade["trader_side"], trade["size"]) == ("trade", "MAKER", "5")
            update = await recv_json(ws)
            assert (update["type"], update["size_matched"]) == ("UPDATE", "5")

    try:
        with serve(app) as url:
            asyncio.run(scenario(url.replace("http://", "ws://")))
    finally:
        seqr.stop()
        db.dispose()


def test_stalled_client_does_not_slow_intake(tmp_path: Any) -> None:
    db = connect_database(f"sqlite:///{tmp_path / 'slow.db'}", sqlite_synchronous="NORMAL")
    seqr = Sequencer(db)
    seqr.start()
    run(seqr, create_market())
    try:
        with serve(build_app(seqr, max_queue=8)) as url:

            async def scenario() -> tuple[float, float]:
                async with websockets.connect(url.replace("http", "ws") + "/ws/market", max_queue=1) as stalled:
                    await stalled.send(json.dumps({"type": "market", "assets_ids": [str(YES)], "initial_dump": False}))
                    await asyncio.sleep(0.2)

                    def burst(start: int) -> float:
                        t0 = time.perf_counter()
                        futures = [
                            seqr.submit(place(start + i, "0xaaa", YES, Side.BUY, 1 + i % 30, 5)) for i in range(300)
                        ]
                        for f in futures:
                            f.result(timeout=30)
                        return time.perf_counter() - t0

                    # The stalled client never reads; intake must not wait for it.
                    with_stalled = await asyncio.to_thread(burst, 1000)
                    return with_stalled, 0.0

            elapsed, _ = asyncio.run(scenario())
            assert elapsed < 30  # generous: the point is that it finishes at all while the client never reads
            assert seqr.journal.head_seq == 301
    finally:
        seqr.stop()
        db.dispose()


def test_overflowing_subscriber_is_resynced_not_waited_for() -> None:
    from clob.ws.hub import RESYNC

    hub = WsHub(lambda _a: None, lambda _m: [], lambda _o: None, max_queue=4)

    async def scenario() -> None:
        sub = hub.new_subscriber("market")
        sub.assets = {"1"}
        hub.add(sub)
        msg = {"event_type": "price_change", "market": "m", "price_changes": []}
        for _ in range(10):
            hub._dispatch([("1", dict(msg))], [])
        assert sub.dropped > 0
        items = []
        while not sub.queue.empty():
            items.append(sub.queue.get_nowait())
        assert RESYNC in items
        assert len(items) <= 4

    asyncio.run(scenario())


def test_expired_gtd_order_is_announced_on_both_channels(stack: tuple[Sequencer, str]) -> None:
    """The sequencer's expiry sweep, on time: the owner's ``order`` CANCELLATION and the market's
    ``price_change`` (level size 0), within a second of the second at which the order counts as expired."""
    from tests.integration.store.test_expiry import gtd

    seqr, url = stack
    expires_at = int(time.time()) + 2

    async def scenario() -> None:
        async with websockets.connect(url + "/ws/user") as user, websockets.connect(url + "/ws/market") as market:
            auth = {"apiKey": "key-0xaaa", "secret": "s-a", "passphrase": "p-a"}
            await user.send(json.dumps({"type": "user", "markets": [], "auth": auth}))
            await market.send(json.dumps({"type": "market", "assets_ids": [str(YES)], "initial_dump": False}))
            await asyncio.sleep(0.1)
            await asyncio.to_thread(run, seqr, gtd(7, "0xaaa", expires_at, 42))
            placement = await recv_json(user)
            assert (placement["type"], placement["order_type"]) == ("PLACEMENT", "GTD")
            placed = await recv_json(market)
            assert [(c["price"], c["size"]) for c in placed["price_changes"] if c["asset_id"] == str(YES)] == [
                ("0.42", "10")
            ]
            cancel = await recv_json(user, timeout=5)
            announced = time.time()
            assert (cancel["event_type"], cancel["type"], cancel["status"]) == ("order", "CANCELLATION", "CANCELED")
            assert cancel["id"] == "0x" + f"{7:064x}"
            gone = await recv_json(market, timeout=5)
            assert gone["event_type"] == "price_change"
            assert [(c["price"], c["size"]) for c in gone["price_changes"] if c["asset_id"] == str(YES)] == [
                ("0.42", "0")
            ]
            assert expires_at <= announced < expires_at + 1.0

    asyncio.run(scenario())
