"""Private nats-server processes for tests: one JetStream server, or a JetStream cluster on loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chain.anvil import free_port

NATS_BIN = shutil.which("nats-server") or "/usr/sbin/nats-server"


def nats_available() -> bool:
    return os.path.exists(NATS_BIN)


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on {port}")


@dataclass
class NatsNode:
    name: str
    port: int
    store: Path
    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [NATS_BIN, *self.args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_port(self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


@dataclass
class NatsCluster:
    nodes: list[NatsNode] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def url(self) -> str:
        """All nodes, comma-separated (the ``POLYCLOB_NATS_URL`` form)."""
        return ",".join(self.urls)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(tmp: Path, size: int = 1) -> NatsCluster:
    """``size`` JetStream servers on loopback; with ``size`` > 1 they form one cluster (streams may replicate)."""
    if not nats_available():
        pytest.skip("nats-server is not installed")
    ports = [free_port() for _ in range(size)]
    cluster_ports = [free_port() for _ in range(size)]
    cluster = NatsCluster()
    for i in range(size):
        name = f"n{i}"
        store = tmp / f"nats-{name}"
        store.mkdir(parents=True, exist_ok=True)
        args = ["-a", "127.0.0.1", "-p", str(ports[i]), "-js", "-sd", str(store), "--server_name", name]
        if size > 1:
            routes = ",".join(f"nats://127.0.0.1:{p}" for j, p in enumerate(cluster_ports) if j != i)
            args += [
                "--cluster_name",
                "polyclob-test",
                "--cluster",
                f"nats://127.0.0.1:{cluster_ports[i]}",
                "--routes",
                routes,
            ]
        cluster.nodes.append(NatsNode(name, ports[i], store, args, tmp / f"nats-{name}.log"))
    for node in cluster.nodes:
        node.start()
    return cluster


@contextlib.contextmanager
def nats_cluster(tmp: Path, size: int = 1) -> Iterator[NatsCluster]:
    cluster = start_cluster(tmp, size)
    try:
        yield cluster
    finally:
        cluster.stop()
