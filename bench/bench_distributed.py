"""Distributed-mode benchmark: signed orders per second end to end through two API gateways and one shard
sequencer over NATS JetStream, beside the embedded mode (one process) measured in the same run.

    .venv/bin/python bench/bench_distributed.py [--seconds S] [--connections C] [--target N]

Both modes run on the same kind of store (a fresh PostgreSQL database each, 127.0.0.1:5432) with balance checks
off, so the difference is the deployment: embedded = one uvicorn process whose sequencer thread journals and
applies; distributed = a private nats-server (JetStream, file storage), one sequencer process for shard ``s0``
and two gateway processes, each following the shard's journal with a replica. The load is `bench/bench_api.py`'s:
16 makers, orders signed beforehand, never crossing, POST /orders batches of 15 sent back to back over C
connections (split over the gateways), counting accepted orders only; p99 is per request.

The last line printed is one JSON object with ``orders_per_s``, ``p99_ms``, ``embedded_orders_per_s``,
``embedded_p99_ms`` and ``ratio`` (distributed / embedded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_api as api  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_pg() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"polyclob_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        from store import connect_database

        connect_database(url).dispose()  # migrated once, before any process starts
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def env_for(db_url: str, tmp: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "POLYCLOB_DATABASE_URL": db_url,
        "POLYCLOB_EXCHANGE_ADDRESS": api.EXCHANGE,
        "POLYCLOB_CHAIN_ID": str(api.CHAIN_ID),
        "POLYCLOB_CHECK_BALANCES": "false",
        "POLYCLOB_ADMIN_TOKEN": api.ADMIN_TOKEN,
        "POLYCLOB_MASTER_SECRET_HEX": api.MASTER_SECRET.hex(),
        "POLYCLOB_MANIFEST_PATH": f"{tmp}/none.json",
    }
    env.update(extra)
    return env


def start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    from polyclob.distributed import api_command

    fast = ("--log-level", "warning", "--loop", "uvloop", "--http", "httptools", "--no-access-log")
    cmd = api_command(port, *fast)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    api.wait_ready(port, proc)
    return proc


async def load(ports: list[int], requests: list[bytes], connections: int, seconds: float) -> dict[str, Any]:
    """The closed loop of bench_api, with the connections and requests split evenly over ``ports``."""
    n = len(ports)
    parts = await asyncio.gather(
        *(api.closed_loop(port, requests[i::n], max(1, connections // n), seconds) for i, port in enumerate(ports))
    )
    return {
        "elapsed": max(p["elapsed"] for p in parts),
        "accepted": sum(p["accepted"] for p in parts),
        "refused": sum(p["refused"] for p in parts),
        "latencies": [x for p in parts for x in p["latencies"]],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    label: str,
    ports: list[int],
    signed: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
    roles: dict[str, int],
) -> dict[str, Any]:
    """Warm up, then the measured phase; CPU time per accepted order of each process (``roles``: name → pid)."""
    creds = api.setup(ports[0])
    reqs = api.build_requests(signed, creds, api.BATCH, "/orders")
    warm = max(20, len(reqs) // 20)
    asyncio.run(load(ports, reqs[:warm], args.connections, 30))
    before = {name: cpu_seconds(pid) for name, pid in roles.items()}
    spies = []
    if args.py_spy:  # diagnostics: where each process spends the measured phase (collapsed stacks)
        for name, pid in roles.items():
            out = Path(args.py_spy_dir) / f"{label.split()[0]}-{name}.txt"
            cmd = [args.py_spy, "record", "-p", str(pid), "-d", str(int(args.seconds)), "-f", "raw", "-o", str(out)]
            spies.append(subprocess.Popen([*cmd, "--nonblocking", "--threads"], stdout=subprocess.DEVNULL))
    result = asyncio.run(load(ports, reqs[warm:], args.connections, args.seconds))
    for spy in spies:
        spy.wait(60)
    accepted = max(1, result["accepted"])
    cpu_us = {name: round((cpu_seconds(pid) - before[name]) / accepted * 1e6) for name, pid in roles.items()}
    rate = result["accepted"] / result["elapsed"]
    lat = sorted(result["latencies"])
    print(
        f"{label}: {rate:,.0f} orders/s accepted ({result['refused']} refused), {len(lat)} requests, "
        f"p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {api.p99(lat):.1f} ms; CPU µs per order: {cpu_us}",
        flush=True,
    )
    return {"rate": rate, "p99": api.p99(lat), "refused": result["refused"], "cpu_us": cpu_us}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from chain.anvil import free_port
    from polyclob.distributed import sequencer_command
    from tests.support.nats import nats_cluster

    per_mode = int(args.target * args.seconds * 1.3) + 2_000
    print(f"signing {2 * per_mode} orders (not timed) ...", flush=True)
    signed = api.sign_orders(2 * per_mode)
    half = per_mode // api.MAKERS
    first = {k: v[:half] for k, v in signed.items()}
    second = {k: v[half:] for k, v in signed.items()}

    with tempfile.TemporaryDirectory() as tmp:
        # --- embedded: one process -------------------------------------------------------------------------
        with fresh_pg() as db_url:
            port = free_port()
            proc = start_api(env_for(db_url, tmp), port)
            try:
                embedded = measure("embedded (1 process)", [port], first, args, {"api": proc.pid})
            finally:
                proc.terminate()
                proc.wait(30)
        # --- distributed: nats + 1 sequencer + 2 gateways --------------------------------------------------
        with fresh_pg() as db_url, nats_cluster(Path(tmp) / "nats", 1) as cluster:
            env = env_for(db_url, tmp, POLYCLOB_NATS_URL=cluster.url, POLYCLOB_SHARDS="s0")
            log = Path(tmp) / "sequencer.log"
            with log.open("wb") as out:
                seq = subprocess.Popen(
                    sequencer_command("s0"),
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            gateways: list[subprocess.Popen[bytes]] = []
            try:
                deadline = time.monotonic() + 60
                while "shard s0: active" not in log.read_text():
                    if time.monotonic() > deadline or seq.poll() is not None:
                        raise RuntimeError(f"the sequencer did not start: {log.read_text()[-2000:]}")
                    time.sleep(0.1)
                ports = [free_port(), free_port()]
                for i, p in enumerate(ports):
                    gw_env = {**env, "POLYCLOB_MODE": "distributed", "POLYCLOB_GATEWAY_ID": f"gw{i}"}
                    gateways.append(start_api(gw_env, p))
                roles = {"sequencer": seq.pid, "gateway1": gateways[0].pid, "gateway2": gateways[1].pid}
                nats_proc = cluster.nodes[0].proc
                if nats_proc is not None:
                    roles["nats"] = nats_proc.pid
                distributed = measure("distributed (2 gateways, 1 sequencer)", ports, second, args, roles)
            finally:
                for proc in [*gateways, seq]:
                    proc.terminate()
                for proc in [*gateways, seq]:
                    proc.wait(30)
    return {
        "orders_per_s": round(distributed["rate"]),
        "p99_ms": round(distributed["p99"], 1),
        "embedded_orders_per_s": round(embedded["rate"]),
        "embedded_p99_ms": round(embedded["p99"], 1),
        "ratio": round(distributed["rate"] / embedded["rate"], 3),
        "refused": distributed["refused"] + embedded["refused"],
        "cpu_us_per_order": {"embedded": embedded["cpu_us"], "distributed": distributed["cpu_us"]},
        "connections": args.connections,
        "seconds": args.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="measured phase per mode (default 6)")
    parser.add_argument("--connections", type=int, default=8, help="client connections (default 8)")
    parser.add_argument("--target", type=float, default=2_500, help="orders/s to sign ahead for (default 2500)")
    parser.add_argument("--py-spy", default="", help="path of a py-spy binary: profile every process (diagnostics)")
    parser.add_argument("--py-spy-dir", default="/tmp", help="where the py-spy profiles go")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
