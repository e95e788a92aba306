"""Fixtures of the indexer's chain tests: a fresh anvil per test, the database under test, a reference database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Database, connect_database
from tests.integration.indexer.world import World, start_world


@pytest.fixture
def world() -> Iterator[World]:
    yield from start_world()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = connect_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def ref_url(tmp_path: Path) -> str:
    """An empty SQLite database to index the final chain into from scratch, as the expected state."""
    return f"sqlite:///{tmp_path / 'reference.db'}"
