"""The real stack as ``make run`` starts it: ``python -m scripts.run_stack`` in its own process group, READY line
parsed from its stdout; kill -9 of the whole stack (runner group and anvil) or of the runner only; restart on the
same state directory and ports; SIGSTOP/SIGCONT of anvil.

``scripts.run_stack`` starts anvil as its child, in its process group; a runner that adopted the chain a killed
runner left (``kill_api``) has no anvil child, and that anvil is in the dead runner's group. So anvil is found
through the state directory's ``stack.json`` too, and killed by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chain.stack import StackInfo

ROOT = Path(__file__).resolve().parents[2]


class StackError(Exception):
    """The stack did not start (its log tail says why)."""


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out += [int(c) for c in text.split()]
    except OSError:
        pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = ""
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@dataclass
class Stack:
    """One stack on ``state_dir`` with fixed ports; ``ready`` is the READY JSON of the current run."""

    state_dir: Path
    api_port: int
    chain_port: int
    env: dict[str, str] = field(default_factory=dict)
    ready: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    anvil_pid: int | None = None
    starts: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "stack.log"

    @property
    def admin_token(self) -> str:
        return (self.state_dir / "admin.token").read_text().strip()

    @property
    def db_url(self) -> str:
        return os.environ.get("POLYCLOB_DATABASE_URL") or f"sqlite:///{self.state_dir / 'polyclob.db'}"

    def start(self, timeout: float = 240.0) -> dict[str, Any]:
        """Start ``scripts.run_stack`` and wait for its READY line (the last stdout line before serving)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "scripts.run_stack",
            "--state-dir",
            str(self.state_dir),
            "--api-port",
            str(self.api_port),
            "--chain-port",
            str(self.chain_port),
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it open
        log.write(f"--- start {self.starts} at {time.time():.3f}\n".encode())
        log.flush()
        env = dict(os.environ, PYTHONPATH=str(ROOT), **self.env)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        log.close()
        self.starts += 1
        lines: queue.Queue[bytes | None] = queue.Queue()
        stdout = self.proc.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name="stack-stdout", daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.kill_all()
                raise StackError(f"no READY line within {timeout:.0f}s; see {self.log_path}") from None
            if line is None:
                raise StackError(f"the stack exited before READY ({self.proc.wait()}): {self.log_tail()}")
            try:
                ready = json.loads(line)
            except ValueError:
                continue
            if isinstance(ready, dict) and "api_url" in ready:
                self.ready = ready
                break
        self.anvil_pid = self._find_anvil()
        return self.ready

    def _find_anvil(self) -> int | None:
        """The runner's anvil child, or else the anvil its ``stack.json`` names (an adopted chain)."""
        assert self.proc is not None
        for child in _children(self.proc.pid):
            if "anvil" in _cmdline(child):
                return child
        info = StackInfo.load(self.state_dir)
        if info is not None and info.anvil_pid and alive(info.anvil_pid) and "anvil" in _cmdline(info.anvil_pid):
            return info.anvil_pid
        return None

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def _kill_runner(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def kill_all(self) -> None:
        """kill -9 of the runner's process group and of anvil's."""
        anvil = self.anvil_pid
        self._kill_runner()
        if anvil is not None:
            _kill(anvil)
        self.anvil_pid = None

    def kill_api(self) -> bool:
        """kill -9 of the runner process only (its anvil stays up, for the restart to adopt); whether anvil survived
        it (2 s later)."""
        anvil = self.anvil_pid
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        time.sleep(2)
        return anvil is not None and alive(anvil)

    def kill_orphan_anvil(self) -> None:
        if self.anvil_pid is not None and alive(self.anvil_pid):
            _kill(self.anvil_pid)
        self.anvil_pid = None

    def pause_chain(self) -> None:
        if self.anvil_pid is not None:
            os.kill(self.anvil_pid, signal.SIGSTOP)

    def resume_chain(self) -> None:
        if self.anvil_pid is not None:
            os.kill(self.anvil_pid, signal.SIGCONT)

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM (a clean stop, anvil dumps its state), then kill -9 whatever is left."""
        if self.proc is not None and self.proc.poll() is None:
            self.resume_chain()
            os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(grace)
        self.kill_all()
        self.proc = None

    def admin_get(self, path: str, timeout: float = 10.0) -> Any:
        resp = httpx.get(self.api_url + path, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=timeout)
        resp.raise_for_status()
        return resp.json()


def _kill(pid: int) -> None:
    """kill -9 of ``pid`` (not its group: an adopted anvil is in a dead runner's group), then wait until gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
