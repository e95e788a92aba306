"""The market channel's opt-in ``trade_status`` events (what the console follows): sent to subscribers that asked,
for trades of their assets, at every settlement status change; never to the others (Polymarket's clients)."""

from __future__ import annotations

import asyncio
from typing import Any

from clob.ws.hub import Subscriber, WsHub

MARKET = "0x" + "ab" * 32
ROW = {
    "trade_id": "6f1c2a9e-0000-5000-8000-000000000001",
    "market": MARKET,
    "asset_id": "11",
    "taker_order_id": "0x" + "01" * 32,
    "taker": "0x" + "aa" * 20,
    "side": "BUY",
    "size": 10_000_000,
    "price": "0.56",
    "fee_rate_bps": 0,
    "match_time": 1_700_000_000,
    "makers": [],
}


def drain(sub: Subscriber) -> list[dict[str, Any]]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


def market_sub(hub: WsHub, assets: set[str], trade_status: bool) -> Subscriber:
    sub = hub.new_subscriber("market")
    sub.assets = assets
    sub.trade_status = trade_status
    hub.add(sub)
    return sub


def test_trade_status_goes_to_opted_in_subscribers_of_the_asset_only() -> None:
    hub = WsHub(lambda _a: None, lambda _m: ["11", "12"], lambda _o: None, clock_ms=lambda: 1234)
    loop = asyncio.new_event_loop()
    try:
        hub.bind(loop)
        console = market_sub(hub, {"11", "12"}, trade_status=True)
        plain = market_sub(hub, {"11"}, trade_status=False)
        other_asset = market_sub(hub, {"12"}, trade_status=True)
        for status, tx in (("MINED", "0x" + "cd" * 32), ("CONFIRMED", "0x" + "cd" * 32)):
            hub.on_trade_status(dict(ROW), status, tx)
        loop.run_until_complete(asyncio.sleep(0))
        got = drain(console)
        assert [m["status"] for m in got] == ["MINED", "CONFIRMED"]
        assert got[-1] == {
            "event_type": "trade_status",
            "trade_id": ROW["trade_id"],
            "market": MARKET,
            "asset_id": "11",
            "side": "BUY",
            "price": "0.56",
            "size": "10",
            "status": "CONFIRMED",
            "transaction_hash": "0x" + "cd" * 32,
            "match_time": "1700000000",
            "timestamp": "1234",
        }
        assert drain(plain) == []
        assert drain(other_asset) == []
    finally:
        loop.close()


def test_no_trade_status_is_rendered_when_nobody_asked() -> None:
    hub = WsHub(lambda _a: None, lambda _m: [], lambda _o: None)
    market_sub(hub, {"11"}, trade_status=False)
    assert hub._status_message(dict(ROW), "MATCHED", "") == []
