"""The reconciler's command line is ``python -m reconcile``; the indexer's CLI points there instead of running it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from indexer.__main__ import main as indexer_main

ROOT = Path(__file__).resolve().parents[3]


def test_python_m_reconcile_is_the_reconcilers_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reconcile", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "usage: python -m reconcile" in out.stdout
    assert "--balances" in out.stdout


def test_the_indexer_cli_names_the_reconcilers_instead(capsys: pytest.CaptureFixture[str]) -> None:
    assert indexer_main(["reconcile", "--db", "sqlite://"]) == 2
    assert "python -m reconcile" in capsys.readouterr().err
