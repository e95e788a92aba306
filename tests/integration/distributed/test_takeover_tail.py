"""A leader that committed entries but died before publishing them: the next leader publishes that tail (entries
and their fills) before anything new, under the same message ids, so the bus ends up with every entry once."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import orjson

from clob.distributed.bus import H_SEQ, connect, journal_stream, journal_subject
from clob.distributed.node import ShardNode
from clob.engine import Side, Trade
from clob.service.sequencer import Sequencer
from clob.service.trades import trade_key
from clob.settings import Settings
from store import connect_database
from tests.integration.store.test_sequencer import NO, YES, create_market, place, run
from tests.support.distributed import EXCHANGE, MASTER_SECRET_HEX
from tests.support.nats import nats_cluster


def start_node(settings: Settings) -> tuple[ShardNode, threading.Event, threading.Thread]:
    node = ShardNode(settings, "s0")
    stop = threading.Event()
    thread = threading.Thread(target=node.run, args=(stop,), daemon=True)
    thread.start()
    assert node.active.wait(60), node.state
    return node, stop, thread


def test_new_leader_publishes_the_unpublished_tail(pg_url: str, tmp_path: Path) -> None:
    with nats_cluster(tmp_path, 1) as cluster:
        settings = Settings(
            database_url=pg_url,
            nats_url=cluster.url,
            shards="s0",
            exchange_address=EXCHANGE,
            check_balances=False,
            master_secret_hex=MASTER_SECRET_HEX,
            manifest_path=tmp_path / "none.json",
        )
        _node, stop, thread = start_node(settings)  # creates the streams, publishes nothing (empty journal)
        stop.set()
        thread.join(30)

        # Commits that never reached the bus (what a leader killed between commit and publish leaves behind).
        db = connect_database(pg_url)
        seqr = Sequencer(db, "s0")
        seqr.start()
        trades: list[Trade] = []
        try:
            run(seqr, create_market())
            run(seqr, place(1, "0xaaa", YES, Side.BUY, 40, 10))
            outcome = run(seqr, place(2, "0xbbb", NO, Side.BUY, 60, 10))  # a MINT against the YES bid
            trades = [ev for ev in outcome.events if isinstance(ev, Trade)]
            head = seqr.journal.head_seq
        finally:
            seqr.stop()
            db.dispose()
        assert trades

        _node, stop, thread = start_node(settings)
        try:

            async def read_bus() -> tuple[list[int], list[str]]:
                nc = await connect(cluster.urls, "test-reader")
                js = nc.jetstream()
                seqs, trade_ids = [], []
                info = await js.stream_info(journal_stream("s0"))
                for n in range(1, info.state.last_seq + 1):
                    msg = await js.get_msg(journal_stream("s0"), n)
                    assert msg.subject == journal_subject("s0")
                    seqs.append(int((msg.headers or {})[H_SEQ]))
                events = await js.stream_info("EVENTS")
                for n in range(1, events.state.last_seq + 1):
                    trade_ids.append(orjson.loads((await js.get_msg("EVENTS", n)).data)["id"])
                await nc.close()
                return seqs, trade_ids

            seqs, trade_ids = asyncio.run(read_bus())
        finally:
            stop.set()
            thread.join(30)
    assert seqs == list(range(1, head + 1))  # every entry, once, in order
    assert trade_ids == [trade_key("s0", t) for t in trades]
