"""GET /metrics: Prometheus text with order, trade and settlement-lag figures that follow what happened."""

from __future__ import annotations

import re

import pytest

from orders import Side
from tests.unit.api.conftest import World
from tests.unit.api.support import YES


def metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(\{[^}]*\})?") + r" ([0-9.e+-]+)"
    found = re.search(pattern, text)
    assert found is not None, f"{name} {labels} not in metrics"
    return float(found.groups()[-1])


def test_metrics_follow_orders_and_trades(world: World) -> None:
    before = world.client.get("/metrics")
    assert before.status_code == 200
    assert metric(before.text, "polyclob_trades_matched_total") == 0
    assert world.alice.place(world.alice.order(YES, Side.SELL, "0.60", "10")).status_code == 200
    assert world.bob.place(world.bob.order(YES, Side.BUY, "0.60", "10")).status_code == 200
    after = world.client.get("/metrics").text
    assert metric(after, "polyclob_orders_total", 'outcome="accepted",stream="main"') == 2
    assert metric(after, "polyclob_trades_matched_total") == 1
    assert metric(after, "polyclob_trades", 'status="MATCHED"') == 1
    assert metric(after, "polyclob_settlement_lag_seconds") >= 0
    assert metric(after, "polyclob_command_latency_seconds_count") >= 3  # market creation + two orders
    assert metric(after, "polyclob_discrepancies_open") == 0


def test_batch_latency_counts_every_command_of_a_batch_in_its_bucket() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from clob.api.metrics import _BatchLatency

    registry = CollectorRegistry()
    latency = _BatchLatency("s0")
    registry.register(latency)
    latency.observe(0.003, 5)  # five commands in a 3 ms batch
    latency.observe(0.005, 1)  # on a bucket bound: counted in it
    latency.observe(10.0, 2)  # beyond the last bound: +Inf only
    text = generate_latest(registry).decode()
    assert metric(text, "polyclob_command_latency_seconds_bucket", 'le="0.0025",stream="s0"') == 0
    assert metric(text, "polyclob_command_latency_seconds_bucket", 'le="0.005",stream="s0"') == 6
    assert metric(text, "polyclob_command_latency_seconds_bucket", 'le="2.5",stream="s0"') == 6
    assert metric(text, "polyclob_command_latency_seconds_bucket", r'le="\+Inf",stream="s0"') == 8
    assert metric(text, "polyclob_command_latency_seconds_count") == 8
    assert metric(text, "polyclob_command_latency_seconds_sum") == pytest.approx(0.003 * 5 + 0.005 + 20.0)
