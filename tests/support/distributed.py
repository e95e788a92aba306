"""Processes of the distributed mode for tests: shard sequencers and API gateways, each a real OS process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from chain.anvil import dev_key, free_port
from clob.client import ClobHttpClient
from polyclob.distributed import api_command, sequencer_command, spawn

ROOT = Path(__file__).resolve().parents[2]
EXCHANGE = "0x00000000000000000000000000000000000000e1"
ADMIN = "distributed-admin"
MASTER_SECRET_HEX = "22" * 32


def env_for(db_url: str, nats_url: str, shards: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "POLYCLOB_DATABASE_URL": db_url,
        "POLYCLOB_NATS_URL": nats_url,
        "POLYCLOB_SHARDS": shards,
        "POLYCLOB_EXCHANGE_ADDRESS": EXCHANGE,
        "POLYCLOB_CHAIN_ID": "31337",
        "POLYCLOB_CHECK_BALANCES": "false",
        "POLYCLOB_ADMIN_TOKEN": ADMIN,
        "POLYCLOB_MASTER_SECRET_HEX": MASTER_SECRET_HEX,
        "POLYCLOB_MANIFEST_PATH": str(tmp / "none.json"),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


def start_sequencer(env: dict[str, str], shard: str, tmp: Path, name: str) -> Proc:
    log = tmp / f"{name}.log"
    return Proc(name, spawn(sequencer_command(shard), env, log, append=False), log)


def wait_active(procs: list[Proc], shard: str, timeout: float = 60.0) -> Proc:
    """The one process that reports itself active for ``shard``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = [p for p in procs if p.proc.poll() is None and f"shard {shard}: active" in p.text()]
        if active:
            return active[0]
        time.sleep(0.1)
    raise RuntimeError(f"no active sequencer for {shard}: " + " | ".join(p.text()[-500:] for p in procs))


def start_gateway(env: dict[str, str], tmp: Path, name: str) -> tuple[Proc, str]:
    port = free_port()
    log = tmp / f"{name}.log"
    gw_env = {**env, "POLYCLOB_MODE": "distributed", "POLYCLOB_GATEWAY_ID": name}
    proc = spawn(api_command(port, "--log-level", "warning"), gw_env, log, append=False)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway {name} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/", timeout=1).status_code == 200:
                return Proc(name, proc, log), base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gateway {name} did not start: {log.read_text()[-2000:]}")


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def open_market(base: str, condition: str, yes: int, no: int, shard: str = "") -> None:
    body = {
        "condition_id": condition,
        "question_id": "0x" + "00" * 32,
        "yes_token_id": str(yes),
        "no_token_id": str(no),
        "tick_size": "0.01",
        "min_order_size": "5",
        "shard": shard,
    }
    resp = httpx.post(f"{base}/admin/markets", json=body, headers=admin_headers(), timeout=30)
    assert resp.status_code == 200, resp.text


def settled_streams(bases: list[str], db_url: str, timeout: float = 30.0) -> list[dict[str, object]]:
    """Each gateway's view of every stream once all of them show the journal's head; they must agree."""
    from sqlalchemy import func, select

    from store import connect_database
    from store.schema import journal

    db = connect_database(db_url, migrate=False)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with db.engine.connect() as conn:
                query = select(journal.c.stream, func.max(journal.c.seq)).group_by(journal.c.stream)
                heads = {str(stream): int(head) for stream, head in conn.execute(query).all()}
            views = [
                httpx.get(f"{b}/admin/stream", headers=admin_headers(), timeout=10).json()["streams"] for b in bases
            ]
            if all({s["stream"]: s["head_seq"] for s in v} == heads for v in views):
                assert all(v == views[0] for v in views), views
                return list(views[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"gateways did not reach the journal heads {heads}: {views}")
            time.sleep(0.1)
    finally:
        db.dispose()


def traders(base: str, *accounts: int) -> list[ClobHttpClient]:
    """Clients of anvil dev accounts on ``base``, each with an API key."""
    out = []
    for account in accounts:
        client = ClobHttpClient(base, dev_key(account), 31337, EXCHANGE)
        client.create_api_key()
        out.append(client)
    return out


def assert_journaled_once(db_url: str, acked: set[str], stream: str | None = None) -> None:
    """No order and no bus message was journaled twice, and every acknowledged order was journaled."""
    from collections import Counter

    import orjson
    from sqlalchemy import select

    from store import connect_database
    from store.schema import journal

    db = connect_database(db_url, migrate=False)
    try:
        query = select(journal.c.stream, journal.c.kind, journal.c.payload)
        if stream is not None:
            query = query.where(journal.c.stream == stream)
        with db.engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        db.dispose()
    docs = [(r.stream, r.kind, orjson.loads(r.payload)) for r in rows]
    placed = Counter(doc["command"]["order_id"] for _s, kind, doc in docs if kind == "place")
    assert placed
    assert max(placed.values()) == 1
    bus = Counter((s, doc["meta"]["bus_seq"]) for s, _k, doc in docs if "bus_seq" in doc["meta"])
    assert max(bus.values()) == 1
    assert acked <= set(placed)
