"""The bus: NATS JetStream streams, subjects, headers and the wire form of commands and journal entries.

Streams (one pair per shard, so each shard's streams can have their own leader in a cluster):

- ``CMD_<shard>`` on ``polyclob.cmd.<shard>``: commands from the gateways, de-duplicated by ``Nats-Msg-Id`` (the
  order hash for a placement, a random id otherwise) over a two-minute window. The shard's active sequencer is its
  only consumer and journals the stream sequence of every command it applies (meta ``bus_seq``), so the journal,
  not a consumer's ack floor, says where a new active sequencer resumes.
- ``JOURNAL_<shard>`` on ``polyclob.journal.<shard>``: every committed journal entry, in order, hash-chained
  (message id ``<shard>:<seq>``). Gateways keep a replica of the shard's engine from it (market data, WebSockets,
  the outcome of their own commands); anything missing is read back from the journal table.
- ``EVENTS`` on ``polyclob.events.>``: derived events for outside consumers: ``polyclob.events.<shard>.trades``
  (every fill, message id = the public trade id), consumed with explicit acks.

A command on the wire is the journal's own payload (``clob.service.codec.encode``: the command without its
``seq``, and its meta) with the kind and the gateway's answer subject in headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from clob.service.stream import StreamUnavailable
from store.journal import JournalEntry

T = TypeVar("T")

MSG_ID = "Nats-Msg-Id"
H_KIND = "Polyclob-Kind"
H_REPLY = "Polyclob-Reply"
H_SEQ = "Polyclob-Seq"
H_TS = "Polyclob-Ts"
H_PREV = "Polyclob-Prev"
H_HASH = "Polyclob-Hash"

DUPLICATE_WINDOW_S = 120.0
_SHARD = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class BusError(StreamUnavailable):
    """The bus refused or lost a command (not published, or no answer in time)."""


def check_shard(name: str) -> str:
    if not _SHARD.match(name):
        raise ValueError(f"shard name {name!r}: use 1-32 letters, digits, '_' or '-'")
    return name


def cmd_stream(shard: str) -> str:
    return f"CMD_{shard}"


def cmd_subject(shard: str) -> str:
    return f"polyclob.cmd.{shard}"


def journal_stream(shard: str) -> str:
    return f"JOURNAL_{shard}"


def journal_subject(shard: str) -> str:
    return f"polyclob.journal.{shard}"


EVENTS_STREAM = "EVENTS"


def trades_subject(shard: str) -> str:
    return f"polyclob.events.{shard}.trades"


def answer_subject(gateway: str) -> str:
    return f"polyclob.answers.{gateway}"


async def connect(servers: list[str], name: str) -> Client:
    """A client that reconnects forever (across cluster nodes) and buffers while it does."""
    return await nats.connect(
        servers=servers,
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,
        connect_timeout=2,
        pending_size=64 * 1024 * 1024,
    )


def stream_config(name: str, subjects: list[str], replicas: int, max_age_s: float) -> StreamConfig:
    """File storage, kept by age, the oldest dropped first, de-duplicated by message id for two minutes."""
    return StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_S,
        max_age=max_age_s,
    )


async def ensure_streams(js: JetStreamContext, shards: list[str], replicas: int = 1) -> None:
    """Create the shards' streams and EVENTS if missing (idempotent; existing streams are left as they are)."""
    day = 24 * 3600.0
    configs = [stream_config(EVENTS_STREAM, ["polyclob.events.>"], replicas, 7 * day)]
    for shard in shards:
        check_shard(shard)
        configs.append(stream_config(cmd_stream(shard), [cmd_subject(shard)], replicas, day))
        configs.append(stream_config(journal_stream(shard), [journal_subject(shard)], replicas, day))
    for config in configs:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)


# --- wire forms ----------------------------------------------------------------------------------------------------
def entry_headers(entry: JournalEntry) -> dict[str, str]:
    return {
        MSG_ID: f"{entry.stream}:{entry.seq}",
        H_SEQ: str(entry.seq),
        H_KIND: entry.kind,
        H_TS: str(entry.ts_ms),
        H_PREV: entry.prev_hash.hex(),
        H_HASH: entry.hash.hex(),
    }


def entry_from_msg(shard: str, msg: Msg) -> JournalEntry:
    """The journal entry a JOURNAL message carries (its hash is checked by whoever applies it)."""
    h = msg.headers or {}
    try:
        return JournalEntry(
            shard,
            int(h[H_SEQ]),
            h[H_KIND],
            bytes(msg.data),
            int(h[H_TS]),
            bytes.fromhex(h[H_PREV]),
            bytes.fromhex(h[H_HASH]),
        )
    except (KeyError, ValueError) as exc:
        raise BusError(f"malformed journal message on {msg.subject}: {exc}") from None


class BusThread:
    """An asyncio loop on its own thread, owning the NATS client: sync code hands it coroutines."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        return self.call(coro).result(timeout)

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            with contextlib.suppress(Exception):
                self.run(drain(), timeout=5)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
