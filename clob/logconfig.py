"""Logging for every process of the stack: one line per meaningful event, no per-tick noise.

``configure_logging()`` is what each entry point calls (``make run``'s stack runner, the shard sequencers, the
batcher, the indexer). By default a process logs its start-up, warnings and errors, and one line per meaningful
event of its own (a settlement batch, a market created, a chain rollback, a reconciliation discrepancy opened or
resolved, GTD expiries at most once a minute). Libraries that log per request or per tick at INFO — apscheduler's
"Running job … executed successfully" for a 100 ms job, uvicorn's access log, httpx's request lines, web3,
urllib3, the NATS client — are set to WARNING: their warnings and errors still show.

Format: JSON lines by default (``POLYCLOB_LOG_FORMAT=json``): one object per line with ``ts`` (UTC, ISO 8601 with
milliseconds), ``level``, ``logger``, ``msg`` and, with an exception, ``exc`` (the traceback as one string),
written by ``json.dumps``, so a message with quotes, backslashes or newlines is still one valid line a harness or a
log shipper can parse (the previous format was a %-format string that only looked like JSON). A person reading it
sees the same fields in the same order on every line. ``POLYCLOB_LOG_FORMAT=text`` gives plain
``time level logger: message`` lines instead. ``POLYCLOB_LOG_LEVEL`` (default INFO) sets the level of everything
else.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Final

QUIET: Final = (
    "apscheduler",
    "uvicorn.access",
    "httpx",
    "httpcore",
    "web3",
    "urllib3",
    "websockets",
    "nats",
    "asyncio",
    "alembic",
    "settlement.scheduler",
)
"""Loggers held at WARNING: they log per request, per tick or per connection at INFO (``settlement.scheduler`` is
the batcher's apscheduler scheduler, under our name: its job bookkeeping)."""

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per record: ``ts``, ``level``, ``logger``, ``msg`` and, if any, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.gmtime(record.created)
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(level: str | int | None = None, fmt: str | None = None) -> None:
    """Set up the root logger of this process (replacing its handlers) and quieten the libraries in `QUIET`."""
    chosen = level if level is not None else os.environ.get("POLYCLOB_LOG_LEVEL", "INFO")
    style = (fmt or os.environ.get("POLYCLOB_LOG_FORMAT", "json")).lower()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(TEXT_FORMAT) if style == "text" else JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(chosen.upper() if isinstance(chosen, str) else chosen)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
