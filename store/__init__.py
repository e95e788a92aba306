"""Durable storage: SQLAlchemy 2 Core tables, Alembic migrations, and the hash-chained command journal.

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
