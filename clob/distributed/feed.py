"""The outside ``trades`` feed: every fill of every shard, once, from a durable JetStream consumer.

A consumer names itself (``durable``); the server remembers what it acknowledged, so a restarted consumer goes on
where it stopped. Each message is acknowledged only after the handler returned; a handler must be idempotent on
the trade id (a message whose ack was lost is delivered again).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError

from clob.distributed.bus import EVENTS_STREAM, connect

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


async def consume_trades(
    servers: list[str],
    durable: str,
    handler: Handler,
    stop: asyncio.Event,
    batch: int = 256,
) -> int:
    """Feed every trade to ``handler`` (acknowledging each after it), until ``stop``; return how many."""
    nc = await connect(servers, f"trades-feed-{durable}")
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        "polyclob.events.*.trades",
        durable=durable,
        stream=EVENTS_STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30),
    )
    count = 0
    try:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch, timeout=0.5)
            except (FetchTimeoutError, TimeoutError):
                continue
            for msg in msgs:
                await handler(orjson.loads(msg.data))
                await msg.ack()
                count += 1
    finally:
        await nc.close()
    return count


def follow_trades(
    servers: list[str], durable: str, on_trade: Callable[[dict[str, Any]], None], stop: threading.Event
) -> threading.Thread:
    """``consume_trades`` on a thread of its own, for synchronous services (the batcher's wake-up): ``on_trade`` is
    called for every trade before it is acknowledged; the thread ends when ``stop`` is set."""

    async def run() -> None:
        done = asyncio.Event()

        async def handler(trade: dict[str, Any]) -> None:
            on_trade(trade)

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.2)
            done.set()

        watcher = asyncio.create_task(watch())
        try:
            await consume_trades(servers, durable, handler, done)
        finally:
            watcher.cancel()

    def main() -> None:
        while not stop.is_set():
            try:
                asyncio.run(run())
            except Exception:  # the bus is unreachable: the batcher still polls; try again
                log.exception("trades feed %s failed; retrying", durable)
                stop.wait(1.0)

    thread = threading.Thread(target=main, name=f"trades-feed-{durable}", daemon=True)
    thread.start()
    return thread
