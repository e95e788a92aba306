"""kill -9 the API server while a client streams orders and cancels; restart; nothing acknowledged is lost, nothing
unacknowledged is half-applied, and the restarted engine's state hash equals a clean replay of the journal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from chain.anvil import dev_key, free_port
from clob.client import ClientError, ClobHttpClient
from clob.service.replay import replay
from clob.service.snapshots import load_verified
from store import connect_database
from store.schema import journal, orders

ROOT = Path(__file__).resolve().parents[3]
EXCHANGE = "0x00000000000000000000000000000000000000e1"
ADMIN = "crash-admin"
YES, NO = 1001, 1002
CONDITION = "0x" + "cd" * 32


def start_server(db_url: str, port: int, tmp: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POLYCLOB_DATABASE_URL": db_url,
        "POLYCLOB_EXCHANGE_ADDRESS": EXCHANGE,
        "POLYCLOB_CHAIN_ID": "31337",
        "POLYCLOB_CHECK_BALANCES": "false",
        "POLYCLOB_ADMIN_TOKEN": ADMIN,
        "POLYCLOB_MASTER_SECRET_HEX": "11" * 32,
        "POLYCLOB_MANIFEST_PATH": str(tmp / "none.json"),
        "POLYCLOB_SQLITE_SYNCHRONOUS": "NORMAL",
        **extra,
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "polyclob.api:create_app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.parametrize("snapshots", ["none", "every-7"])
def test_kill_9_while_streaming(db_url: str, tmp_path: Path, snapshots: str) -> None:
    """With ``every-7`` the server snapshots every 7 commands (forked children, some still running when it is
    killed) and restarts from the newest verified one."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {"POLYCLOB_SNAPSHOT_EVERY": "7"} if snapshots == "every-7" else {"POLYCLOB_SNAPSHOT_EVERY": "0"}
    proc = start_server(db_url, port, tmp_path, **extra)
    acked_orders: list[str] = []
    acked_cancels: list[str] = []
    sent_cancels: list[str] = []  # a cancel in flight at the kill may or may not have been applied: never half
    try:
        market = {
            "condition_id": CONDITION,
            "question_id": "0x" + "00" * 32,
            "yes_token_id": str(YES),
            "no_token_id": str(NO),
            "tick_size": "0.01",
            "min_order_size": "5",
        }
        resp = httpx.post(f"{base}/admin/markets", json=market, headers={"Authorization": f"Bearer {ADMIN}"})
        assert resp.status_code == 200, resp.text
        client = ClobHttpClient(base, dev_key(3), 31337, EXCHANGE)
        client.create_api_key()
        stop = threading.Event()

        def stream() -> None:
            i = 0
            while not stop.is_set():
                i += 1
                side, token = ("BUY", YES) if i % 2 else ("SELL", YES)
                price = f"0.{(10 + i % 30) if side == 'BUY' else (60 + i % 30):02d}"
                order = client.limit_order(token, side, price, "10")
                try:
                    answer = client.post_order(order)
                    acked_orders.append(answer["orderID"])
                    if i % 5 == 0:
                        sent_cancels.append(answer["orderID"])
                        gone = client.request("DELETE", "/order", {"orderID": answer["orderID"]})
                        acked_cancels.extend(gone["canceled"])
                except (ClientError, httpx.HTTPError):
                    return

        streamer = threading.Thread(target=stream)
        streamer.start()
        deadline = time.monotonic() + 60
        while len(acked_orders) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream, no warning
        proc.wait(10)
        stop.set()
        streamer.join(30)
        assert len(acked_orders) >= 60
    finally:
        if proc.poll() is None:
            proc.kill()

    # Restart on the same database: every acknowledged order and cancel is there.
    proc = start_server(db_url, port, tmp_path, **extra)
    try:
        for oid in acked_orders:
            got = client.request("GET", f"/data/order/{oid}")
            assert got["id"] == oid
            if oid in acked_cancels:
                assert got["status"] == "CANCELED"
            elif oid in sent_cancels:  # the kill came between the cancel's commit and its answer, or before it
                assert got["status"] in ("CANCELED", "LIVE")
            else:
                assert got["status"] == "LIVE"
        status = httpx.get(f"{base}/admin/stream", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)

    # Nothing half-applied: every journaled placement has its row and vice versa, and a clean replay of the
    # journal alone reproduces the restarted engine's state and every stored trade.
    db = connect_database(db_url)
    with db.engine.connect() as conn:
        placed = conn.execute(select(func.count()).select_from(journal).where(journal.c.kind == "place")).scalar_one()
        rows = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    assert placed == rows
    if snapshots == "every-7":
        restored = load_verified(db, "main")
        assert restored is not None
        assert restored[1].seq >= 7
        assert restored[1].seq <= status["head_seq"]
    report = replay(db)
    db.dispose()
    assert report.ok, (report.chain_error, report.differences)
    assert report.entries == status["head_seq"]
    assert report.state_hash == status["state_hash"]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
