"""The batcher in a child process (``settlement.process``) on anvil: it settles, the parent hears every status
change and every failure, a wake-up reaches it, and it dies with a parent that is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from chain.anvil import dev_key
from chain.exchange import Side
from settlement.model import FailedTrade
from settlement.process import BatcherParams, BatcherProcess
from tests.integration.settlement.world import ROOT, Miner, World

pytestmark = pytest.mark.chain

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def _params(world: World) -> BatcherParams:
    return BatcherParams(world.manifest_path, world.db_url, world.anvil.url, dev_key(0), 1)


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not {what} in {timeout}s")


def test_the_child_settles_and_the_parent_hears_each_change_and_failure(lite_world: World) -> None:
    w = lite_world
    w.place(0, 0, YES, SELL, 60, 10)
    w.place(1, 0, YES, BUY, 60, 10)  # COMPLEMENTARY
    revoked_maker, _ = w.place(2, 0, YES, BUY, 55, 10)  # trader 2 will revoke its USDC allowance
    w.place(0, 0, YES, SELL, 55, 10)
    w.place(1, 0, NO, BUY, 45, 10)
    w.place(4, 0, YES, BUY, 55, 10)  # MINT
    w.traders[2].transact(w.usdc.functions.approve(w.exchange.address, 0))
    mid = w.balances()

    heard: list[tuple[str, str, str]] = []
    failed: list[tuple[FailedTrade, tuple[str, ...]]] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def on_row(row: object, status: str, tx_hash: str) -> None:
        with lock:
            heard.append((str(row["trade_id"]), status, tx_hash))  # type: ignore[index]
            threads.add(threading.current_thread().name)

    process = BatcherProcess(_params(w))
    process.add_row_listener(on_row)
    process.add_failure_hook(lambda trade, offending: failed.append((trade, offending)))
    with Miner(w.anvil, 0.3):
        process.start()
        try:
            assert process.pid is not None
            assert process.pid != os.getpid()
            _wait(lambda: sorted(w.statuses().values()) == ["CONFIRMED", "CONFIRMED", "FAILED"], 60, "settled")
            _wait(lambda: sum(1 for _, s, _h in heard if s in ("CONFIRMED", "FAILED")) == 3, 10, "all heard")
            # a trade matched while it runs: the sequencer's wake-up (notify) reaches the child
            w.place(3, 0, YES, SELL, 58, 10)
            w.place(5, 0, YES, BUY, 58, 10)
            process.notify()
            _wait(lambda: list(w.statuses().values()).count("CONFIRMED") == 3, 30, "the new trade settled")
            _wait(lambda: sum(1 for _, s, _h in heard if s == "CONFIRMED") == 3, 10, "its change heard")
        finally:
            process.stop()
    assert process._process.exitcode == 0  # a clean stop
    statuses = w.statuses()
    for trade_id, status in statuses.items():
        assert (trade_id, status) in {(t, s) for t, s, _h in heard}
    confirmed = [(t, h) for t, s, h in heard if s == "CONFIRMED"]
    assert all(h.startswith("0x") and len(h) == 66 for _, h in confirmed)
    assert threads == {"settlement-events"}  # one reader thread, in the order the child made the changes
    assert [(trade.trade_id, offending) for trade, offending in failed] == [
        (next(t for t, s in statuses.items() if s == "FAILED"), (revoked_maker,))
    ]
    assert failed[0][0].error.startswith("ERC20InsufficientAllowance")
    for key, value in w.balances().items():
        assert value - mid[key] == w.expected_deltas(w.payloads()).get(key, 0), key


PARENT = """
import sys, time
from pathlib import Path
from settlement.process import BatcherParams, BatcherProcess
p = BatcherProcess(BatcherParams(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], 1))
p.start()
print(p.pid, flush=True)
time.sleep(600)
"""


def test_the_child_dies_with_a_parent_killed_by_sigkill(lite_world: World) -> None:
    w = lite_world
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(w.manifest_path), w.db_url, w.anvil.url, dev_key(0)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # running
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)

        def gone() -> bool:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return True
            # a zombie waits for init to reap it: dead all the same
            with open(f"/proc/{child}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"

        _wait(gone, 5, "ended with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
