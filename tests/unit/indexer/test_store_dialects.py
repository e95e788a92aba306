"""The indexer store refuses a database it has no SQL for with an ``IndexerError``, before it touches it."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Engine, create_engine, create_mock_engine

from indexer import IndexerError, IndexerStore, UnsupportedDatabaseError


def _engine(url: str) -> Engine:
    def refuse(*args: Any, **kw: Any) -> None:
        raise AssertionError("the store must not execute anything on an unsupported database")

    # A mock engine has MySQL's dialect without needing a MySQL driver or server.
    return cast(Engine, create_mock_engine(url, refuse))


@pytest.mark.parametrize("url", ["mysql://", "mssql://", "oracle://"])
def test_an_unsupported_database_is_an_indexer_error_naming_it(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseError) as caught:
        IndexerStore(_engine(url))
    assert isinstance(caught.value, IndexerError)
    dialect = url.removesuffix("://")
    assert caught.value.dialect == dialect
    assert repr(dialect) in str(caught.value)
    assert "SQLite or PostgreSQL" in str(caught.value)


def test_sqlite_is_accepted() -> None:
    engine = create_engine("sqlite://")
    try:
        assert IndexerStore(engine).engine is engine
    finally:
        engine.dispose()
