"""The sequencer's obligations ledger over a real batcher, chain and database (SQLite and PostgreSQL).

Every leg of every match type is owed from the match (COMPLEMENTARY: the buyer's collateral and the seller's tokens;
MINT: both buyers' collateral; MERGE: both sellers' tokens; fees are kept from what a side receives) until the
settlement is CONFIRMED, then only against balance reads older than the confirmed block; a restart rebuilds the
same ledger from the trades and settlement tables (`store.queries.obligations`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from clob.service.sequencer import Sequencer
from tests.integration.settlement.test_match_types import make_trades
from tests.integration.settlement.world import COLLATERAL, World

pytestmark = pytest.mark.chain


def gives(payloads: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """What each side of each trade must hand over when it settles: the taker its fill, each maker its making."""
    out: Counter[tuple[str, int]] = Counter()
    for p in payloads:
        out[(p["taker"], COLLATERAL if p["side"] == "BUY" else int(p["token_id"]))] += int(p["taker_fill"])
        for m in p["makers"]:
            out[(m["maker"], COLLATERAL if m["side"] == "BUY" else int(m["token_id"]))] += int(m["making"])
    return out


def owed(world: World, keys: list[tuple[str, int]], block: int) -> dict[tuple[str, int], int | None]:
    """The ledger's obligations against a read at ``block``, read on the sequencer thread after a poll."""
    seqr = world.sequencer

    def read(_engine: object) -> dict[tuple[str, int], int | None]:
        seqr.obligations.poll(force=True)
        return {k: seqr.obligations.outstanding(k[0], k[1], block) for k in keys}

    result: dict[tuple[str, int], int | None] = seqr.inspect(read).result(30)
    return result


def restart(world: World) -> Sequencer:
    world.sequencer.stop()
    world.sequencer = Sequencer(world.db, "main")
    world.sequencer.start()
    return world.sequencer


def test_every_leg_is_owed_until_confirmed_and_survives_a_restart(world: World) -> None:
    first = world.sequencer
    try:
        for market in (0, 1):  # fee 0 and fee 100 bps
            make_trades(world, market)
        payloads = world.payloads(("MATCHED",))
        assert {m["match_type"] for p in payloads for m in p["makers"]} == {"COMPLEMENTARY", "MINT", "MERGE"}
        expected = gives(payloads)
        keys = sorted(expected)
        matched_at = world.head()
        assert owed(world, keys, matched_at) == expected

        restart(world)  # rebuilt from the trades table
        assert owed(world, keys, matched_at) == expected

        world.settle(world.batcher())
        assert set(world.statuses().values()) == {"CONFIRMED"}
        head = world.head()
        assert owed(world, keys, head) == dict.fromkeys(keys, 0)  # a read now reflects every settlement
        assert owed(world, keys, matched_at) == expected  # one from before them does not

        restart(world)  # recently CONFIRMED trades are rebuilt too, with their blocks
        assert owed(world, keys, head) == dict.fromkeys(keys, 0)
        assert owed(world, keys, matched_at) == expected
    finally:
        if world.sequencer is not first:
            world.sequencer.stop()
            world.sequencer = first
