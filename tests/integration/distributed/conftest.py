"""The distributed mode runs on the production store: a clean PostgreSQL database per test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from clob.distributed.node import ShardNode
from clob.settings import Settings
from polyclob.api import create_app
from tests.conftest import emptied
from tests.support.distributed import ADMIN, EXCHANGE, MASTER_SECRET_HEX
from tests.support.nats import nats_available, nats_cluster
from tests.support.server import serve


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    if not nats_available():
        pytest.skip("nats-server is not installed")
    return emptied(pg_server_url)


@pytest.fixture
def gateways(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A private NATS server, the sequencer of shard s0 (in this process) and two gateways on it: yields the two
    gateways' base URLs and the NATS URL."""
    with ExitStack() as stack:
        cluster = stack.enter_context(nats_cluster(tmp_path, 1))
        common: dict[str, Any] = {
            "database_url": pg_url,
            "nats_url": cluster.url,
            "shards": "s0",
            "exchange_address": EXCHANGE,
            "check_balances": False,
            "admin_token": ADMIN,
            "master_secret_hex": MASTER_SECRET_HEX,
            "manifest_path": tmp_path / "none.json",
        }
        node = ShardNode(Settings(**common), "s0")
        stop = threading.Event()
        runner = threading.Thread(target=node.run, args=(stop,), daemon=True)
        runner.start()
        stack.callback(runner.join, 30)
        stack.callback(stop.set)
        assert node.active.wait(60), node.state
        bases = [
            stack.enter_context(serve(create_app(Settings(**common, mode="distributed", gateway_id=f"ws{i}"))))
            for i in range(2)
        ]
        yield bases[0], bases[1], cluster.url
