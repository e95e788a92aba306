"""The follower against an in-memory chain: random interleavings of mining, reorgs (also in the middle of a step),
refused ranges, restarts and steps always end in the state of indexing the final chain from scratch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select

from indexer import Indexer, IndexerConfig
from indexer.errors import ChainMismatchError
from store import Database, connect_database
from store.schema import metadata
from store.schema.indexer import ALL_TABLES, chain_blocks, chain_cursor, chain_logs, chain_positions, chain_reorgs
from tests.unit.indexer.fake_chain import CTF, FakeChain, Transfer

PEOPLE = ["0x" + f"{i:02x}" * 20 for i in (0xA1, 0xB2, 0xC3, 0xD4)]
MINTER = "0x" + "00" * 20
WINDOW = 8


@contextmanager
def memory_db() -> Iterator[Database]:
    db = connect_database("sqlite://", migrate=False)
    metadata.create_all(db.engine, tables=list(ALL_TABLES))
    try:
        yield db
    finally:
        db.dispose()


def make_indexer(db: Database, chain: FakeChain, **overrides: Any) -> Indexer:
    cfg: dict[str, Any] = {"start_block": 1, "confirmations": 2, "reorg_window": WINDOW}
    cfg.update(overrides)
    return Indexer(db, chain, IndexerConfig(addresses={"ctf": CTF}, **cfg))


@contextmanager
def synced(chain: FakeChain, **overrides: Any) -> Iterator[tuple[Database, Indexer]]:
    """A fresh in-memory database and an indexer over ``chain`` that has caught up with it."""
    with memory_db() as db:
        idx = make_indexer(db, chain, **overrides)
        idx.run_until_synced()
        yield db, idx


def state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    skip = {chain_blocks.name, chain_cursor.name, chain_reorgs.name}
    with db.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in ALL_TABLES if t.name not in skip}


transfers_st = st.lists(
    st.tuples(st.sampled_from([MINTER, *PEOPLE]), st.sampled_from(PEOPLE), st.integers(1, 3), st.integers(1, 100)),
    max_size=3,
)
blocks_st = st.lists(transfers_st, min_size=1, max_size=4)
reorg_st = st.tuples(st.just("reorg"), st.integers(1, WINDOW - 1), st.lists(transfers_st, max_size=6), st.booleans())
op_st = st.one_of(
    reorg_st,
    reorg_st,  # listed twice: reorgs are what this test is about
    st.tuples(st.just("reorg_mid_step"), st.integers(1, WINDOW - 1), st.lists(transfers_st, max_size=6)),
    st.tuples(
        st.just("reorg_before_fetch"), st.integers(1, WINDOW - 1), st.lists(transfers_st, max_size=6), st.integers(0, 2)
    ),
    st.tuples(st.just("mine"), blocks_st),
    st.tuples(st.just("step"), st.integers(1, 4)),
    st.tuples(st.just("sync")),
    st.tuples(st.just("restart")),
)


@seed(20261130)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(op_st, min_size=3, max_size=14),
    initial_range=st.integers(1, 6),
    node_limit=st.one_of(st.none(), st.integers(1, 4)),
    follow_unconfirmed=st.booleans(),
)
def test_follower_converges_to_the_canonical_chain(
    ops: list[tuple[Any, ...]], initial_range: int, node_limit: int | None, follow_unconfirmed: bool
) -> None:
    chain = FakeChain(max_range=node_limit)
    chain.mine(*[[(MINTER, PEOPLE[i % 4], 1 + i % 3, 1000)] for i in range(6)])
    opts = {"initial_range": initial_range, "max_range": 6, "follow_unconfirmed": follow_unconfirmed}
    with memory_db() as db:
        idx = make_indexer(db, chain, **opts)
        reorgs = rollbacks = 0
        for op in ops:
            kind = op[0]
            if kind == "mine":
                chain.mine(*op[1])
            elif kind == "reorg" and chain.head() >= 2:
                if op[3]:  # catch up first, so that the reorg orphans indexed blocks
                    rollbacks += any(r.reorg is not None for r in idx.run_until_synced())
                chain.reorg(min(op[1], chain.head() - 1), *op[2])
                reorgs += 1
            elif kind == "reorg_mid_step" and chain.head() >= 2:
                depth, new_blocks = op[1], op[2]
                chain.on_logs = lambda c, d=depth, nb=new_blocks: c.reorg(max(1, min(d, c.head() - 1)), *nb)
                idx.run_once()
                chain.on_logs = None
            elif kind == "reorg_before_fetch" and chain.head() >= 2:
                depth, new_blocks, countdown = op[1], op[2], op[3]
                chain.on_headers = lambda c, d=depth, nb=new_blocks: c.reorg(max(1, min(d, c.head() - 1)), *nb)
                chain.headers_countdown = countdown
                idx.run_once()
                chain.on_headers = None
            elif kind == "step":
                for _ in range(op[1]):
                    rollbacks += idx.run_once().reorg is not None
            elif kind == "sync":
                rollbacks += any(r.reorg is not None for r in idx.run_until_synced())
            elif kind == "restart":
                idx = make_indexer(db, chain, **opts)
        rollbacks += any(r.reorg is not None for r in idx.run_until_synced())
        event("rolled back" if rollbacks else ("reorg, no rollback" if reorgs else "no reorg"))
        got = state(db)
        cursor = idx.store.cursor("main")
        assert cursor is not None
        head = chain.head()
        if follow_unconfirmed:
            assert cursor.last_block == head
        else:  # a chain that got shorter leaves already indexed, still canonical blocks above head - 2
            assert max(head - 2, 0) <= cursor.last_block <= head
        assert cursor.confirmed_block == max(head - 2, 0)

    # Expected, from the canonical chain up to the cursor: its logs, its balances, and the whole state equal to a
    # fresh index of it.
    canonical = FakeChain(blocks=chain.blocks[: cursor.last_block + 1])
    expected_logs = {(lg.block_number, lg.log_index, lg.block_hash) for b in canonical.blocks[1:] for lg in b.logs}
    assert {(r[0], r[1], r[3]) for r in got[chain_logs.name]} == expected_logs
    assert {(r[0], r[1]): int(r[2]) for r in got[chain_positions.name]} == canonical.balances()
    with synced(canonical, **{**opts, "follow_unconfirmed": True}) as (fresh, _):
        assert state(fresh) == got


def test_reorg_deeper_than_the_window_rolls_back_to_the_highest_log_block_still_canonical() -> None:
    chain = FakeChain()
    chain.mine(*[[(MINTER, PEOPLE[0], 1, i + 1)] for i in range(20)])
    with synced(chain) as (db, idx):
        depth = WINDOW + 3
        chain.reorg(depth, *[[(MINTER, PEOPLE[1], 1, 7)]] * depth)
        step = idx.run_once()
        assert step.reorg is not None
        assert step.reorg.ancestor == chain.head() - depth
        idx.run_until_synced()
        with synced(chain) as (fresh, _):
            assert state(db) == state(fresh)


def test_a_chain_restored_far_below_the_window_is_reindexed_from_its_last_common_block() -> None:
    chain = FakeChain()
    chain.mine(*[[(MINTER, PEOPLE[0], 1, i + 1)] for i in range(6)])
    chain.mine(*[[]] * 30)  # blocks without our logs: the stored window holds none of the logs
    chain.mine(*[[(MINTER, PEOPLE[2], 1, i + 1)] for i in range(4)])
    with synced(chain) as (db, idx):
        chain.reorg(36, [(MINTER, PEOPLE[3], 1, 5)])  # back to block 4, then one new block
        step = idx.run_once()
        assert step.reorg is not None
        assert step.reorg.ancestor == 4, "the highest block of a stored log that the chain still has"
        idx.run_until_synced()
        with synced(chain) as (fresh, _):
            assert state(db) == state(fresh)


def test_chain_id_is_guarded() -> None:
    chain = FakeChain()
    chain.mine([(MINTER, PEOPLE[0], 1, 5)])
    with memory_db() as db:
        make_indexer(db, chain).run_until_synced()
        with pytest.raises(ChainMismatchError):
            make_indexer(db, FakeChain(chain_id_value=99)).run_once()


def test_reorg_inside_a_step_is_retried_not_stored() -> None:
    chain = FakeChain()
    chain.mine(*[[(MINTER, PEOPLE[0], 1, i + 1)] for i in range(6)])
    with synced(chain) as (db, idx):
        chain.mine([(PEOPLE[0], PEOPLE[1], 1, 3)], [(PEOPLE[0], PEOPLE[2], 1, 4)])
        old: list[Transfer] = [(PEOPLE[0], PEOPLE[3], 1, 9)]
        chain.on_logs = lambda c: c.reorg(2, old, [])
        step = idx.run_once()
        assert step.retried
        assert step.to_block is None
        results = idx.run_until_synced()
        assert results[-1].synced
        with db.engine.connect() as conn:
            amounts = {r[0] for r in conn.execute(select(chain_positions.c.address))}
        assert PEOPLE[3] in amounts
        assert PEOPLE[1] not in amounts


def test_reorg_between_the_tip_check_and_the_range_fetch_is_caught() -> None:
    """The stored tip is still canonical when checked, then a reorg orphans it before the next range's headers are
    read: the new headers do not link to the stored tip, so nothing is written and the next step rolls back."""
    chain = FakeChain()
    chain.mine(*[[(MINTER, PEOPLE[0], 1, i + 1)] for i in range(6)])
    with synced(chain) as (db, idx):
        chain.mine([(PEOPLE[0], PEOPLE[1], 1, 3)], [(PEOPLE[0], PEOPLE[2], 1, 4)])
        chain.on_headers = lambda c: c.reorg(4, *[[(MINTER, PEOPLE[3], 1, 5)]] * 5)
        chain.headers_countdown = 1  # let the tip check through, fire before the range's headers
        step = idx.run_once()
        assert step.retried
        results = idx.run_until_synced()
        assert results[0].reorg is not None
        assert results[0].reorg.ancestor == 4  # blocks 5 and 6 were stored, then orphaned
        got = state(db)
    with synced(chain) as (fresh, _):
        assert state(fresh) == got


def test_refused_ranges_shrink_and_still_cover_everything() -> None:
    chain = FakeChain(max_range=3)
    chain.mine(*[[(MINTER, PEOPLE[i % 4], 1, i + 1)] for i in range(40)])
    with synced(chain, initial_range=32, max_range=64) as (_, idx):
        cursor = idx.store.cursor("main")
        assert cursor is not None
        assert cursor.last_block == chain.head()
        accepted = [(a, b) for a, b in chain.calls if b - a + 1 <= 3]
        assert accepted[0][0] == 1
        assert accepted[-1][1] == chain.head()


def test_scheduled_with_apscheduler_and_run_forever(tmp_path: Path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    chain = FakeChain()
    chain.mine(*[[(MINTER, PEOPLE[0], 1, i + 1)] for i in range(5)])
    # A file database: the job thread and this thread need their own connections.
    db = connect_database(f"sqlite:///{tmp_path / 'scheduled.db'}", migrate=False)
    metadata.create_all(db.engine, tables=list(ALL_TABLES))
    try:
        idx = make_indexer(db, chain)
        scheduler = BackgroundScheduler()
        idx.schedule(scheduler, seconds=0.05)
        scheduler.start()
        try:
            deadline = time.monotonic() + 10
            while (c := idx.store.cursor("main")) is None or c.last_block < chain.head():
                assert time.monotonic() < deadline, "scheduled job never caught up"
                time.sleep(0.02)
        finally:
            scheduler.shutdown(wait=True)

        chain.mine([(MINTER, PEOPLE[1], 2, 9)])
        stop = threading.Event()
        worker = threading.Thread(target=idx.run_forever, args=(stop, 0.02))
        worker.start()
        deadline = time.monotonic() + 10
        while (c := idx.store.cursor("main")) is None or c.last_block < chain.head():
            assert time.monotonic() < deadline, "run_forever never caught up"
            time.sleep(0.02)
        stop.set()
        worker.join(5)
        assert not worker.is_alive()
    finally:
        db.dispose()
