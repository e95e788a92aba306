"""Reconciliation fixtures: the settlement tests' world (chain, markets, funded traders, database, sequencer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.settlement.world import World, start_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    """A fresh chain and book per test, on SQLite and on PostgreSQL."""
    yield from start_world(db_url, tmp_path)
