"""The processes ``make run`` adds in the distributed mode (``POLYCLOB_MODE=distributed``).

``make run`` itself stays gateway 0 (API, WebSockets, and the batcher, indexer, reconciler and resolution watcher
wired to it exactly as in the embedded mode: they see the shards through the gateway's replicas). Besides it:

- one sequencer process per shard (``python -m clob.distributed sequencer --shard S``), started before any gateway;
  start a second one for a shard for a hot standby;
- ``--gateways N`` - 1 more API gateway processes on the following ports.

All of them read the same ``POLYCLOB_*`` settings (`settings_env`), so one configuration describes the deployment.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from clob.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def sequencer_command(shard: str) -> list[str]:
    """The command line of a shard's sequencer process."""
    return [sys.executable, "-m", "clob.distributed", "sequencer", "--shard", shard]


def api_command(port: int, *extra: str) -> list[str]:
    """The command line of an API process (a gateway when ``POLYCLOB_MODE=distributed``) on 127.0.0.1:``port``."""
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "polyclob.api:create_app", "--port", str(port)]
    return [*uvicorn, "--no-access-log", *extra]  # a line per request would drown the log


def _die_with_runner() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(
    cmd: list[str], env: dict[str, str], log: Path, append: bool = True, die_with_parent: bool = False
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in the repository with its output (stdout and stderr) in ``log``. ``die_with_parent`` (the
    runner's sequencers and gateways): the child gets SIGKILL when the thread that started it dies
    (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the runner alone takes them with it and the next ``make run`` finds
    their ports and shard locks free (only the chain survives, to be adopted)."""
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_runner if die_with_parent else None,
        )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly these settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        env[f"POLYCLOB_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def start_sequencers(settings: Settings, state: Path, timeout: float = 120.0) -> list[subprocess.Popen[bytes]]:
    """One sequencer per shard; returns once each reports itself active."""
    env = settings_env(settings)
    procs: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    for shard in settings.shard_list:
        log = state / f"sequencer-{shard}.log"
        start = log.stat().st_size if log.exists() else 0
        proc = spawn(sequencer_command(shard), env, log, die_with_parent=True)
        procs.append((shard, log, proc))
        deadline = time.monotonic() + timeout
        while f"shard {shard}: active" not in log.read_bytes()[start:].decode(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_all([p for _s, _l, p in procs])
                raise RuntimeError(f"the sequencer of shard {shard} did not start; see {log}")
            time.sleep(0.1)
    return [p for _s, _l, p in procs]


def start_gateways(settings: Settings, state: Path, ports: list[int]) -> list[subprocess.Popen[bytes]]:
    """One API gateway process per port (``POLYCLOB_GATEWAY_ID`` gateway-1, ...); returns once each answers."""
    env = settings_env(settings)
    procs: list[subprocess.Popen[bytes]] = []
    for i, port in enumerate(ports, 1):
        log = state / f"gateway-{i}.log"
        gw_env = {**env, "POLYCLOB_GATEWAY_ID": f"gateway-{i}"}
        procs.append(spawn(api_command(port), gw_env, log, die_with_parent=True))
    for port, proc in zip(ports, procs, strict=True):
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_all(procs)
                raise RuntimeError(f"the gateway on port {port} did not start; see {state}/gateway-*.log")
            time.sleep(0.1)
    return procs


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process still running, then SIGKILL to any that has not exited 20 s later."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
