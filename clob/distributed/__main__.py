"""``python -m clob.distributed sequencer --shard s0`` | ``trades --durable NAME``.

Configuration comes from the same ``POLYCLOB_`` environment as the API (database URL, NATS servers, shards, stream
replicas); see docs/distributed.md.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from typing import Any

import orjson

from clob.distributed.feed import consume_trades
from clob.distributed.node import ShardNode
from clob.logconfig import configure_logging
from clob.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clob.distributed")
    sub = parser.add_subparsers(dest="cmd", required=True)
    seq = sub.add_parser("sequencer", help="run a shard's sequencer (standby until it holds the shard's lock)")
    seq.add_argument("--shard", required=True)
    feed = sub.add_parser("trades", help="print every trade as one JSON line (durable consumer, explicit acks)")
    feed.add_argument("--durable", default="trades-cli")
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if args.cmd == "sequencer":
        ShardNode(settings, args.shard).run(stop)
        return 0

    async def run_feed() -> None:
        done = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.2)
            done.set()

        async def show(trade: dict[str, Any]) -> None:
            sys.stdout.write(orjson.dumps(trade).decode() + "\n")
            sys.stdout.flush()

        watcher = asyncio.create_task(watch())
        await consume_trades(settings.nats_servers, args.durable, show, done)
        await watcher

    asyncio.run(run_feed())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
