"""Shared fixtures: one anvil chain per test session, contracts deployed once, snapshot/revert per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chain.anvil import Anvil, dev_key
from chain.deploy import deploy
from chain.rpc import Signer, connect
from store import connect_database, metadata
from tests.support.chain import Chain


@pytest.fixture(scope="session")
def anvil_session() -> Iterator[Anvil]:
    with Anvil() as node:
        yield node


@pytest.fixture(scope="session")
def chain_session(anvil_session: Anvil) -> Chain:
    manifest = deploy(anvil_session.url, dev_key(0))
    w3 = connect(anvil_session.url)
    return Chain(anvil_session, w3, manifest, Signer.from_key(w3, dev_key(0)))


@pytest.fixture
def chain(chain_session: Chain) -> Iterator[Chain]:
    """The session chain, reverted to its deployed state after the test."""
    snap = chain_session.anvil.snapshot()
    try:
        yield chain_session
    finally:
        chain_session.anvil.revert(snap)
        chain_session.deployer.nonce = None


PG_ADMIN_URL = os.environ.get("POLYCLOB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    with new_pg_database("polyclob_test") as url:
        yield url


@contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database named ``prefix`` + a random suffix, dropped on exit; skips the
    test when PostgreSQL is not reachable (fails it under ``POLYCLOB_REQUIRE_PG``)."""
    if not _pg_available():
        if os.environ.get("POLYCLOB_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: SQLite in a temp dir, or the session's PostgreSQL database, cleaned."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url: str = request.getfixturevalue("pg_server_url")
    yield emptied(url)


def emptied(url: str) -> str:
    """``url`` after deleting every row of every table (the schema stays migrated)."""
    db = connect_database(url)
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    db.dispose()
    return url
