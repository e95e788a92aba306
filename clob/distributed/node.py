"""A shard's sequencer process: standby until it holds the shard's lock, then the shard's one writer.

Active, it

1. recovers the shard's engine from its snapshot and journal (the embedded `Sequencer`, unchanged);
2. publishes the journal entries that the dead leader committed but never published (the *tail*), with the trades
   they produced, so every consumer sees every entry exactly once (message ids ``<shard>:<seq>`` and trade ids make
   a republication a no-op);
3. consumes ``CMD_<shard>`` with an ordered consumer from the stream sequence after the last one journaled (meta
   ``bus_seq``): the journal is this consumer's durable position, so a new leader resumes exactly where the old
   one's last durable batch ended: nothing lost, nothing applied twice;
4. after each durable batch publishes its entries to ``JOURNAL_<shard>`` and its fills to ``EVENTS``, and answers
   the commands that were refused before journaling (balance reservations: the gateway's read of the maker's
   balance, with its block, against the resting orders and the obligations ledger this process keeps, polled from
   the settlement tables) on the sender's answer subject.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import select

from clob.distributed.bus import (
    H_KIND,
    H_REPLY,
    H_SEQ,
    MSG_ID,
    check_shard,
    cmd_stream,
    cmd_subject,
    connect,
    ensure_streams,
    entry_headers,
    journal_stream,
    journal_subject,
    trades_subject,
)
from clob.distributed.lock import LeaderLock, exit_now
from clob.distributed.replica import Replica
from clob.engine import Trade
from clob.service.applied import Applied
from clob.service.codec import CodecError
from clob.service.obligations import settlement_obligations
from clob.service.projections import trade_to_json
from clob.service.sequencer import Outcome, Sequencer
from clob.service.submission import decode_submission
from clob.service.trades import trade_key
from clob.settings import Settings
from store import connect_database
from store.db import Database
from store.schema import journal

log = logging.getLogger(__name__)


def last_bus_seq(db: Database, shard: str, head_seq: int) -> int:
    """The command-stream sequence of the newest journaled command that came from the bus (0: none)."""
    upper = head_seq
    with db.engine.connect() as conn:
        while upper > 0:
            rows = conn.execute(
                select(journal.c.seq, journal.c.payload)
                .where(journal.c.stream == shard, journal.c.seq <= upper)
                .order_by(journal.c.seq.desc())
                .limit(500)
            ).all()
            if not rows:
                return 0
            for row in rows:
                meta = orjson.loads(bytes(row.payload)).get("meta") or {}
                if "bus_seq" in meta:
                    return int(meta["bus_seq"])
            upper = int(rows[-1].seq) - 1
    return 0


class Publisher:
    """Publishes durable entries (and their fills) in journal order; fed from the sequencer thread."""

    def __init__(self, js: JetStreamContext, shard: str, loop: asyncio.AbstractEventLoop) -> None:
        self.js = js
        self.shard = shard
        self.loop = loop
        self.queue: asyncio.Queue[Applied] = asyncio.Queue()

    def on_applied(self, item: Applied) -> None:  # sequencer thread
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    async def publish(self, items: list[Applied]) -> None:
        acks: list[asyncio.Future[Any]] = []
        for item in items:
            entry = item.entry  # the sequencer's and the replica's items carry the entry as written
            assert entry is not None, "an applied command without its journal entry cannot be published"
            acks.append(
                await self.js.publish_async(journal_subject(self.shard), entry.payload, headers=entry_headers(entry))
            )
            for ev in item.events:
                if isinstance(ev, Trade):
                    tid = trade_key(self.shard, ev)
                    doc = {"id": tid, "stream": self.shard, **trade_to_json(ev)}
                    acks.append(
                        await self.js.publish_async(
                            trades_subject(self.shard), orjson.dumps(doc), headers={MSG_ID: tid}
                        )
                    )
        if acks:
            await asyncio.gather(*acks)


class ShardNode:
    """One shard's sequencer process (see the module docstring). ``run`` returns when ``stop`` is set."""

    def __init__(self, settings: Settings, shard: str, db: Database | None = None) -> None:
        self.settings = settings
        self.shard = check_shard(shard)
        self.db = db or connect_database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        self.state = "starting"
        self.sequencer: Sequencer | None = None
        self.next_bus = 1
        self.active = threading.Event()
        self._nc: Any = None
        self._tasks: set[asyncio.Future[None]] = set()

    def run(self, stop: threading.Event) -> None:
        asyncio.run(self._main(stop))

    async def _main(self, stop: threading.Event) -> None:
        nc = await connect(self.settings.nats_servers, f"sequencer-{self.shard}-{socket.gethostname()}-{os.getpid()}")
        js = nc.jetstream()
        self._nc = nc
        await ensure_streams(js, [self.shard], self.settings.stream_replicas)
        lock = LeaderLock(self.db, self.shard)
        self.state = "standby"
        log.info("shard %s: standby", self.shard)
        while not await asyncio.to_thread(lock.try_acquire):
            if stop.is_set():
                await nc.close()
                return
            await asyncio.sleep(0.2)
        lock.watch(exit_now)
        try:
            await self._lead(js, stop)
        finally:
            if self.sequencer is not None:
                await asyncio.to_thread(self.sequencer.stop)
            lock.release()
            await nc.close()

    async def _lead(self, js: JetStreamContext, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        obligations = settlement_obligations(self.db, self.settings.balance_cache_s)
        seqr = Sequencer(
            self.db, self.shard, self.settings.max_batch, self.settings.snapshot_every, obligations=obligations
        )
        await asyncio.to_thread(seqr.start)
        self.sequencer = seqr
        head = seqr.journal.head_seq
        publisher = Publisher(js, self.shard, loop)
        while True:  # the bus may be electing or unreachable: the tail must go out before any new entry
            try:
                await self._publish_tail(js, publisher, head)
                break
            except Exception:
                log.exception("shard %s: publishing the journal tail failed; retrying", self.shard)
                if stop.is_set():
                    return
                await asyncio.sleep(1.0)
        seqr.add_listener(publisher.on_applied)
        pub_task = asyncio.create_task(self._run_publisher(publisher), name=f"publisher-{self.shard}")
        self.next_bus = await asyncio.to_thread(last_bus_seq, self.db, self.shard, head) + 1
        sub = await js.subscribe(
            cmd_subject(self.shard),
            stream=cmd_stream(self.shard),
            cb=self._command_callback(seqr, loop),
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.next_bus),
            pending_msgs_limit=1_000_000,
        )
        self.state = "active"
        self.active.set()
        log.info("shard %s: active at journal seq %d, commands from stream seq %d", self.shard, head, self.next_bus)
        try:
            while not stop.is_set():
                await asyncio.sleep(0.1)
        finally:
            await sub.unsubscribe()
            pub_task.cancel()

    async def _run_publisher(self, publisher: Publisher) -> None:
        while True:
            items = [await publisher.queue.get()]
            while not publisher.queue.empty() and len(items) < 1024:
                items.append(publisher.queue.get_nowait())
            while True:
                try:
                    await publisher.publish(items)
                    break
                except Exception:  # the bus is down or electing: same items, same order, until they are stored
                    log.warning("shard %s: publishing from seq %d failed; retrying", self.shard, items[0].seq)
                    await asyncio.sleep(0.5)

    async def _publish_tail(self, js: JetStreamContext, publisher: Publisher, head: int) -> None:
        """Publish the entries after the JOURNAL stream's last one, with their fills (recomputed by a replica)."""
        try:
            last = await js.get_last_msg(journal_stream(self.shard), journal_subject(self.shard))
            published = int((last.headers or {}).get(H_SEQ, "0"))
        except NotFoundError:
            published = 0
        if published >= head:
            if published > head:
                log.error(
                    "shard %s: the bus has entries up to %d beyond the journal head %d", self.shard, published, head
                )
            return
        log.info("shard %s: publishing the journal tail %d..%d", self.shard, published + 1, head)
        replica = Replica(self.db, self.shard)
        items: list[Applied] = []
        replica.add_listener(items.append)
        await asyncio.to_thread(replica.load, published)
        await asyncio.to_thread(replica.catch_up, head)
        for start in range(0, len(items), 1000):
            await publisher.publish(items[start : start + 1000])

    def _command_callback(self, seqr: Sequencer, loop: asyncio.AbstractEventLoop) -> Callable[[Msg], Awaitable[None]]:
        async def on_command(msg: Msg) -> None:
            await self._handle(seqr, loop, msg)

        return on_command

    async def _handle(self, seqr: Sequencer, loop: asyncio.AbstractEventLoop, msg: Msg) -> None:
        bus_seq = msg.metadata.sequence.stream
        if bus_seq < self.next_bus:
            return  # delivered again after a consumer reset: it was handed to the sequencer already
        self.next_bus = bus_seq + 1
        headers = msg.headers or {}
        reply = headers.get(H_REPLY, "")
        cid = headers.get(MSG_ID, "")
        try:
            sent = decode_submission(headers[H_KIND], bytes(msg.data))
            submission = dataclasses.replace(sent, meta={**sent.meta, "bus_seq": bus_seq})
        except (KeyError, CodecError, ValueError, TypeError) as exc:
            await self._answer(reply, {"cid": cid, "error": f"malformed command: {exc}"})
            return
        fut = seqr.submit(submission)
        fut.add_done_callback(lambda f: loop.call_soon_threadsafe(self._answered, reply, cid, f))

    def _answered(self, reply: str, cid: str, fut: Future[Outcome]) -> None:
        exc = fut.exception()
        if exc is not None:
            doc: dict[str, Any] = {"cid": cid, "error": str(exc)}
        elif fut.result().rejected is not None:
            doc = {"cid": cid, "rejected": fut.result().rejected}
        else:
            return  # accepted: the journal entry is the answer
        task = asyncio.ensure_future(self._answer(reply, doc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, reply: str, doc: dict[str, Any]) -> None:
        if reply and self._nc is not None:
            try:
                await self._nc.publish(reply, orjson.dumps(doc))
            except Exception:
                log.warning("shard %s: cannot answer %s on %s", self.shard, doc.get("cid"), reply)
