"""Start-up of the real runner (``python -m scripts.run_stack``) on a state directory that already holds a chain and
a store: switching stores, a runner killed while its chain survives, a port change, a chain state dump cut short.

Each test starts whole stacks several times (a few seconds each once the contracts are built)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.anvil import free_port, stop_pid
from chain.rpc import connect, contract_at
from chain.stack import StackInfo, pid_alive
from clob.client import ClobHttpClient
from tests.conftest import new_pg_database

ROOT = Path(__file__).resolve().parents[3]
USDC = 1_000_000


@dataclass
class Run:
    proc: subprocess.Popen[str]
    err: Path
    info: dict[str, Any] = field(default_factory=dict)

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")


class Runner:
    """Starts runners on one state directory and cleans up whatever they leave (runners and chains)."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.runs: list[Run] = []
        self.chain_pids: set[int] = set()

    def start(
        self, api_port: int, chain_port: int, env: dict[str, str] | None = None, ready: bool = True, *extra: str
    ) -> Run:
        base = {k: v for k, v in os.environ.items() if not k.startswith("POLYCLOB_")}
        err = self.state.parent / f"{self.state.name}-run{len(self.runs)}.err"
        proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.run_stack", "--api-port", str(api_port), "--chain-port",
             str(chain_port), "--state-dir", str(self.state), "--block-time", "0.5", *extra],
            cwd=ROOT, env={**base, **(env or {})}, stdout=subprocess.PIPE, stderr=err.open("wb"), text=True,
        )  # fmt: skip
        run = Run(proc, err)
        self.runs.append(run)
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("{") or proc.poll() is not None or not line:
                break
        recorded = StackInfo.load(self.state)
        if recorded is not None and recorded.anvil_pid:
            self.chain_pids.add(recorded.anvil_pid)
        if ready:
            assert line.startswith("{"), run.stderr()[-3000:]
            run.info = json.loads(line)
            self.chain_pids.add(anvil_on(chain_port))
        else:
            proc.wait(120)
        return run

    def stop(self, run: Run) -> None:
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGINT)
            try:
                run.proc.wait(60)
            except subprocess.TimeoutExpired:
                run.proc.kill()
                run.proc.wait(10)

    def cleanup(self) -> None:
        for run in self.runs:
            self.stop(run)
        for pid in self.chain_pids:
            if pid_alive(pid):
                stop_pid(pid)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    r = Runner(tmp_path / "state")
    try:
        yield r
    finally:
        r.cleanup()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped at the end)."""
    with new_pg_database("polyclob_startup") as url:
        yield url


def anvil_on(port: int) -> int:
    """The pid of the anvil serving ``port`` (0: none)."""
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmd
            and cmd[0].endswith(b"anvil")
            and b"--port" in cmd
            and cmd[cmd.index(b"--port") + 1] == str(port).encode()
        ):
            return int(entry.name)
    return 0


def one_line_error(run: Run) -> str:
    """The runner failed with exit code 2 and one ``error:`` line, no traceback."""
    assert run.proc.returncode == 2, run.stderr()[-3000:]
    text_ = run.stderr()
    assert "Traceback" not in text_, text_[-3000:]
    errors = [line for line in text_.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, text_[-3000:]
    return errors[0]


def book(api: str, token: str) -> dict[str, Any]:
    resp = httpx.get(f"{api}/book", params={"token_id": token}, timeout=30)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def place(info: dict[str, Any], token: str, price: str) -> Any:
    client = ClobHttpClient(info["api_url"], info["demo_traders"][0], info["chain_id"], info["exchange"])
    try:
        client.create_api_key()
        return client.post_order(client.limit_order(int(token), "BUY", price, "10"))
    finally:
        client.close()


def holdings(info: dict[str, Any]) -> tuple[int, int, int]:
    """Demo trader 1's USDC, YES and NO on chain."""
    w3 = connect(info["rpc_url"])
    trader = w3.eth.account.from_key(info["demo_traders"][0]).address
    usdc: Any = contract_at(w3, "MockUSDC", info["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", info["ctf"])
    yes, no = (int(t) for t in info["markets"][0]["token_ids"])
    return (
        int(usdc.functions.balanceOf(trader).call()),
        int(ctf.functions.balanceOf(trader, yes).call()),
        int(ctf.functions.balanceOf(trader, no).call()),
    )


def test_switching_stores_adopts_the_chains_markets(runner: Runner, pg_database: str) -> None:
    api, chain = free_port(), free_port()
    first = runner.start(api, chain)
    market = first.info["markets"][0]
    yes = market["token_ids"][0]
    seeded = book(first.info["api_url"], yes)
    funded = holdings(first.info)
    assert funded == (10_000 * USDC, 1_000 * USDC, 1_000 * USDC)
    runner.stop(first)

    # The same state dir on PostgreSQL: the demo market is opened in the new store's book from the chain's facts.
    pg = runner.start(api, chain, {"POLYCLOB_DATABASE_URL": pg_database})
    assert pg.info["markets"] == first.info["markets"]
    assert httpx.get(f"{pg.info['api_url']}/markets/{market['condition_id']}", timeout=30).status_code == 200
    assert len(book(pg.info["api_url"], yes)["bids"]) == len(seeded["bids"])
    assert place(pg.info, yes, "0.30")["status"] == "live"
    assert holdings(pg.info) == funded  # funded up to the target, not once more
    runner.stop(pg)

    # And back to the SQLite store: its book is still there (not seeded twice), orders accepted.
    back = runner.start(api, chain)
    assert back.info["markets"] == first.info["markets"]
    assert len(book(back.info["api_url"], yes)["bids"]) == len(seeded["bids"])
    assert place(back.info, yes, "0.31")["status"] == "live"
    runner.stop(back)

    # The chain is lost: the PostgreSQL store describes another chain now; one line says what to do.
    for dump in runner.state.glob("anvil-state*.json"):
        dump.unlink()
    lost = runner.start(api, chain, {"POLYCLOB_DATABASE_URL": pg_database}, ready=False)
    line = one_line_error(lost)
    assert "another chain" in line, line
    assert "POLYCLOB_DATABASE_URL" in line, line


def test_a_runner_killed_alone_leaves_a_chain_the_next_run_adopts(runner: Runner) -> None:
    api, chain = free_port(), free_port()
    first = runner.start(api, chain)
    anvil = anvil_on(chain)
    w3 = connect(first.info["rpc_url"])
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    time.sleep(1.0)
    assert pid_alive(anvil), "the chain must survive a kill -9 of the runner alone"
    height = int(w3.eth.block_number)

    second = runner.start(api, chain)
    assert second.info["chain_adopted"] is True
    assert second.info["chain_pid"] == anvil == anvil_on(chain)
    assert "adopted the chain" in second.stderr()
    assert second.info["markets"] == first.info["markets"]
    assert int(w3.eth.block_number) >= height
    yes = second.info["markets"][0]["token_ids"][0]
    assert place(second.info, yes, "0.30")["status"] == "live"

    # A second runner on the same state dir is refused in one line.
    third = runner.start(free_port(), free_port(), ready=False)
    assert "already running" in one_line_error(third)

    runner.stop(second)
    assert second.proc.returncode == 0
    deadline = time.monotonic() + 10
    while pid_alive(anvil) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(anvil), "the adopted chain stops with the runner that adopted it"
    assert not (runner.state / "stack.json").exists()

    # The chain port taken by another program: one line.
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", chain))
        squatter.listen()
        taken = runner.start(api, chain, ready=False)
    line = one_line_error(taken)
    assert f"port {chain}" in line, line
    assert "CHAIN_PORT" in line, line

    # PostgreSQL that does not answer: one line (and the chain this run started is stopped again).
    no_db = runner.start(api, chain, {"POLYCLOB_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}, False)
    assert "POLYCLOB_DATABASE_URL" in one_line_error(no_db)
    assert not anvil_on(chain)


def test_clis_find_the_running_stack_after_a_port_change(runner: Runner) -> None:
    first = runner.start(free_port(), free_port())
    runner.stop(first)
    second = runner.start(free_port(), free_port())
    assert second.info["rpc_url"] != first.info["rpc_url"]

    created = subprocess.run(
        [sys.executable, "-m", "chain.markets", "create", "--question", "Does the CLI find the stack?",
         "--state-dir", str(runner.state)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr[-3000:]
    market = json.loads(created.stdout.strip().splitlines()[-1])
    api = second.info["api_url"]
    assert httpx.get(f"{api}/markets/{market['condition_id']}", timeout=30).status_code == 200
    assert "rpc_url" not in json.loads((runner.state / "deployment.json").read_text())
    runner.stop(second)

    # No stack: one line, no traceback.
    idle = subprocess.run(
        [sys.executable, "-m", "chain.markets", "create", "--question", "Nobody home?",
         "--state-dir", str(runner.state)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert idle.returncode == 2
    assert "Traceback" not in idle.stderr
    assert idle.stderr.strip().splitlines()[-1].startswith(f"error: no stack running on {runner.state}")

    # The market the CLI created is adopted by a new store (question text included) on the next start.
    third = runner.start(free_port(), free_port(), {"POLYCLOB_DATABASE_URL": f"sqlite:///{runner.state}/other.db"})
    got = httpx.get(f"{third.info['api_url']}/markets/{market['condition_id']}", timeout=30)
    assert got.status_code == 200
    assert got.json()["question"] == "Does the CLI find the stack?"


def test_a_chain_state_dump_cut_short_falls_back_to_the_last_good_copy(runner: Runner) -> None:
    api, chain = free_port(), free_port()
    first = runner.start(api, chain)
    runner.stop(first)
    dump = runner.state / "anvil-state.json"
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])  # what a kill -9 during anvil's in-place write leaves

    second = runner.start(api, chain)
    assert "cut short" in second.stderr()
    assert second.info["markets"] == first.info["markets"]  # the same chain, not a new deployment
    assert second.info["exchange"] == first.info["exchange"]
    yes = second.info["markets"][0]["token_ids"][0]
    assert place(second.info, yes, "0.30")["status"] == "live"
    runner.stop(second)

    # Cut short with no good copy: one line saying what to do.
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])
    (runner.state / "anvil-state.good.json").unlink()
    broken = runner.start(api, chain, ready=False)
    assert "cut short" in one_line_error(broken)


def _nats_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return True
    except OSError:
        return False


def test_switching_to_the_distributed_mode_and_back_keeps_a_book_for_the_market(runner: Runner) -> None:
    if not _nats_available():
        pytest.skip("NATS not reachable at 127.0.0.1:4222")
    api, chain = free_port(), free_port()
    first = runner.start(api, chain)
    yes = first.info["markets"][0]["token_ids"][0]
    runner.stop(first)

    # Shard names of its own: JetStream streams on the machine's NATS outlive runs and state dirs.
    shard = f"t{uuid.uuid4().hex[:10]}"
    env = {"POLYCLOB_MODE": "distributed", "POLYCLOB_SHARDS": shard}
    dist = runner.start(api, chain, env, True, "--gateways", "1")
    assert dist.info["markets"] == first.info["markets"]
    assert book(dist.info["api_url"], yes)["bids"], "the market has a book in the shard that owns it"
    assert place(dist.info, yes, "0.30")["status"] == "live"
    runner.stop(dist)

    back = runner.start(api, chain)
    assert book(back.info["api_url"], yes)["bids"]
    assert place(back.info, yes, "0.31")["status"] == "live"
