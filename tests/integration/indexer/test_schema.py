"""Migration 0002 creates exactly the tables ``store/schema/indexer.py`` declares (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store import Database
from store.schema import metadata
from store.schema.indexer import ALL_TABLES


def test_migration_matches_the_declared_tables(db: Database) -> None:
    names = {t.name for t in ALL_TABLES}
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)

    def table_of(diff: Any) -> str | None:
        if isinstance(diff, list):  # column modifications come as a list of tuples
            return table_of(diff[0])
        kind, obj = diff[0], diff[1]
        if kind.endswith("_table"):
            return str(obj.name)
        if kind.endswith("_index") or kind.endswith("_constraint"):
            return str(obj.table.name)
        return str(diff[2])  # ("add_column", schema, table, column), ("modify_*", schema, table, ...)

    ours = [d for d in diffs if table_of(d) in names]
    assert ours == []
    with db.engine.connect() as conn:
        present = set(conn.dialect.get_table_names(conn))
    assert names <= present
