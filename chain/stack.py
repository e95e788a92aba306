"""Where the stack running on a state directory is: ``STATE_DIR/stack.json``, written by ``make run``.

The runner writes the file as soon as its chain answers (``phase`` "starting": runner pid, anvil pid, RPC URL) and
again when it serves (``phase`` "ready": API URL, gateways, ports, chain id), and removes it on a clean stop. A
``kill -9`` leaves it behind; readers therefore check that the runner's pid is alive and that the URL answers before
trusting it. CLIs (``python -m chain.markets``, ``python -m settlement``, ``python -m indexer``) find the RPC and
API of the running stack here instead of the deployment manifest, which keeps deployment facts only.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STACK_FILE = "stack.json"


class StackNotRunningError(Exception):
    """No live stack on a state directory; the message says what to do, in one line."""


@dataclass(frozen=True, slots=True)
class StackInfo:
    """What ``stack.json`` records."""

    state_dir: str
    pid: int
    rpc_url: str
    chain_port: int
    anvil_pid: int = 0
    phase: str = "starting"
    api_url: str = ""
    api_port: int = 0
    chain_id: int = 0
    gateways: list[str] = field(default_factory=list)

    def save(self, state_dir: Path) -> None:
        path = state_dir / STACK_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, state_dir: Path) -> StackInfo | None:
        """The recorded stack, or None when there is no (readable) file."""
        try:
            data: dict[str, Any] = json.loads((state_dir / STACK_FILE).read_text())
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(**known)
        except (OSError, ValueError, TypeError):
            return None


def remove(state_dir: Path, pid: int) -> None:
    """Remove ``stack.json`` if it is ``pid``'s (a clean stop)."""
    info = StackInfo.load(state_dir)
    if info is not None and info.pid == pid:
        (state_dir / STACK_FILE).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def process_command(pid: int) -> list[str]:
    """The command line of ``pid`` (empty if unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def chain_id_at(url: str, timeout: float = 2.0) -> int | None:
    """The chain id a JSON-RPC endpoint answers with, or None if nothing (JSON-RPC) answers there."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(json.loads(resp.read())["result"], 16)
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
        return None


def api_answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/", timeout=timeout) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _start_hint(state_dir: Path) -> str:
    default = Path(__file__).resolve().parent.parent / "var"
    try:
        same = state_dir.resolve() == default
    except OSError:
        same = False
    return "make run" if same else f"make run STATE_DIR={state_dir}"


def live_rpc_url(state_dir: Path) -> str:
    """The RPC URL of the chain of the stack running on ``state_dir`` (the runner may be gone while its chain
    survives: the chain is what is asked for); raises ``StackNotRunningError`` otherwise."""
    info = StackInfo.load(state_dir)
    if info is None or chain_id_at(info.rpc_url) is None:
        raise StackNotRunningError(f"no stack running on {state_dir}: start one with {_start_hint(state_dir)}")
    return info.rpc_url


def live_stack(state_dir: Path) -> StackInfo:
    """The stack serving on ``state_dir``: its runner alive, its chain and API answering; raises
    ``StackNotRunningError`` with a one-line message otherwise."""
    info = StackInfo.load(state_dir)
    hint = f"start one with {_start_hint(state_dir)}"
    if info is None or not pid_alive(info.pid):
        raise StackNotRunningError(f"no stack running on {state_dir}: {hint}")
    if info.phase != "ready" or not info.api_url:
        raise StackNotRunningError(f"the stack on {state_dir} (pid {info.pid}) is still starting: try again shortly")
    if chain_id_at(info.rpc_url) is None or not api_answers(info.api_url):
        raise StackNotRunningError(
            f"the stack on {state_dir} (pid {info.pid}) does not answer at {info.api_url} / {info.rpc_url}: "
            f"stop it and {hint}"
        )
    return info


def rpc_url_for(manifest_path: Path, manifest_rpc_url: str = "") -> str:
    """The RPC URL a CLI should use for the deployment at ``manifest_path``: the chain of the stack running on the
    manifest's state directory, else the URL a standalone deploy recorded in the manifest. Exits with one line
    (``SystemExit``) when there is neither."""
    try:
        return live_rpc_url(manifest_path.parent)
    except StackNotRunningError as exc:
        if manifest_rpc_url:
            return manifest_rpc_url
        raise SystemExit(f"error: {exc} (or pass --rpc-url)") from None
