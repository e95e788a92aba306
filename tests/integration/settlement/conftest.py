"""Settlement fixtures: a fresh chain, markets, traders, database and sequencer per test (see ``world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.settlement.world import World, start_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    """The batcher's world on SQLite and on PostgreSQL."""
    yield from start_world(db_url, tmp_path)


@pytest.fixture
def lite_world(tmp_path: Path) -> Iterator[World]:
    """The batcher's world on SQLite only (tests whose subject is the chain side)."""
    yield from start_world(f"sqlite:///{tmp_path / 'settlement.db'}", tmp_path)
