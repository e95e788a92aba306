"""The gateway's command stream: what `ExchangeService` calls its sequencer, in the distributed mode.

The gateway keeps no book of its own making. It routes each command to its market's shard and publishes it on
``CMD_<shard>`` (message id = the order hash for a placement, so a command published twice is stored once), and
follows every shard's journal with a `Replica`. The outcome of a command is read off the gateway's own replica
when the journal entry carrying the command's id (meta ``cid``) arrives: the events are recomputed by the same
engine from the same entry, so they are the sequencer's events. A command refused before journaling (balance
precheck, malformed) is answered on the gateway's answer subject.

Routing: a market lives on one shard. Existing markets are found in the replicas; a new market goes to the shard
its creator names (meta ``shard``) or to ``shards[crc32(condition_id) % len(shards)]``. Adding a shard therefore
moves no existing market. Commands about one owner across markets (cancel-all) go to every shard and their
outcomes are merged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from sqlalchemy import select

from clob.distributed.bus import (
    EVENTS_STREAM,
    H_KIND,
    H_REPLY,
    MSG_ID,
    BusError,
    BusThread,
    answer_subject,
    check_shard,
    cmd_subject,
    connect,
    ensure_streams,
    entry_from_msg,
    journal_stream,
    journal_subject,
)
from clob.distributed.replica import Replica, ReplicaDiverged
from clob.distributed.status import STATUS_SUBJECT, parse_status
from clob.engine import (
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    ChangeTickSize,
    Command,
    CreateMarket,
    HaltMarket,
    MarketId,
    MarketInfo,
    OrderId,
    PlaceOrder,
    ResolveMarket,
    ResumeMarket,
    TokenBook,
    TokenId,
)
from clob.service.applied import Applied
from clob.service.codec import kind_of
from clob.service.ports import TradeStatusListener
from clob.service.sequencer import Outcome, SequencerStopped, StreamStatus
from clob.service.stream import collect
from clob.service.submission import Submission, encode_submission
from store.db import Database
from store.schema import orders

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    future: Future[Outcome]
    shard: str


class ShardRouter:
    """The gateway's `CommandStream` over the shards (submit, listeners, views, statuses), and its
    `TradeStatusFeed` (every batcher's status changes, from the bus)."""

    def __init__(
        self,
        db: Database,
        servers: list[str],
        shards: list[str],
        *,
        gateway_id: str = "",
        replicas: int = 1,
        answer_timeout_s: float = 15.0,
        poll_s: float = 2.0,
    ) -> None:
        if not shards:
            raise ValueError("no shards configured")
        self.db = db
        self.servers = servers
        self.shards = [check_shard(s) for s in shards]
        self.stream = self.shards[0]
        self.gateway_id = gateway_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.stream_replicas = replicas
        self.answer_timeout_s = answer_timeout_s
        self.poll_s = poll_s
        self.replicas = {s: Replica(db, s) for s in self.shards}
        self._pending: dict[str, list[_Pending]] = {}
        self._lock = threading.Lock()
        self._bus: BusThread | None = None
        self._nc: Any = None
        self._js: Any = None
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []
        self._status_listeners: list[TradeStatusListener] = []
        for replica in self.replicas.values():
            replica.add_listener(self._on_applied)

    # --- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        for replica in self.replicas.values():
            replica.load()
        self._bus = BusThread(f"bus-{self.gateway_id}")
        self._bus.run(self._start_async(), timeout=60)
        self._running = True

    async def _start_async(self) -> None:
        self._nc = await connect(self.servers, f"gateway-{self.gateway_id}")
        self._js = self._nc.jetstream()
        await ensure_streams(self._js, self.shards, self.stream_replicas)
        await self._nc.subscribe(answer_subject(self.gateway_id), cb=self._on_answer)
        for shard in self.shards:
            await self._js.subscribe(
                journal_subject(shard),
                stream=journal_stream(shard),
                cb=self._journal_callback(shard),
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                pending_msgs_limit=1_000_000,
            )
            # entries committed before the subscription existed are in the journal table
            await asyncio.to_thread(self.replicas[shard].catch_up)
        await self._js.subscribe(
            STATUS_SUBJECT,
            stream=EVENTS_STREAM,
            cb=self._on_status,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )
        self._tasks.append(asyncio.create_task(self._poll(), name="replica-poll"))

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        bus = self._bus
        if bus is not None:
            try:
                bus.run(self._stop_async(), timeout=10)
            except Exception:
                log.warning("gateway %s: bus did not close cleanly", self.gateway_id)
            bus.close()
        self._bus = None
        with self._lock:
            pending = [p for ps in self._pending.values() for p in ps]
            self._pending.clear()
        for p in pending:
            if not p.future.done():
                p.future.set_exception(SequencerStopped("the gateway stopped"))

    async def _stop_async(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._nc is not None:
            await self._nc.close()

    # --- following the journals ------------------------------------------------------------------------------------
    def _journal_callback(self, shard: str) -> Callable[[Msg], Any]:
        replica = self.replicas[shard]

        async def on_entry(msg: Msg) -> None:
            try:
                replica.offer([entry_from_msg(shard, msg)])
            except (ReplicaDiverged, BusError) as exc:
                log.warning("gateway: %s; reading shard %s from the journal table", exc, shard)
                await asyncio.to_thread(replica.catch_up)

        return on_entry

    async def _poll(self) -> None:
        """Every ``poll_s``: read any entry the bus did not bring (a new leader republishes its tail, but a
        gateway that missed it must not wait for the next command)."""
        while True:
            await asyncio.sleep(self.poll_s)
            for shard, replica in self.replicas.items():
                try:
                    await asyncio.to_thread(replica.catch_up)
                except Exception:
                    log.exception("gateway: catch-up of shard %s failed", shard)

    def _on_applied(self, item: Applied) -> None:
        cid = item.meta.get("cid")
        if not cid:
            return
        with self._lock:
            waiting = self._pending.pop(cid, None)
        for p in waiting or ():
            if not p.future.done():
                p.future.set_result(Outcome(item.seq, tuple(item.events), None, item.stream))

    def add_status_listener(self, listener: TradeStatusListener) -> None:
        """``listener(trade_row, status, tx_hash)`` for every settlement status change (any batcher)."""
        self._status_listeners.append(listener)

    async def _on_status(self, msg: Msg) -> None:
        try:
            row, status, tx_hash = parse_status(msg.data)
        except (ValueError, KeyError, TypeError):
            log.warning("gateway: malformed trade status message")
            return
        for listener in self._status_listeners:
            try:
                listener(row, status, tx_hash)
            except Exception:
                log.exception("gateway: status listener failed")

    async def _on_answer(self, msg: Msg) -> None:
        try:
            doc = orjson.loads(msg.data)
            cid = str(doc["cid"])
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            waiting = self._pending.pop(cid, None)
        for p in waiting or ():
            if p.future.done():
                continue
            if "rejected" in doc:
                p.future.set_result(Outcome(None, (), str(doc["rejected"]), p.shard))
            else:
                p.future.set_exception(BusError(str(doc.get("error", "refused by the sequencer"))))

    # --- routing -----------------------------------------------------------------------------------------------
    def shard_of_market(self, market: MarketId) -> str | None:
        for shard, replica in self.replicas.items():
            if replica.market_info(market) is not None:
                return shard
        return None

    def shard_of_token(self, token: TokenId) -> str | None:
        for shard, replica in self.replicas.items():
            if replica.has_token(token):
                return shard
        return None

    def _shard_of_order(self, order_id: OrderId) -> str | None:
        with self.db.engine.connect() as conn:
            market = conn.execute(select(orders.c.market).where(orders.c.order_id == order_id)).scalar_one_or_none()
        return self.shard_of_market(MarketId(market)) if market else None

    def home_shard(self, market: str) -> str:
        """Where a new market goes when its creator names no shard."""
        return self.shards[zlib.crc32(market.lower().encode()) % len(self.shards)]

    def route(self, command: Command, meta: dict[str, Any]) -> list[str]:
        first = self.shards[:1]
        if isinstance(command, PlaceOrder):
            return [self.shard_of_token(command.token_id) or self.shards[0]]
        if isinstance(command, CreateMarket):
            named = meta.get("shard")
            if named:
                if named not in self.shards:
                    raise BusError(f"unknown shard {named!r}")
                return [str(named)]
            return [self.shard_of_market(command.market) or self.home_shard(command.market)]
        if isinstance(command, HaltMarket | ResumeMarket | ResolveMarket | ChangeTickSize | CancelMarketOrders):
            found = self.shard_of_market(command.market)
            return [found] if found else first
        if isinstance(command, CancelOrder):
            found = self._shard_of_order(command.order_id)
            return [found] if found else first
        if isinstance(command, CancelAll):
            if command.market is not None:
                found = self.shard_of_market(command.market)
                return [found] if found else first
            if command.token_id is not None:
                found = self.shard_of_token(command.token_id)
                return [found] if found else first
        return list(self.shards)

    # --- submitting ----------------------------------------------------------------------------------------------
    def submit(self, submission: Submission) -> Future[Outcome]:
        fut: Future[Outcome] = Future()
        bus = self._bus
        if not self._running or bus is None:
            fut.set_exception(SequencerStopped("the gateway is not running"))
            return fut
        try:
            meta = dict(submission.meta)
            targets = self.route(submission.command, meta)
        except Exception as exc:
            fut.set_exception(exc)
            return fut
        if len(targets) == 1:
            self._send(bus, targets[0], submission, meta, fut)
            return fut
        parts: list[Future[Outcome]] = []
        for shard in targets:
            part: Future[Outcome] = Future()
            self._send(bus, shard, submission, dict(meta), part)
            parts.append(part)
        _merge(parts, fut)
        return fut

    def submit_many(self, submissions: Sequence[Submission]) -> Future[list[Outcome | BaseException]]:
        return collect([self.submit(s) for s in submissions])

    def _send(
        self, bus: BusThread, shard: str, submission: Submission, meta: dict[str, Any], fut: Future[Outcome]
    ) -> None:
        command = submission.command
        cid = str(command.order_id) if isinstance(command, PlaceOrder) else uuid.uuid4().hex
        meta["cid"] = cid
        try:
            payload = encode_submission(submission, meta)
        except Exception as exc:
            fut.set_exception(exc)
            return
        pending = _Pending(fut, shard)
        with self._lock:
            self._pending.setdefault(cid, []).append(pending)
        headers = {MSG_ID: cid, H_KIND: kind_of(command), H_REPLY: answer_subject(self.gateway_id)}
        published = bus.call(self._publish(shard, payload, headers, cid, pending))

        def published_done(f: Future[None]) -> None:
            exc = f.exception()
            if exc is not None:
                self._forget(cid, pending)
                if not fut.done():
                    fut.set_exception(BusError(f"command not published: {exc}"))

        published.add_done_callback(published_done)

    async def _publish(self, shard: str, payload: bytes, headers: dict[str, str], cid: str, pending: _Pending) -> None:
        await self._js.publish(cmd_subject(shard), payload, headers=headers, timeout=5)
        asyncio.get_running_loop().call_later(self.answer_timeout_s, self._expire, cid, pending)

    def _expire(self, cid: str, pending: _Pending) -> None:
        if self._forget(cid, pending) and not pending.future.done():
            pending.future.set_exception(BusError("no outcome from the sequencer in time"))

    def _forget(self, cid: str, pending: _Pending) -> bool:
        with self._lock:
            waiting = self._pending.get(cid)
            if not waiting or pending not in waiting:
                return False
            waiting.remove(pending)
            if not waiting:
                del self._pending[cid]
            return True

    # --- the Sequencer's read interface ------------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[Applied], None]) -> None:
        for replica in self.replicas.values():
            replica.add_listener(listener)

    def add_batch_hook(self, hook: Callable[[float, int], None]) -> None:
        """Batches happen in the sequencer processes; a gateway has none to report."""

    def book(self, token_id: TokenId) -> TokenBook | None:
        for replica in self.replicas.values():
            book = replica.book(token_id)
            if book is not None:
                return book
        return None

    def market_info(self, market_id: str) -> MarketInfo | None:
        key = MarketId(market_id)
        for replica in self.replicas.values():
            info = replica.market_info(key)
            if info is not None:
                return info
        return None

    def markets(self) -> list[MarketInfo]:
        return [m for replica in self.replicas.values() for m in replica.markets()]

    def status(self, timeout: float = 30.0) -> StreamStatus:
        return self.replicas[self.shards[0]].status()

    def statuses(self) -> list[StreamStatus]:
        return [replica.status() for replica in self.replicas.values()]


def _merge(parts: list[Future[Outcome]], target: Future[Outcome]) -> None:
    """One outcome for a command sent to several shards: all events, the highest seq; fails if any part fails."""

    def done(all_parts: Future[list[Outcome | BaseException]]) -> None:
        results = all_parts.result()
        error = next((r for r in results if isinstance(r, BaseException)), None)
        if error is not None:
            target.set_exception(error)
            return
        outcomes = [r for r in results if isinstance(r, Outcome)]
        seqs = [r.seq for r in outcomes if r.seq is not None]
        events = tuple(ev for r in outcomes for ev in r.events)
        rejected = next((r.rejected for r in outcomes if r.rejected is not None), None)
        target.set_result(Outcome(max(seqs) if seqs else None, events, rejected if not seqs else None))

    collect(parts).add_done_callback(done)
