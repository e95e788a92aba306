"""The engine benchmark runs small and ends with its one-line JSON summary."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_engine.py"


def test_bench_engine_small_run_prints_the_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_engine_smoke", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.main(["--commands", "3000", "--memory-orders", "2000", "--snapshot-orders", "2000"]) == 0
    out = capsys.readouterr().out
    assert "snapshot: 2,000 resting orders" in out
    assert (
        module.main(["--commands", "2000", "--book", "300", "--memory-orders", "2000", "--snapshot-orders", "0"]) == 0
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert set(summary) == {"ops_per_s", "naive_ops_per_s", "ratio", "p50_us", "p99_us", "bytes_per_order"}
    assert summary["ops_per_s"] > 0
    assert summary["naive_ops_per_s"] > 0
    assert 0 < summary["bytes_per_order"] < 1_000
    assert module.main(["--table", "--commands", "1000", "--depths", "0,200"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 4
    assert rows[2].startswith("| natural (from empty) |")
    assert rows[3].startswith("| held near 200 |")
