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

import bisect
import threading
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from clob.engine import OrderAccepted, OrderCancelled, OrderRejected, Trade
from clob.service.applied import Applied
from store.db import Database
from store.schema import trades

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
        self.match_latency = _BatchLatency(stream)
        self.registry.register(self.match_latency)
        self.registry.register(_DatabaseCollector(db))
        # each series resolved once (a labels() lookup per event would cost the sequencer thread)
        self._commands = self.commands.labels(stream)
        self._accepted = self.orders.labels(stream, "accepted")
        self._rejected = self.orders.labels(stream, "rejected")
        self._trades = self.trades.labels(stream)
        self._cancels = self.cancels.labels(stream)

    def on_applied(self, item: Applied) -> None:
        """Sequencer listener (runs on the sequencer thread)."""
        self._commands.inc()
        for ev in item.events:
            if isinstance(ev, OrderAccepted):
                self._accepted.inc()
            elif isinstance(ev, OrderRejected):
                self._rejected.inc()
            elif isinstance(ev, Trade):
                self._trades.inc()
            elif isinstance(ev, OrderCancelled):
                self._cancels.inc()

    def on_batch(self, seconds: float, commands: int) -> None:
        """Sequencer batch hook: every command of the batch waited (at most) the batch's processing time."""
        self.match_latency.observe(seconds, commands)


class _BatchLatency(Collector):
    """``polyclob_command_latency_seconds``: a histogram fed once per sequencer batch with the batch's time and its
    number of commands (one observation per command, added in one step instead of one call per command)."""

    BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self._counts = [0] * (len(self.BUCKETS) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, seconds: float, count: int) -> None:
        index = bisect.bisect_left(self.BUCKETS, seconds)
        with self._lock:
            self._counts[index] += count
            self._sum += seconds * count

    def collect(self) -> Iterator[Any]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        family = HistogramMetricFamily(
            "polyclob_command_latency_seconds",
            "Time from submission to durable result (journal + engine + projections), per command",
            labels=["stream"],
        )
        cumulative, buckets = 0, []
        for bound, count in zip([*map(str, self.BUCKETS), "+Inf"], counts, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric([self.stream], buckets, total)
        yield family


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
