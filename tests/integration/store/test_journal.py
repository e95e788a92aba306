"""The hash-chained journal on SQLite and PostgreSQL: append, reload, verify, tamper detection."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from store import Journal, JournalVerifyError, connect_database, entry_hash
from store.journal import GENESIS, verify_chain
from store.schema import journal


def test_append_reload_and_verify(db_url: str) -> None:
    db = connect_database(db_url)
    j = Journal(db, "s1")
    assert (j.head_seq, j.head_hash) == (0, GENESIS)
    first = j.append([("place", b'{"a":1}', 1000), ("cancel", b'{"b":2}', 1001)])
    assert [e.seq for e in first] == [1, 2]
    assert first[1].prev_hash == first[0].hash
    assert first[0].hash == entry_hash(GENESIS, 1, 1000, "place", b'{"a":1}')
    j.append([("place", b'{"c":3}', 1002)])

    # Another stream is independent.
    other = Journal(db, "s2")
    assert other.head_seq == 0
    other.append([("place", b"{}", 5)])

    reopened = Journal(db, "s1")
    assert reopened.head_seq == 3
    assert reopened.head_hash == j.head_hash
    assert verify_chain(reopened.read()) == j.head_hash
    assert [e.kind for e in reopened.read(from_seq=2)] == ["cancel", "place"]
    db.dispose()


@pytest.mark.parametrize("column", ["payload", "kind", "ts_ms"])
def test_tampered_entry_is_named_by_sequence(db_url: str, column: str) -> None:
    db = connect_database(db_url)
    j = Journal(db, "main")
    j.append([("place", f'{{"n":{i}}}'.encode(), 100 + i) for i in range(10)])
    with db.engine.begin() as conn:
        row = conn.execute(select(journal).where(journal.c.seq == 7)).one()
        changed = {
            "payload": bytes(row.payload).replace(b"6", b"8"),
            "kind": "cancel",
            "ts_ms": int(row.ts_ms) + 1,
        }[column]
        conn.execute(update(journal).where(journal.c.seq == 7).values({column: changed}))
    with pytest.raises(JournalVerifyError) as info:
        verify_chain(Journal(db, "main").read())
    assert info.value.seq == 7
    db.dispose()


def test_duplicate_sequence_is_refused(db_url: str) -> None:
    db = connect_database(db_url)
    j1 = Journal(db, "main")
    j2 = Journal(db, "main")
    j1.append([("place", b"{}", 1)])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate|constraint"):
        j2.append([("place", b"{}", 1)])
    db.dispose()
