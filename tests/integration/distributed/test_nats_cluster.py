"""A three-node JetStream cluster with every stream replicated three times: kill one NATS node under load and
lose nothing that was acknowledged."""

from __future__ import annotations

from pathlib import Path

from chain.anvil import dev_key
from clob.service.replay import replay
from store import connect_database
from tests.integration.distributed.test_failover import Streamer, stream_through
from tests.support.distributed import (
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

COND, YES, NO = "0x" + "c3" * 32, 7001, 7002


def test_kill_one_nats_node_under_load(pg_url: str, tmp_path: Path) -> None:
    procs: list[Proc] = []
    streamers: list[Streamer] = []
    with nats_cluster(tmp_path, 3) as cluster:
        env = env_for(pg_url, cluster.url, "s0", tmp_path, POLYCLOB_STREAM_REPLICAS="3")
        try:
            seq = start_sequencer(env, "s0", tmp_path, "seq-s0")
            procs.append(seq)
            wait_active([seq], "s0")
            gw1, base1 = start_gateway(env, tmp_path, "gw1")
            gw2, base2 = start_gateway(env, tmp_path, "gw2")
            procs += [gw1, gw2]
            open_market(base1, COND, YES, NO)
            streamers = [Streamer(base1, dev_key(3), YES), Streamer(base2, dev_key(4), YES)]
            stream_through(streamers, cluster.nodes[0].kill, after=30, timeout=120)  # kill -9 one NATS server
            for s in streamers:
                for oid in s.acked:
                    assert s.client.request("GET", f"/data/order/{oid}")["status"] == "LIVE"
            (status,) = settled_streams([base1, base2], pg_url)
        finally:
            for s in streamers:
                s.stop.set()
            for p in procs:
                p.stop()

    assert_journaled_once(pg_url, {oid for s in streamers for oid in s.acked}, "s0")
    db = connect_database(pg_url)
    try:
        report = replay(db, "s0")
        assert report.ok, (report.chain_error, report.differences)
        assert report.entries == status["head_seq"]
        assert report.state_hash == status["state_hash"]
    finally:
        db.dispose()
