"""WebSocket fan-out in the distributed mode: a client subscribed on one gateway sees, in order, the book changes
and trades of orders placed through another gateway (each gateway renders them from its replica of the shard)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from clob.distributed.status import StatusPublisher
from settlement.store import SettlementStore
from store import connect_database
from tests.support.distributed import EXCHANGE, open_market, traders

COND, YES, NO = "0x" + "e5" * 32, 8001, 8002


async def recv_json(ws: Any, timeout: float = 10.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_subscriber_on_one_gateway_sees_orders_placed_through_another(gateways: tuple[str, str, str]) -> None:
    place_base, watch_base, _bus = gateways
    open_market(place_base, COND, YES, NO)
    maker, taker = traders(place_base, 3, 4)
    for _ in range(50):  # the watching gateway's replica knows the market once its entry arrived
        if httpx.get(f"{watch_base}/book", params={"token_id": str(YES)}).status_code == 200:
            break
        asyncio.run(asyncio.sleep(0.1))

    async def scenario() -> None:
        url = watch_base.replace("http://", "ws://") + "/ws/market"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "market", "assets_ids": [str(YES)], "initial_dump": True}))
            snapshot = await recv_json(ws)
            assert snapshot[0]["event_type"] == "book"
            assert snapshot[0]["bids"] == []
            bid = await asyncio.to_thread(maker.post_order, maker.limit_order(YES, "BUY", "0.40", "10"))
            assert bid["status"] == "live"
            change = await recv_json(ws)
            assert change["event_type"] == "price_change"
            assert [
                (c["price"], c["size"], c["side"]) for c in change["price_changes"] if c["asset_id"] == str(YES)
            ] == [("0.4", "10", "BUY")]
            sell = await asyncio.to_thread(taker.post_order, taker.limit_order(YES, "SELL", "0.40", "6"))
            assert sell["status"] == "matched"
            kinds = [m["event_type"] for m in [await recv_json(ws) for _ in range(2)]]
            assert sorted(kinds) == ["last_trade_price", "price_change"]

    asyncio.run(scenario())
    summary = httpx.get(f"{watch_base}/book", params={"token_id": str(YES)}).json()
    assert summary["bids"] == [{"price": "0.4", "size": "4"}]
    other = httpx.get(f"{place_base}/book", params={"token_id": str(YES)}).json()
    volatile = ("timestamp", "hash")  # the hash covers the timestamp (Polymarket's rule)
    assert {k: v for k, v in summary.items() if k not in volatile} == {
        k: v for k, v in other.items() if k not in volatile
    }


def test_trade_status_from_the_batcher_reaches_users_on_every_gateway(
    gateways: tuple[str, str, str], pg_url: str
) -> None:
    place_base, watch_base, bus = gateways
    open_market(place_base, COND, YES, NO)
    maker, taker = traders(place_base, 3, 4)
    maker.post_order(maker.limit_order(YES, "BUY", "0.40", "10"))
    trade_id = taker.post_order(taker.limit_order(YES, "SELL", "0.40", "10"))["tradeIDs"][0]
    db = connect_database(pg_url)
    try:
        row = SettlementStore(db, 31337, EXCHANGE).trade_rows([trade_id])[trade_id]
    finally:
        db.dispose()
    publisher = StatusPublisher(bus.split(","))
    assert taker.creds is not None
    auth = {"apiKey": taker.creds.api_key, "secret": taker.creds.secret, "passphrase": taker.creds.passphrase}

    async def scenario() -> None:
        url = watch_base.replace("http://", "ws://") + "/ws/user"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "user", "auth": auth}))
            await asyncio.sleep(0.3)  # subscribed
            publisher(row, "MINED", "0x" + "ab" * 32)
            msg = await recv_json(ws)
            assert (msg["event_type"], msg["id"], msg["status"]) == ("trade", trade_id, "MINED")
            assert msg["transaction_hash"] == "0x" + "ab" * 32
            assert msg["trader_side"] == "TAKER"

    try:
        asyncio.run(scenario())
    finally:
        publisher.close()
