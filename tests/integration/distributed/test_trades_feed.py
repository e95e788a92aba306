"""The outside trades feed: a durable consumer gets every fill once, acknowledges it, and a restarted consumer of
the same name goes on after the last acknowledged trade."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from clob.distributed.feed import consume_trades, follow_trades
from tests.support.distributed import open_market, traders

COND, YES, NO = "0x" + "f6" * 32, 9001, 9002


def drain(bus: str, durable: str, want: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Consume until ``want`` trades arrived or ``timeout`` passed."""
    got: list[dict[str, Any]] = []

    async def run() -> None:
        stop = asyncio.Event()

        async def handler(trade: dict[str, Any]) -> None:
            got.append(trade)
            if len(got) >= want:
                stop.set()

        async def deadline() -> None:
            await asyncio.sleep(timeout)
            stop.set()

        timer = asyncio.create_task(deadline())
        await consume_trades(bus.split(","), durable, handler, stop)
        timer.cancel()

    asyncio.run(run())
    return got


def test_durable_feed_delivers_each_trade_once(gateways: tuple[str, str, str]) -> None:
    base, _other, bus = gateways
    open_market(base, COND, YES, NO)
    maker, taker = traders(base, 3, 4)

    def cross(price: str) -> str:
        maker.post_order(maker.limit_order(YES, "BUY", price, "10"))
        answer = taker.post_order(taker.limit_order(YES, "SELL", price, "10"))
        trade_id: str = answer["tradeIDs"][0]
        return trade_id

    first = [cross("0.40"), cross("0.41")]
    got = drain(bus, "audit", 2)
    assert [t["id"] for t in got] == first
    assert {t["stream"] for t in got} == {"s0"}
    assert got[0]["taker_order_id"] != got[1]["taker_order_id"]
    assert drain(bus, "audit", 1, timeout=1.5) == []  # acknowledged: not delivered again
    later = cross("0.42")
    assert [t["id"] for t in drain(bus, "audit", 1)] == [later]
    assert [t["id"] for t in drain(bus, "another-consumer", 3)] == [*first, later]  # a new name starts at the beginning


def test_follow_trades_wakes_a_synchronous_service(gateways: tuple[str, str, str]) -> None:
    base, _other, bus = gateways
    open_market(base, COND, YES, NO)
    maker, taker = traders(base, 5, 6)
    woken: list[str] = []
    stop = threading.Event()
    thread = follow_trades(bus.split(","), "batcher-wakeup", lambda trade: woken.append(trade["id"]), stop)
    try:
        maker.post_order(maker.limit_order(YES, "BUY", "0.30", "10"))
        trade_id = taker.post_order(taker.limit_order(YES, "SELL", "0.30", "10"))["tradeIDs"][0]
        deadline = time.monotonic() + 10
        while not woken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert woken == [trade_id]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
