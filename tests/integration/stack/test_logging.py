"""The stack's log (``make run``'s stderr): start-up, warnings, errors and meaningful events — no per-tick lines —
and every log line one valid JSON object (``clob.logconfig``)."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from clob.logconfig import JsonLines, configure_logging
from tests.integration.stack.test_end_to_end import stack  # noqa: F401 - the fixture

IDLE_S = 6.0


def _log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines of a stderr capture (the runner's plain status lines are skipped); each must parse."""
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def test_an_idle_stack_logs_no_per_tick_lines(stack: dict[str, Any]) -> None:  # noqa: F811
    err: Path = stack["state_dir"] / "stack.err"
    started = len(_log_lines(err))
    time.sleep(IDLE_S)
    idle = _log_lines(err)[started:]
    per_logger = Counter(line["logger"] for line in idle)
    assert not [line for line in idle if line["logger"].startswith("apscheduler")], idle[:5]
    # no logger repeats itself while nothing happens (the batcher's 100 ms job used to log twice a tick)
    assert all(count <= 2 for count in per_logger.values()), per_logger
    assert len(idle) <= 5, idle
    assert all(line["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") for line in idle)


def test_log_lines_are_json_whatever_the_message(capsys: Any) -> None:
    configure_logging("INFO", "json")
    try:
        log = logging.getLogger("polyclob.test")
        log.info('a "quoted" message\nwith a newline and a \\ backslash')
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed on %s", "purpose")
        logging.getLogger("apscheduler.executors.default").info('Job "x" executed successfully')
        logging.getLogger("apscheduler.executors.default").warning("Run time of job was missed")
    finally:
        logging.getLogger().handlers.clear()
    lines = capsys.readouterr().err.splitlines()
    docs = [json.loads(line) for line in lines]
    assert [d["msg"] for d in docs] == [
        'a "quoted" message\nwith a newline and a \\ backslash',
        "failed on purpose",
        "Run time of job was missed",
    ]
    assert "ValueError: boom" in docs[1]["exc"]
    assert docs[0]["logger"] == "polyclob.test"
    assert docs[0]["ts"].endswith("Z")
    assert isinstance(JsonLines().format(logging.makeLogRecord({"msg": "x"})), str)
