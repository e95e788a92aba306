"""The indexer on a real anvil chain: ConditionalTokens and collateral events, positions, resolution, queries."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select
from web3 import Web3

from indexer.events import RawLog
from indexer.projections import args_json
from store import Database
from store.queries import chain as queries
from store.schema.indexer import chain_collateral_transfers, chain_logs
from tests.integration.indexer.world import USDC, World


def _events(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(chain_logs.c.event).order_by(chain_logs.c.block_number))]


def test_full_condition_lifecycle_is_indexed(world: World, db: Database) -> None:
    oracle, alice, bob = world.signer(1), world.signer(2), world.signer(3)
    c = world.prepare("Will it rain?", oracle)
    world.fund(alice, 100 * USDC)
    world.split(alice, c, 40 * USDC)
    world.transfer(alice, bob.address, c.yes, 7 * USDC)
    world.merge(alice, c, 10 * USDC)
    idx = world.indexer(db)
    idx.run_until_synced()

    status = queries.indexer_status(db)
    assert status is not None
    assert status.last_indexed_block == world.head
    assert status.lag_blocks == 0
    assert status.confirmed_block == world.head - 2
    assert not queries.resolution_status(db, c.hex_id).resolved
    assert queries.resolution_status(db, c.hex_id).prepared

    world.report(c, [0, 1])
    world.redeem(alice, c)
    idx.run_until_synced()

    names = _events(db)
    for expected in (
        "ConditionPreparation",
        "PositionSplit",
        "TransferBatch",
        "TransferSingle",
        "PositionsMerge",
        "ConditionResolution",
        "PayoutRedemption",
        "Transfer",
        "Approval",
    ):
        assert expected in names, expected
    res = queries.resolution_status(db, c.hex_id)
    assert res.resolved
    assert res.payout_numerators == (0, 1)
    assert res.payout_denominator == 1
    assert res.oracle == oracle.address.lower()
    assert res.outcome_slot_count == 2

    # Positions equal the on-chain ERC1155 balances; zero balances are not listed.
    for who in (alice, bob):
        held = {p.token_id: p.balance for p in queries.positions_by_user(db, who.address)}
        expected = {t: world.balance(who.address, t) for t in (c.yes, c.no)}
        assert held == {t: b for t, b in expected.items() if b}
    assert queries.positions_by_user(db, bob.address)[0].balance == 7 * USDC
    assert queries.positions_by_user(db, alice.address) == []  # redeemed everything
    assert queries.indexer_status(db, chain_head=world.head + 5).lag_blocks == 5  # type: ignore[union-attr]


def test_decoder_agrees_with_web3(world: World, db: Database) -> None:
    """Every stored log, re-decoded by web3's own ABI machinery, has the same arguments as our fast decoder."""
    oracle, alice = world.signer(1), world.signer(2)
    c = world.prepare("Decode me", oracle)
    world.fund(alice, 50 * USDC)
    world.split(alice, c, 20 * USDC)
    world.transfer(alice, oracle.address, c.no, 3 * USDC)
    world.report(c, [1, 0])
    world.redeem(alice, c)
    world.indexer(db).run_until_synced()

    contracts = {world.ctf.address.lower(): world.ctf, world.usdc.address.lower(): world.usdc}
    with db.engine.connect() as conn:
        rows = list(conn.execute(select(chain_logs).where(chain_logs.c.address.in_(list(contracts)))))
    assert len(rows) >= 10
    for r in rows:
        raw = RawLog(
            r.block_number,
            r.block_hash,
            r.tx_hash,
            r.tx_index,
            r.log_index,
            r.address,
            tuple(t for t in (r.topic0, r.topic1, r.topic2, r.topic3) if t is not None),
            r.data,
        )
        contract = contracts[r.address]
        event = getattr(contract.events, r.event)()
        theirs = event.process_log({**raw.to_rpc(), "address": Web3.to_checksum_address(r.address)})["args"]
        assert orjson.loads(r.args) == orjson.loads(args_json({k: _norm(v) for k, v in theirs.items()})), r.event


def _norm(v: Any) -> Any:
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, str) and v.startswith("0x"):
        return v.lower()
    if isinstance(v, list | tuple):
        return [_norm(x) for x in v]
    return v


def test_collateral_filtered_to_known_traders_and_backfilled(world: World, db: Database) -> None:
    alice, bob, carol, dave = (world.signer(i) for i in (2, 3, 4, 5))
    for s in (alice, carol):
        world.owner.transact(world.usdc.functions.mint(s.address, 10 * USDC))
    alice.transact(world.usdc.functions.transfer(bob.address, 1 * USDC))  # alice → bob
    carol.transact(world.usdc.functions.transfer(alice.address, 2 * USDC))  # carol → alice
    carol.transact(world.usdc.functions.transfer(dave.address, 3 * USDC))  # neither end known
    carol.transact(world.usdc.functions.approve(dave.address, 5))
    alice.transact(world.usdc.functions.approve(bob.address, 6))

    idx = world.indexer(db, traders=frozenset({alice.address}))
    idx.run_until_synced()

    def transfers() -> set[tuple[str, str, str]]:
        t = chain_collateral_transfers.c
        with db.engine.connect() as conn:
            return {tuple(r) for r in conn.execute(select(t.from_address, t.to_address, t.amount))}  # type: ignore[misc]

    a, b, c, d = (s.address.lower() for s in (alice, bob, carol, dave))
    assert transfers() == {("0x" + "00" * 20, a, str(10 * USDC)), (a, b, str(USDC)), (c, a, str(2 * USDC))}
    approvals = [e for e in _events(db) if e == "Approval"]
    assert len(approvals) == 1  # alice's, not carol's

    # Adding carol backfills her past logs, without duplicating the carol → alice transfer.
    stored = idx.add_traders([carol.address])
    assert stored == 3  # mint to carol, carol → dave, carol's approval (carol → alice was stored already)
    assert (c, d, str(3 * USDC)) in transfers()
    with db.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(chain_collateral_transfers)).scalar_one()
    assert n == 5
