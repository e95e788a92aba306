"""Reorgs on anvil (``anvil_reorg`` with replacement transactions, ``anvil_rollback``): the orphaned rows go, the new
ones arrive, positions follow the chain, and the result equals indexing the final chain from scratch."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store import Database
from store.queries import chain as queries
from store.schema.indexer import chain_ctf_transfers, chain_logs, chain_reorgs
from tests.integration.indexer.world import USDC, Condition, World, dump, fresh_dump


def _tx_hashes(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return {r[0] for r in conn.execute(select(chain_logs.c.tx_hash))}


def _setup(world: World) -> tuple[Condition, list[str]]:
    """A condition, a funded trader holding YES/NO, and ten blocks with one YES transfer each."""
    oracle, alice = world.signer(1), world.signer(2)
    c = world.prepare("Reorg me", oracle)
    world.fund(alice, 100 * USDC)
    world.split(alice, c, 50 * USDC)
    txs = []
    for i in range(10):
        txs.append("0x" + world.transfer(alice, world.signer(3 + i % 3).address, c.yes, (i + 1) * 1000).hex())
    return c, txs


def _assert_positions_match_chain(world: World, db: Database, c: Condition) -> None:
    for i in range(1, 7):
        who = world.signer(i).address
        held = {p.token_id: p.balance for p in queries.positions_by_user(db, who)}
        expected = {t: world.balance(who, t) for t in (c.yes, c.no) if world.balance(who, t)}
        assert held == expected, who


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_reorg_with_replacement_transactions(world: World, db: Database, ref_url: str, depth: int) -> None:
    c, txs = _setup(world)
    idx = world.indexer(db)
    idx.run_until_synced()
    head = world.head
    orphaned = set(txs[-depth:])
    assert orphaned <= _tx_hashes(db)

    # Replace the last `depth` blocks: a different transfer (other amount, other recipient) in the first new block.
    alice, erin = world.signer(2), world.signer(6)
    world.reorg(depth, [(world.transfer_tx(alice.address, erin.address, c.no, 4242), 0)])
    assert world.head == head

    results = idx.run_until_synced()
    reorg = results[0].reorg
    assert reorg is not None
    assert reorg.depth == depth
    assert reorg.ancestor == head - depth
    assert reorg.orphaned_logs == depth

    hashes = _tx_hashes(db)
    assert not (orphaned & hashes)
    assert set(txs[:-depth]) <= hashes
    replacement = world.w3.eth.get_block(head - depth + 1)["transactions"][0]
    assert "0x" + bytes(replacement).hex() in hashes
    assert {p.token_id: p.balance for p in queries.positions_by_user(db, erin.address)} == {c.no: 4242}
    _assert_positions_match_chain(world, db, c)
    assert dump(db) == fresh_dump(world, ref_url)
    with db.engine.connect() as conn:
        assert conn.execute(select(chain_reorgs.c.depth)).scalar_one() == depth


def test_rollback_to_a_shorter_chain_then_new_blocks(world: World, db: Database, ref_url: str) -> None:
    c, txs = _setup(world)
    idx = world.indexer(db)
    idx.run_until_synced()
    head = world.head

    world.rollback(3)  # the chain is now 3 blocks shorter: the indexer is ahead of the head
    step = idx.run_once()
    assert step.reorg is not None
    assert step.reorg.ancestor == head - 3
    assert queries.last_indexed_block(db) == head - 3
    assert not (set(txs[-3:]) & _tx_hashes(db))

    alice = world.signer(2)
    alice.nonce = None
    new_tx = "0x" + world.transfer(alice, world.signer(5).address, c.yes, 777).hex()
    idx.run_until_synced()
    assert new_tx in _tx_hashes(db)
    _assert_positions_match_chain(world, db, c)
    assert dump(db) == fresh_dump(world, ref_url)


def test_repeated_reorgs_while_following(world: World, db: Database, ref_url: str) -> None:
    """Reorg, index, reorg again deeper across the previous fork point, and once more, each time re-indexing."""
    c, _ = _setup(world)
    idx = world.indexer(db)
    idx.run_until_synced()
    alice = world.signer(2).address
    for depth, amount in ((2, 11), (4, 22), (1, 33)):
        world.reorg(depth, [(world.transfer_tx(alice, world.signer(6).address, c.yes, amount), depth - 1)])
        world.anvil.mine(1)
        idx.run_until_synced()
        _assert_positions_match_chain(world, db, c)
    assert dump(db) == fresh_dump(world, ref_url)
    with db.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(chain_reorgs.c.depth).order_by(chain_reorgs.c.id))] == [2, 4, 1]
        n = conn.execute(select(func.count()).select_from(chain_ctf_transfers)).scalar_one()
    assert n == len(dump(db)["chain_ctf_transfers"])


def test_reorg_below_confirmed_only_mode(world: World, db: Database, ref_url: str) -> None:
    """Following only confirmed blocks, a reorg shallower than the confirmation depth never touches the store."""
    c, txs = _setup(world)
    idx = world.indexer(db, confirmations=3, follow_unconfirmed=False)
    idx.run_until_synced()
    head = world.head
    assert queries.last_indexed_block(db) == head - 3
    stored = _tx_hashes(db)
    assert not (set(txs[-3:]) & stored)

    world.reorg(2, [(world.transfer_tx(world.signer(2).address, world.signer(6).address, c.no, 5), 0)])
    results = idx.run_until_synced()
    assert all(r.reorg is None for r in results)
    assert _tx_hashes(db) == stored
    world.anvil.mine(3)
    idx.run_until_synced()
    assert dump(db) == fresh_dump(world, ref_url, confirmations=3, follow_unconfirmed=False)


def test_a_chain_reverted_far_below_the_reorg_window(world: World, db: Database, ref_url: str) -> None:
    """A node restored from an older state: the head jumps back further than the stored window of hashes; the
    index rolls back to the highest block of a stored log the chain still has and follows the new chain."""
    c, txs = _setup(world)
    snap = world.anvil.snapshot()
    alice = world.signer(2)
    lost = ["0x" + world.transfer(alice, world.signer(4).address, c.yes, 5_000 + i).hex() for i in range(3)]
    world.anvil.mine(12)  # the indexer's window (4 blocks) then holds no block with a log
    idx = world.indexer(db, confirmations=1, reorg_window=4)
    idx.run_until_synced()
    assert set(lost) <= _tx_hashes(db)
    ancestor = world.head - 15

    assert world.anvil.revert(snap)
    world.reset_nonces()
    alice.nonce = None
    new_tx = "0x" + world.transfer(alice, world.signer(5).address, c.no, 999).hex()
    results = idx.run_until_synced()
    assert results[0].reorg is not None
    assert results[0].reorg.ancestor == ancestor
    hashes = _tx_hashes(db)
    assert not (set(lost) & hashes)
    assert new_tx in hashes
    assert set(txs) <= hashes
    _assert_positions_match_chain(world, db, c)
    assert dump(db) == fresh_dump(world, ref_url, confirmations=1, reorg_window=4)
