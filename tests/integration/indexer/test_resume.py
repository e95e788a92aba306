"""Restart, crash inside a step, duplicate delivery and the confirmation depth, on anvil."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import update

from indexer import Indexer, LogFilter, RawLog, RpcSource
from indexer.projections import Projector
from store import Database, connect_database
from store.queries import chain as queries
from store.schema.indexer import chain_cursor
from tests.integration.indexer.world import USDC, World, dump, fresh_dump


def _activity(world: World, transfers: int = 12) -> None:
    oracle, alice = world.signer(1), world.signer(2)
    c = world.prepare("Resume me", oracle)
    world.fund(alice, 100 * USDC)
    world.split(alice, c, 50 * USDC)
    for i in range(transfers):
        world.transfer(alice, world.signer(3 + i % 4).address, c.yes if i % 2 else c.no, 100 + i)
    world.merge(alice, c, 1 * USDC)


def test_restart_mid_catch_up_resumes_from_the_cursor(world: World, db_url: str, ref_url: str) -> None:
    _activity(world)
    first = connect_database(db_url)
    idx = world.indexer(first, initial_range=3, max_range=3)
    steps = [idx.run_once() for _ in range(3)]
    assert [(s.from_block, s.to_block) for s in steps] == [(1, 3), (4, 6), (7, 9)]
    assert not steps[-1].synced
    del idx
    first.dispose()  # the process "dies" between steps

    second = connect_database(db_url)
    again = world.indexer(second, initial_range=3, max_range=3)
    results = again.run_until_synced()
    assert results[0].from_block == 10  # resumed, nothing re-read
    assert queries.last_indexed_block(second) == world.head
    assert dump(second) == fresh_dump(world, ref_url)
    second.dispose()


class _CrashError(Exception):
    pass


def test_crash_inside_a_step_leaves_no_partial_rows(
    world: World, db_url: str, ref_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _activity(world)
    first = connect_database(db_url)
    idx = world.indexer(first, initial_range=4, max_range=4)
    idx.run_once()
    calls = {"n": 0}
    original = Projector.project

    def project_then_crash(self: Projector, logs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise _CrashError("killed while writing blocks 5..8")
        return original(self, logs)  # type: ignore[arg-type]

    monkeypatch.setattr(Projector, "project", project_then_crash)
    with pytest.raises(_CrashError):
        idx.run_once()  # the headers were already inserted in this transaction: all rolled back
    assert queries.last_indexed_block(first) == 4
    first.dispose()

    second = connect_database(db_url)
    world.indexer(second, initial_range=4, max_range=4).run_until_synced()
    assert dump(second) == fresh_dump(world, ref_url)
    second.dispose()


class DoublingSource(RpcSource):
    """Delivers every log twice and in reverse order, as an overlapping subscription + poll might."""

    def logs(self, from_block: int, to_block: int, filters: Sequence[LogFilter]) -> list[RawLog]:
        logs = super().logs(from_block, to_block, filters)
        return logs[::-1] + logs


def test_duplicate_delivery_stores_each_log_once(world: World, db: Database, ref_url: str) -> None:
    _activity(world)
    idx = world.indexer(db)
    idx.source = DoublingSource(world.anvil.url)
    results = idx.run_until_synced()
    assert sum(r.logs for r in results) == 2 * sum(r.new_logs for r in results)
    expected = fresh_dump(world, ref_url)
    assert dump(db) == expected

    # Re-delivery of everything already stored: rewind the cursor and index the whole range again.
    with db.engine.begin() as conn:
        conn.execute(update(chain_cursor).values(last_block=world.manifest.deploy_block - 1))
    results = idx.run_until_synced()
    assert sum(r.new_logs for r in results) == 0
    assert dump(db) == expected

    # And the same decoded batch handed to the store twice.
    raw = RpcSource(world.anvil.url).logs(1, world.head, idx.filters())
    decoded = idx.registry.decode_many(raw)
    assert idx.store.ingest("main", decoded, idx.projector).new_logs == 0
    assert dump(db) == expected


def test_confirmation_depth(world: World, db: Database) -> None:
    _activity(world, transfers=4)
    head = world.head

    # Following the head: everything is stored, only blocks <= head - 3 count as confirmed.
    idx = world.indexer(db, confirmations=3)
    idx.run_until_synced()
    status = queries.indexer_status(db)
    assert status is not None
    assert (status.last_indexed_block, status.confirmed_block, status.head_block) == (head, head - 3, head)
    world.anvil.mine(2)
    idx.run_once()
    status = queries.indexer_status(db)
    assert status is not None
    assert (status.last_indexed_block, status.confirmed_block) == (head + 2, head - 1)


def test_confirmed_only_mode_waits_for_depth(world: World, db_url: str) -> None:
    _activity(world, transfers=4)
    head = world.head
    db = connect_database(db_url)
    idx: Indexer = world.indexer(db, confirmations=3, follow_unconfirmed=False)
    idx.run_until_synced()
    assert queries.last_indexed_block(db) == head - 3
    alice = world.signer(2).address
    before = {p.token_id: p.balance for p in queries.positions_by_user(db, alice)}
    world.anvil.mine(3)
    idx.run_until_synced()
    assert queries.last_indexed_block(db) == head
    after = {p.token_id: p.balance for p in queries.positions_by_user(db, alice)}
    assert after != before  # the last transfers and the merge became final and were indexed
    assert all(world.balance(alice, t) == b for t, b in after.items())
    db.dispose()
