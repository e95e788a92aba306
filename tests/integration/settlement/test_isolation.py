"""Revert isolation on anvil: trades that can no longer settle are dropped from the batch and FAILED with the
contract's error and the offending order named; every other trade of the batch is CONFIRMED."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chain.exchange import Side, order_tuple
from settlement.errors import RevertedError
from settlement.model import FailedTrade
from tests.integration.settlement.world import World

pytestmark = pytest.mark.chain

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def test_bad_trades_are_isolated_and_the_rest_of_the_batch_confirms(world: World) -> None:
    w = world
    # Six maker/taker pairs, each emptying the book again; three makers will break their orders on chain.
    w.place(0, 0, YES, SELL, 60, 10)
    w.place(1, 0, YES, BUY, 60, 10)  # good (COMPLEMENTARY)
    revoked_maker, _ = w.place(2, 0, YES, BUY, 55, 10)  # trader 2 will revoke its USDC allowance
    w.place(0, 0, YES, SELL, 55, 10)
    cancelled_maker, _ = w.place(3, 0, YES, SELL, 53, 10)  # trader 3 will cancel this order on chain
    w.place(4, 0, YES, BUY, 53, 10)
    bumped_maker, _ = w.place(5, 0, NO, SELL, 40, 10)  # trader 5 will bump its nonce
    w.place(4, 0, YES, SELL, 60, 10)  # MERGE
    w.place(1, 0, YES, SELL, 52, 10)
    w.place(0, 0, YES, BUY, 52, 10)  # good (COMPLEMENTARY)
    w.place(1, 0, NO, BUY, 45, 10)
    w.place(4, 0, YES, BUY, 55, 10)  # good (MINT)
    rows = w.trade_rows()
    assert len(rows) == 6
    assert all(len(json.loads(r.payload)["makers"]) == 1 for r in rows)

    # After the match, before settlement: the makers break their orders on chain.
    t2, t3, t5 = w.traders[2], w.traders[3], w.traders[5]
    t2.transact(w.usdc.functions.approve(w.exchange.address, 0))
    t3.transact(w.exchange.functions.cancelOrder(order_tuple(w.placed[cancelled_maker])))
    t5.transact(w.exchange.functions.incrementNonce())
    mid = w.balances()

    failed: list[tuple[FailedTrade, tuple[str, ...]]] = []
    batcher = w.batcher()
    batcher.add_failure_hook(lambda trade, offending: failed.append((trade, offending)))
    w.settle(batcher)

    statuses = w.statuses()
    assert sorted(statuses.values()) == ["CONFIRMED"] * 3 + ["FAILED"] * 3
    assert batcher.stats.txs_sent == 1, "the good trades still went in one transaction"
    by_offender = {offending: trade for trade, offending in failed}
    assert set(by_offender) == {(revoked_maker,), (cancelled_maker,), (bumped_maker,)}
    errors = {r.error.split(";")[0] for r in w.trade_rows() if r.status == "FAILED"}
    assert errors == {"ERC20InsufficientAllowance", "OrderFilledOrCancelled", "InvalidNonce"}
    for trade, offending in failed:
        # the counterparties' consumed amounts, for the book to give back
        assert offending[0] not in trade.restore
        assert set(trade.restore) == {trade.stored.taker_order_id} | {m.order_id for m in trade.stored.makers} - set(
            offending
        )
    # only the good trades moved anything
    for key, value in w.balances().items():
        assert value - mid[key] == w.expected_deltas(w.payloads()).get(key, 0), key
    assert w.filled_counts() == w.expected_fills(w.payloads())


def test_a_failure_is_pinned_on_its_trade_when_the_chain_moves_during_the_bisection(world: World) -> None:
    w = world
    # Three one-maker trades in one batch; the middle one's maker (trader 2) revokes its USDC allowance.
    w.place(0, 0, YES, SELL, 60, 10)
    w.place(1, 0, YES, BUY, 60, 10)
    revoked_maker, _ = w.place(2, 0, YES, BUY, 55, 10)
    w.place(0, 0, YES, SELL, 55, 10)
    w.place(1, 0, YES, SELL, 52, 10)
    w.place(3, 0, YES, BUY, 52, 10)
    assert len(w.trade_rows()) == 3
    t2 = w.traders[2]
    t2.transact(w.usdc.functions.approve(w.exchange.address, 0))

    batcher = w.batcher()
    # Trader 2 restores its allowance (mined at once) right after the batch's whole simulation failed (the
    # capped call, then the uncapped one): the bisection that follows runs on a chain where nothing fails.
    real_call = batcher.chain.call
    reverts: list[bool] = []
    restored: list[bool] = []

    def call(*args: Any, **kwargs: Any) -> bytes:
        try:
            return real_call(*args, **kwargs)
        except RevertedError:
            reverts.append(True)
            if len(reverts) == 2 and not restored:
                restored.append(True)
                t2.transact(w.usdc.functions.approve(w.exchange.address, 2**256 - 1))
            raise

    batcher.chain.call = call  # type: ignore[method-assign]
    w.settle(batcher)

    assert restored
    rows = {json.loads(r.payload)["makers"][0]["order_id"]: r for r in w.trade_rows()}
    innocent = {oid: r.status for oid, r in rows.items() if oid != revoked_maker}
    assert set(innocent.values()) == {"CONFIRMED"}, [(r.status, r.error) for r in w.trade_rows()]
    # the revoked maker's trade failed at the block the batch was simulated at (an honest failure) or settles
    assert rows[revoked_maker].status in ("FAILED", "CONFIRMED")
