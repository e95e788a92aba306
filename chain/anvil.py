"""Start and stop a local anvil chain (the npm ``@foundry-rs/anvil`` binary) for the stack and the tests.

``Anvil`` picks a free port on 127.0.0.1 (or takes one), starts the native binary directly (not through the npm
launcher, so the PID we hold is anvil's own), waits until JSON-RPC answers, and stops it by PID: SIGTERM, then
SIGKILL after a grace period. It is a context manager and also registers an ``atexit`` hook, so no orphan
survives the Python process. By default (tests, benchmarks) the child is put in its own process group and asked to
die with its parent (``PR_SET_PDEATHSIG`` on Linux) so even ``kill -9`` of the parent leaves nothing behind.
``survive_parent=True`` (the stack runner) does neither: the chain stays in the runner's process group, so a
``kill -9`` of the group stops it too, while a ``kill -9`` of the runner alone leaves the chain running for the
next runner to adopt (`polyclob.startup`).

Memory: anvil keeps every state in memory; the toolchain notes measured unbounded growth under bursts of
pending transactions. Tests use one chain per session with snapshot/revert per test and bounded bursts;
``prune_history=True`` bounds memory for long-running stacks but disables ``anvil_reorg``/``anvil_rollback``.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account

from chain.stack import pid_alive

ROOT = Path(__file__).resolve().parent.parent
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"

# anvil's default mnemonic ("test test ... junk") gives these well-known dev accounts.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


def dev_key(index: int) -> str:
    """The private key of anvil's dev account ``index`` (BIP-44 path m/44'/60'/0'/0/index of DEV_MNEMONIC)."""
    Account.enable_unaudited_hdwallet_features()
    key: bytes = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key
    return "0x" + key.hex()


class AnvilError(Exception):
    """anvil could not be started or did not become ready."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass


def stop_pid(pid: int, grace: float = 5.0) -> None:
    """Stop a process that is not our child (an adopted anvil): SIGTERM, then SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP with the standard library (used for readiness and dev methods)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.loads(resp.read())
    if "error" in answer:
        raise AnvilError(f"{method}: {answer['error']}")
    return answer["result"]


@dataclass
class Anvil:
    """A running anvil process. Use as a context manager, or call ``start``/``stop``."""

    port: int = 0
    chain_id: int = 31337
    block_time: float | None = None
    prune_history: bool = False
    accounts: int = 10
    balance_eth: int = 10_000
    extra_args: tuple[str, ...] = ()
    log_path: Path | None = None
    survive_parent: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            str(ANVIL_BIN),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--mnemonic",
            DEV_MNEMONIC,
        ]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        if self.prune_history:
            cmd += ["--prune-history"]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 20.0) -> Anvil:
        if not ANVIL_BIN.exists():
            raise AnvilError(f"anvil binary not found at {ANVIL_BIN}: run `make bootstrap`")
        if self.port == 0:
            self.port = free_port()
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if self.survive_parent else _die_with_parent,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AnvilError(f"anvil exited with code {self.process.returncode} (port {self.port} taken?)")
            try:
                rpc_call(self.url, "eth_chainId", timeout=1.0)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.02)
        self.stop()
        raise AnvilError(f"anvil did not answer on {self.url} within {timeout}s")

    def stop(self, grace: float = 3.0) -> None:
        proc = self.process
        if proc is None:
            return
        self.process = None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=grace)
        atexit.unregister(self.stop)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc_call(self.url, method, list(params))

    def snapshot(self) -> str:
        snap: str = self.rpc("evm_snapshot")
        return snap

    def revert(self, snapshot_id: str) -> bool:
        ok: bool = self.rpc("evm_revert", snapshot_id)
        return ok

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
