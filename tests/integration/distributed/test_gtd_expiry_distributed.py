"""GTD expiry in the distributed mode: the shard's sequencer process owns the timer; its sweep is journaled,
published, and every gateway's replica shows the order gone (REST and the user's WebSocket)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import websockets

from clob.engine import GTD_SAFETY_MARGIN_S
from store import connect_database
from tests.support.distributed import open_market, traders

COND, YES, NO = "0x" + "e7" * 32, 9101, 9102


def test_a_gtd_order_expires_on_time_on_every_gateway(gateways: tuple[str, str, str], pg_url: str) -> None:
    place_base, watch_base, _bus = gateways
    open_market(place_base, COND, YES, NO)
    (maker,) = traders(place_base, 5)
    for _ in range(50):  # the watching gateway's replica knows the market once its entry arrived
        if httpx.get(f"{watch_base}/book", params={"token_id": str(YES)}).status_code == 200:
            break
        time.sleep(0.1)
    expires_at = int(time.time()) + 3

    async def scenario() -> float:
        url = watch_base.replace("http://", "ws://") + "/ws/user"
        creds = maker.creds
        assert creds is not None
        auth = {"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "user", "markets": [], "auth": auth}))
            await asyncio.sleep(0.2)
            order = maker.limit_order(YES, "BUY", "0.40", "10", expiration=expires_at + GTD_SAFETY_MARGIN_S)
            placed = await asyncio.to_thread(maker.post_order, order, "GTD")
            assert placed["status"] == "live"
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg.get("type") == "CANCELLATION":
                    assert msg["id"] == placed["orderID"]
                    return time.time()

    announced = asyncio.run(scenario())
    assert expires_at <= announced < expires_at + 1.0
    for base in (place_base, watch_base):
        assert httpx.get(f"{base}/book", params={"token_id": str(YES)}).json()["bids"] == []
    assert maker.request("GET", "/data/orders")["data"] == []
    db = connect_database(pg_url, migrate=False)
    try:
        with db.engine.connect() as conn:
            kinds: list[Any] = [r[0] for r in conn.exec_driver_sql("SELECT kind FROM journal ORDER BY seq")]
    finally:
        db.dispose()
    assert kinds.count("expire") == 1
