"""Trade status changes on the bus: the batcher publishes each one, every gateway's WebSockets deliver it.

In the embedded mode the batcher calls the API's WebSocket hub directly (``WsHub.on_trade_status``). In the
distributed mode a user may be connected to any gateway, so the batcher publishes every change
(MINED / CONFIRMED / RETRYING / FAILED, with the trade row) on ``polyclob.events.settlement.status`` (stream
``EVENTS``, message id ``<trade id>:<status>:<tx hash>``, so a republished change is stored once), and each gateway
follows that subject and hands the changes to its hub. Outside consumers can follow it too.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from clob.distributed.bus import MSG_ID, BusThread, connect, ensure_streams

log = logging.getLogger(__name__)

STATUS_SUBJECT = "polyclob.events.settlement.status"


def status_message(row: Mapping[str, Any], status: str, tx_hash: str) -> tuple[bytes, dict[str, str]]:
    doc = {"trade": dict(row), "status": status, "tx_hash": tx_hash}
    msg_id = f"{row.get('trade_id', '')}:{status}:{tx_hash}"
    return json.dumps(doc, default=str, separators=(",", ":")).encode(), {MSG_ID: msg_id}


def parse_status(data: bytes) -> tuple[dict[str, Any], str, str]:
    doc = json.loads(data)
    return dict(doc["trade"]), str(doc["status"]), str(doc.get("tx_hash", ""))


class StatusPublisher:
    """A batcher row listener (``batcher.add_row_listener(publisher)``) that publishes every change."""

    def __init__(self, servers: list[str], replicas: int = 1) -> None:
        self._bus = BusThread("status-publisher")
        self._bus.run(self._connect(servers, replicas))

    async def _connect(self, servers: list[str], replicas: int) -> None:
        self._nc = await connect(servers, f"settlement-status-{os.getpid()}")
        self._js = self._nc.jetstream()
        await ensure_streams(self._js, [], replicas)

    def __call__(self, row: Mapping[str, Any], status: str, tx_hash: str) -> None:
        payload, headers = status_message(row, status, tx_hash)

        def done(f: Future[Any]) -> None:
            if f.exception() is not None:
                log.error("trade status %s not published: %s", headers[MSG_ID], f.exception())

        self._bus.call(self._js.publish(STATUS_SUBJECT, payload, headers=headers, timeout=5)).add_done_callback(done)

    def close(self) -> None:
        try:
            self._bus.run(self._nc.close(), timeout=5)
        finally:
            self._bus.close()
