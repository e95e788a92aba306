"""Kill -9 the active sequencer of a shard while two gateways stream orders into it.

The standby takes over from the journal and the command stream: every acknowledged order is in the book exactly
once, no command is journaled twice, the other shard never stops serving, and the state hash every gateway shows
equals a clean replay of the journal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from chain.anvil import dev_key
from clob.client import ClientError, ClobHttpClient
from clob.service.replay import replay
from store import connect_database
from tests.support.distributed import (
    EXCHANGE,
    Proc,
    assert_journaled_once,
    env_for,
    open_market,
    settled_streams,
    start_gateway,
    start_sequencer,
    wait_active,
)
from tests.support.nats import nats_cluster

A_COND, B_COND = "0x" + "a1" * 32, "0x" + "b2" * 32
A_YES, A_NO, B_YES, B_NO = 5001, 5002, 6001, 6002


class Streamer(threading.Thread):
    """Places non-crossing orders through one gateway until stopped; remembers what was acknowledged."""

    def __init__(self, base: str, key: str, token: int) -> None:
        super().__init__(daemon=True)
        self.client = ClobHttpClient(base, key, 31337, EXCHANGE, timeout=30)
        self.client.create_api_key()
        self.token = token
        self.acked: list[str] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            side = "BUY" if i % 2 else "SELL"
            price = f"0.{(10 + i % 30) if side == 'BUY' else (60 + i % 30):02d}"
            order = self.client.limit_order(self.token, side, price, "10")
            try:
                answer = self.client.post_order(order)
                self.acked.append(answer["orderID"])
            except (ClientError, httpx.HTTPError) as exc:
                self.errors.append(str(exc))
                time.sleep(0.05)


def stream_through(
    streamers: list[Streamer], disrupt: Callable[[], object], after: int = 20, timeout: float = 90
) -> None:
    """Stream until each has 20 acknowledged orders, ``disrupt()``, stream ``after`` more each, stop."""
    for s in streamers:
        s.start()
    wait_for(lambda: min(len(s.acked) for s in streamers) >= 20, timeout, "orders before the disruption")
    disrupt()
    before = [len(s.acked) for s in streamers]
    wait_for(
        lambda: all(len(s.acked) >= n + after for s, n in zip(streamers, before, strict=True)),
        timeout,
        "orders after the disruption",
    )
    for s in streamers:
        s.stop.set()
    for s in streamers:
        s.join(60)


def wait_for(pred: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_active_sequencer_standby_takes_over(pg_url: str, tmp_path: Path) -> None:
    procs: list[Proc] = []
    streamers: list[Streamer] = []
    with nats_cluster(tmp_path, 1) as cluster:
        env = env_for(pg_url, cluster.url, "s0,s1", tmp_path)
        try:
            first = start_sequencer(env, "s0", tmp_path, "seq-s0-a")
            procs.append(first)
            assert wait_active([first], "s0") is first
            standby = start_sequencer(env, "s0", tmp_path, "seq-s0-b")
            other = start_sequencer(env, "s1", tmp_path, "seq-s1")
            procs += [standby, other]
            wait_active([other], "s1")
            gw1, base1 = start_gateway(env, tmp_path, "gw1")
            gw2, base2 = start_gateway(env, tmp_path, "gw2")
            procs += [gw1, gw2]
            open_market(base1, A_COND, A_YES, A_NO, shard="s0")
            open_market(base1, B_COND, B_YES, B_NO, shard="s1")
            wait_for(lambda: httpx.get(f"{base2}/book", params={"token_id": str(B_YES)}).status_code == 200, 10, "gw2")

            streamers = [
                Streamer(base1, dev_key(3), A_YES),
                Streamer(base2, dev_key(4), A_YES),
                Streamer(base2, dev_key(5), B_YES),
            ]

            def kill_the_active_one() -> None:
                first.kill9()  # the active sequencer of s0 dies mid-stream
                assert wait_active([standby], "s0", timeout=60) is standby

            stream_through(streamers, kill_the_active_one)
            # the other shard's stream never failed
            assert streamers[2].errors == []
            # every acknowledged order is in the book, through either gateway
            for s in streamers:
                for oid in s.acked:
                    assert s.client.request("GET", f"/data/order/{oid}")["status"] == "LIVE"
            streams = settled_streams([base1, base2], pg_url)
        finally:
            for s in streamers:
                s.stop.set()
            for p in procs:
                p.stop()

    assert_journaled_once(pg_url, {oid for s in streamers for oid in s.acked})
    db = connect_database(pg_url)
    try:
        # the state every gateway shows is the state a clean replay of the journal computes
        assert {s["stream"] for s in streams} == {"s0", "s1"}
        for stream in streams:
            report = replay(db, stream["stream"])
            assert report.ok, (report.chain_error, report.differences)
            assert report.entries == stream["head_seq"]
            assert report.state_hash == stream["state_hash"]
    finally:
        db.dispose()
