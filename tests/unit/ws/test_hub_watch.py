"""The WebSocket hub renders market messages only for assets somebody follows (a book summary and hash per change
is the costliest thing a gateway does per command), and a subscriber added before its snapshot loses no change."""

from __future__ import annotations

import asyncio
from typing import Any

from clob.engine import BookDelta, CancelOrder, MarketId, OrderId, Pips, Seq, Side, TokenId, UnixSeconds
from clob.engine.types import BaseUnits
from clob.service.applied import Applied
from clob.ws.hub import WsHub

MARKET = MarketId("0x" + "ab" * 32)


def applied(token: int) -> Applied:
    delta = BookDelta(MARKET, TokenId(token), Side.BUY, Pips(4000), BaseUnits(10_000_000))
    command = CancelOrder(Seq(1), UnixSeconds(1), OrderId("0x" + "01" * 32))
    return Applied(1, command, {}, [delta], "00" * 32)


def test_changes_of_unwatched_assets_are_not_rendered() -> None:
    summaries: list[str] = []

    def summary_of(asset: str) -> dict[str, Any]:
        summaries.append(asset)
        return {"market": MARKET, "bids": [{"price": "0.4", "size": "10"}], "asks": [], "timestamp": "1", "hash": "h"}

    hub = WsHub(summary_of, lambda _m: ["11", "12"], lambda _o: None)
    loop = asyncio.new_event_loop()
    try:
        hub.bind(loop)
        hub.on_applied(applied(11))
        assert summaries == []  # nobody follows 11: no summary, no message
        sub = hub.new_subscriber("market")
        sub.assets = {"11"}
        hub.add(sub)
        hub.on_applied(applied(12))
        assert summaries == []
        hub.on_applied(applied(11))
        assert summaries == ["11"]
        loop.run_until_complete(asyncio.sleep(0))  # dispatch
        msg = sub.queue.get_nowait()
        assert msg["event_type"] == "price_change"
        assert msg["price_changes"][0]["best_bid"] == "0.4"
        hub.remove(sub)
        hub.on_applied(applied(11))
        assert summaries == ["11"]
    finally:
        loop.close()
