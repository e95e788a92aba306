"""Durable storage: every table of the exchange (SQLAlchemy 2 Core, ``store.schema``, one module per owner), the
Alembic migrations, the hash-chained command journal, and the read queries that cross from one owner's tables into
another's (``store.queries``, one module per consumer). The store imports none of the packages that use it.

SQLite (WAL) is the embedded default; PostgreSQL (``postgresql+psycopg://...``) is the production store. Both run
the same migrations and the same tests.
"""

from store.db import Database, WalCheckpointer, connect_database
from store.journal import Journal, JournalEntry, JournalVerifyError, entry_hash
from store.schema import metadata

__all__ = [
    "Database",
    "Journal",
    "JournalEntry",
    "JournalVerifyError",
    "WalCheckpointer",
    "connect_database",
    "entry_hash",
    "metadata",
]
