"""The py-clob-client flows of the CLOB API issue, unchanged, against the distributed mode: the API server is a
gateway (``POLYCLOB_MODE=distributed``) and the book lives in a shard sequencer reached over NATS JetStream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from py_clob_client.clob_types import ContractConfig

from clob.distributed.node import ShardNode
from clob.settings import Settings
from tests.integration.api import test_py_clob_client as flows
from tests.integration.api.test_py_clob_client import client_config  # noqa: F401 - the flows' fixture
from tests.support.chain import Chain
from tests.support.nats import NatsCluster, nats_cluster

pytestmark = flows.pytestmark


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[NatsCluster]:
    with nats_cluster(tmp_path / "bus", 1) as cluster:
        yield cluster


def test_py_clob_client_against_gateway_and_shard_sequencer(
    chain: Chain,
    client_config: ContractConfig,  # noqa: F811
    pg_url: str,
    bus: NatsCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded_settings_for = flows.settings_for

    def distributed_settings_for(chain: Chain, db_url: str, tmp: Path, **kw: Any) -> Settings:
        return embedded_settings_for(chain, db_url, tmp, mode="distributed", nats_url=bus.url, shards="s0", **kw)

    monkeypatch.setattr(flows, "settings_for", distributed_settings_for)
    node_settings = embedded_settings_for(chain, pg_url, tmp_path, nats_url=bus.url, shards="s0")
    node = ShardNode(node_settings, "s0")
    stop = threading.Event()
    runner = threading.Thread(target=node.run, args=(stop,), name="sequencer-s0", daemon=True)
    runner.start()
    try:
        assert node.active.wait(60), node.state
        flows.test_py_clob_client_end_to_end(chain, client_config, pg_url, tmp_path)
    finally:
        stop.set()
        runner.join(30)
    assert node.sequencer is not None
    assert node.sequencer.journal.head_seq > 10  # the flows went through the shard's sequencer
