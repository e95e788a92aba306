"""The soak's CI form: the whole stack (``python -m bench.system``) for at most 3 minutes with a fixed seed, every
fault kind at least once, and zero violations of every invariant.

It starts a real stack (anvil, API, batcher, indexer) on ports 9500/9550 (``SOAK_API_PORT``/``SOAK_CHAIN_PORT``
move them) and needs both cores for a while, so it runs only when
``POLYCLOB_SOAK=1`` (neither CI nor ``make test`` sets it).

The load lasts 45 s with 3 s between faults: the faults themselves (an RPC outage of 30 s, two restarts) stretch
the load to their end, so every kind still fires under load; the drain waits only until every trade is terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.system.faults import KINDS
from chain.deploy import exchange_available

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.chain,
    pytest.mark.skipif(os.environ.get("POLYCLOB_SOAK") != "1", reason="the soak runs with POLYCLOB_SOAK=1"),
    pytest.mark.skipif(not exchange_available(), reason="build/contracts/Exchange.json is missing"),
]


@pytest.mark.timeout(420)
def test_soak_short_has_no_violations(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.system",
            "--seconds",
            "45",
            "--fault-gap",
            "3",
            "--seed",
            "15",
            "--state-dir",
            str(tmp_path / "s"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    elapsed = time.monotonic() - started
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr[-3000:]
    result = json.loads(lines[-1])
    assert {f["kind"] for f in result["faults"]} == set(KINDS), result["faults"]
    findings = "\n".join(line for line in proc.stderr.splitlines() if line.startswith(("ok ", "FAIL ")))
    assert result["violations_total"] == 0, f"{json.dumps(result['violations'])}\n{findings}\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0
    print(f"short soak: {elapsed:.0f}s wall\n{lines[-1]}")
