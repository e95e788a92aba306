"""The ``0003_settlement`` migration creates exactly the tables ``store.schema.settlement`` declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store import connect_database, metadata
from store.schema.settlement import ALL_TABLES

MINE = {t.name for t in ALL_TABLES}


def _table_of(diff: Any) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return _table_of(diff[0])
    for item in diff[1:]:
        name = getattr(item, "name", None) if not isinstance(item, str) else item
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if name in MINE:
            return str(name)
    return ""


def test_migration_matches_the_declared_settlement_tables(db_url: str) -> None:
    db = connect_database(db_url)
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.dispose()
    mine = [d for d in diffs if _table_of(d) in MINE]
    assert mine == []
