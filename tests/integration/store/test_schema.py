"""The store owns every table: each is declared in exactly one ``store.schema`` module, and the Alembic migrations
create exactly what ``store.schema.metadata`` declares, on SQLite and PostgreSQL (the book's and the journal's
tables included, which no other schema test covers)."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table

import store.schema
from store import connect_database
from store.schema import metadata

OWNERS = ("journal", "book", "settlement", "indexer", "reconcile")


def _tables_of(module_name: str) -> set[str]:
    module = importlib.import_module(f"store.schema.{module_name}")
    return {v.name for v in vars(module).values() if isinstance(v, Table) and v.metadata is metadata}


def test_every_table_has_exactly_one_owner_module() -> None:
    modules = {m.name for m in pkgutil.iter_modules(store.schema.__path__)}
    assert modules == {"base", *OWNERS}
    owned = {name: _tables_of(name) for name in OWNERS}
    everything = [t for tables in owned.values() for t in tables]
    assert len(everything) == len(set(everything)), owned  # nobody declares another owner's table
    assert set(everything) == set(metadata.tables)  # and every table has an owner
    assert {"journal", "trades", "settlement_txs", "chain_fills", "reconciliation_runs"} <= set(everything)


def test_the_migrations_create_exactly_the_declared_tables(db_url: str) -> None:
    db = connect_database(db_url)
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.dispose()
    assert diffs == []
