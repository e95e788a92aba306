"""The distributed mode runs on the production store: a clean PostgreSQL database per test."""

from __future__ import annotations

import pytest

from clob.store import connect_database
from clob.store.schema import metadata
from tests.support.nats import nats_available


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    if not nats_available():
        pytest.skip("nats-server is not installed")
    db = connect_database(pg_server_url)
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    db.dispose()
    return pg_server_url
