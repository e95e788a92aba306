"""Chain-side hazards on anvil: a reorg that drops a settlement, and a stuck transaction replaced by fee bump."""

from __future__ import annotations

import time

import pytest
from web3 import Web3

from chain.exchange import Side
from settlement.model import TxStatus
from tests.integration.settlement.world import World

pytestmark = pytest.mark.chain

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def test_a_reorg_that_drops_the_settlement_goes_retrying_then_confirmed(lite_world: World) -> None:
    w = lite_world
    before = w.balances()
    w.place(0, 0, YES, SELL, 60, 10)
    w.place(1, 0, YES, BUY, 60, 10)
    w.place(2, 0, NO, BUY, 30, 10)
    w.place(3, 0, YES, BUY, 70, 10)  # MINT
    batcher = w.batcher(confirmations=3)
    seen: dict[str, list[str]] = {}
    batcher.add_listener(lambda tid, status, _h: seen.setdefault(tid, []).append(status))
    batcher.recover()
    batcher.step()  # sent; automine includes it at once
    batcher.step()
    assert set(w.statuses().values()) == {"MINED"}
    mined = batcher.store.all_txs()[0]
    assert mined.block_number == w.head()

    w.anvil.rpc("anvil_reorg", 1, [])  # the block holding the settlement is replaced by an empty one
    assert w.filled_counts() == {}, "the fills are gone from the canonical chain"
    w.reset_nonces()

    w.settle(batcher)
    assert set(w.statuses().values()) == {"CONFIRMED"}
    for statuses in seen.values():
        assert statuses == ["MINED", "RETRYING", "MINED", "CONFIRMED"]
    tx = batcher.store.all_txs()
    assert len(tx) == 1, "the same nonce, re-broadcast"
    assert tx[0].status == TxStatus.CONFIRMED
    assert tx[0].tx_hash == mined.tx_hash
    assert tx[0].block_hash != mined.block_hash
    w.assert_settled_exactly_once(before)


def test_a_stuck_transaction_is_replaced_with_higher_fees_and_settles_once(lite_world: World) -> None:
    w = lite_world
    before = w.balances()
    w.place(0, 1, YES, SELL, 60, 10)
    w.place(1, 1, YES, BUY, 60, 10)
    w.anvil.rpc("evm_setAutomine", False)
    batcher = w.batcher(replace_after=0.3, rebroadcast_after=0.1)
    batcher.recover()
    batcher.step()
    first = batcher.store.all_txs()[0]
    deadline = time.monotonic() + 10
    while len(batcher.store.all_txs()[0].attempts) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        batcher.step()
    attempts = batcher.store.all_txs()[0].attempts
    assert len(attempts) >= 2
    assert attempts[-1].max_priority_fee_per_gas > attempts[0].max_priority_fee_per_gas
    pool = w.anvil.rpc("txpool_content")["pending"]
    operator = w.operator.address.lower()
    assert [tx["hash"] for tx in pool[operator].values()] == [attempts[-1].tx_hash], "one per nonce, the latest"

    w.anvil.rpc("evm_setAutomine", True)
    w.anvil.mine()
    w.settle(batcher)
    row = w.trade_rows()[0]
    assert row.status == "CONFIRMED"
    assert row.transaction_hash == attempts[-1].tx_hash != first.tx_hash
    assert w.w3.eth.get_transaction_receipt(Web3.to_bytes(hexstr=attempts[-1].tx_hash))["status"] == 1
    w.assert_settled_exactly_once(before)
