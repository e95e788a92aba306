"""Prometheus metrics at ``GET /metrics`` (text exposition format).

Counters and histograms are fed by a sequencer listener (orders accepted/rejected, trades, cancels, commands, and
the processing time of the durable batch each command was in: journal, engine, projections, commit); gauges that
describe other services are computed at scrape time from the shared database, so they are right whichever process
runs the batcher or the indexer:

- ``polyclob_settlement_lag_seconds``: age of the oldest trade not yet CONFIRMED or FAILED;
- ``polyclob_trades{status=…}``: trades per settlement status;
- ``polyclob_indexer_lag_blocks`` and ``polyclob_indexer_last_block``: from the indexer's cursor;
- ``polyclob_discrepancies_open``: unresolved reconciliation discrepancies (0 when the table does not exist).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from clob.engine import OrderAccepted, OrderCancelled, OrderRejected, Trade
from clob.service.projections import Applied
from clob.store.db import Database
from clob.store.schema import trades

router = APIRouter(tags=["operations"])


class ExchangeMetrics:
    """The metrics of one API process, on their own registry."""

    def __init__(self, db: Database, stream: str) -> None:
        self.registry = CollectorRegistry()
        labels = ["stream"]
        self.stream = stream
        self.commands = Counter("polyclob_commands", "Journaled commands", labels, registry=self.registry)
        self.orders = Counter("polyclob_orders", "Orders by outcome", ["stream", "outcome"], registry=self.registry)
        self.trades = Counter("polyclob_trades_matched", "Trades matched", labels, registry=self.registry)
        self.cancels = Counter("polyclob_orders_cancelled", "Orders cancelled", labels, registry=self.registry)
        self.match_latency = Histogram(
            "polyclob_command_latency_seconds",
            "Time from submission to durable result (journal + engine + projections), per command",
            labels,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(db))
        for series in (self.commands, self.trades, self.cancels):  # expose zeros before the first event
            series.labels(stream)
        for outcome in ("accepted", "rejected"):
            self.orders.labels(stream, outcome)

    def on_applied(self, item: Applied) -> None:
        """Sequencer listener (runs on the sequencer thread)."""
        self.commands.labels(self.stream).inc()
        for ev in item.events:
            if isinstance(ev, OrderAccepted):
                self.orders.labels(self.stream, "accepted").inc()
            elif isinstance(ev, OrderRejected):
                self.orders.labels(self.stream, "rejected").inc()
            elif isinstance(ev, Trade):
                self.trades.labels(self.stream).inc()
            elif isinstance(ev, OrderCancelled):
                self.cancels.labels(self.stream).inc()

    def on_batch(self, seconds: float, commands: int) -> None:
        """Sequencer batch hook: every command of the batch waited (at most) the batch's processing time."""
        for _ in range(min(commands, 1000)):
            self.match_latency.labels(self.stream).observe(seconds)


class _DatabaseCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Any]:
        now = int(time.time())
        by_status = GaugeMetricFamily("polyclob_trades", "Trades per settlement status", labels=["status"])
        lag = GaugeMetricFamily("polyclob_settlement_lag_seconds", "Age of the oldest unsettled trade")
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(trades.c.status, func.count()).group_by(trades.c.status)).all()
            oldest = conn.execute(
                select(func.min(trades.c.match_time)).where(trades.c.status.in_(("MATCHED", "MINED", "RETRYING")))
            ).scalar_one_or_none()
            indexer = _optional(conn, "select last_block, head_block from chain_cursor where name = 'main'")
            open_discrepancies = _optional(
                conn, "select count(*) from reconciliation_discrepancies where resolved = false"
            )
        for status, count in rows:
            by_status.add_metric([status], count)
        lag.add_metric([], max(0, now - int(oldest)) if oldest is not None else 0)
        yield by_status
        yield lag
        if indexer is not None:
            last, head = indexer
            yield GaugeMetricFamily("polyclob_indexer_last_block", "Last indexed block", value=last or 0)
            yield GaugeMetricFamily(
                "polyclob_indexer_lag_blocks",
                "Chain head minus last indexed block",
                value=max(0, (head or 0) - (last or 0)),
            )
        yield GaugeMetricFamily(
            "polyclob_discrepancies_open",
            "Unresolved reconciliation discrepancies",
            value=open_discrepancies[0] if open_discrepancies is not None else 0,
        )


def _optional(conn: Any, sql: str) -> Any:
    """One row of a query on a table another service owns, or None if that table or row does not exist."""
    try:
        with conn.begin_nested():
            return conn.execute(text(sql)).first()
    except Exception:
        return None


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")
