"""The compiled engine (mypyc, `scripts/build_engine.py`) and its pure Python source are one engine: the
extensions must be built from the current sources, and both builds must emit the same events, state hashes and
snapshots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pure_python
import pytest

from scripts import build_engine

ROOT = Path(__file__).resolve().parents[3]
SEEDS = range(12)
LENGTH = 250


def test_compiled_extensions_are_built_from_the_current_sources() -> None:
    stamp = build_engine.built_stamp()
    if stamp is None:
        assert not pure_python.compiled()
        pytest.skip("the engine is not compiled (pure Python)")
    assert stamp == build_engine.source_hash(), (
        "clob/engine's compiled extensions are stale: run `make bootstrap` (or `python -m scripts.build_engine`), "
        "or `python -m scripts.build_engine --clean` to run the pure Python source"
    )
    assert pure_python.compiled() != bool(os.environ.get("CLOB_ENGINE_PURE"))


def test_pure_python_source_emits_what_the_imported_build_emits() -> None:
    """The same busy streams through this process's engine (compiled when built) and through the pure Python
    source in a subprocess: identical events, state hashes and snapshot bytes."""
    code = (
        "import pure_python; pure_python.install(); assert not pure_python.compiled(); "
        f"print(pure_python.stream_digest(range({SEEDS.start}, {SEEDS.stop}), {LENGTH}))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)])}
    pure = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600
    )
    assert pure.stdout.strip() == pure_python.stream_digest(SEEDS, LENGTH)
