"""A chain that rolls back below what the batcher recorded: ``evm_revert`` under a running batcher, anvil killed
and restarted from an older state dump (the crash of ``make run``), and ``anvil_reorg`` of depth 1-5 while
transactions are in flight. Every trade ends CONFIRMED exactly once, balances are the initial ones plus the
trades' deltas, and the operator's on-chain nonce is one past the highest nonce the batcher used."""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from pathlib import Path

import pytest

from chain.exchange import Side
from settlement import Batcher
from settlement.model import TxStatus
from settlement.store import SettlementStore
from tests.integration.settlement.world import Miner, World

pytestmark = [pytest.mark.chain, pytest.mark.slow]

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1


def trade_burst(w: World, market: int) -> None:
    w.place(0, market, YES, SELL, 60, 10)
    w.place(1, market, YES, BUY, 60, 10)  # COMPLEMENTARY
    w.place(2, market, NO, BUY, 35, 10)
    w.place(3, market, YES, BUY, 65, 10)  # MINT
    w.place(4, market, NO, SELL, 30, 10)
    w.place(5, market, YES, SELL, 70, 10)  # MERGE


def run_until_idle(w: World, batcher: Batcher, timeout: float = 60.0) -> None:
    """Step the running batcher (no ``recover``: it must notice by itself), mining a block between steps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batcher.step()
        if batcher.idle():
            return
        w.anvil.mine()
    raise AssertionError(f"not settled in {timeout}s: {w.statuses()}")


def assert_in_sync(w: World) -> None:
    store = SettlementStore(w.db, w.chain_id, w.operator.address)
    txs = store.all_txs()
    assert {t.status for t in txs} <= {TxStatus.CONFIRMED, TxStatus.ABANDONED}
    on_chain = w.w3.eth.get_transaction_count(w.operator.address, "latest")
    assert on_chain == max(t.nonce for t in txs) + 1, "the operator nonce on chain follows the batcher's"
    assert w.w3.eth.get_transaction_count(w.operator.address, "pending") == on_chain, "nothing left in the pool"
    assert set(w.statuses().values()) == {"CONFIRMED"}
    owners = defaultdict(list)
    for t in txs:
        if t.status == TxStatus.CONFIRMED:
            for tid in t.trade_ids:
                owners[tid].append(t.nonce)
    assert {tid: len(n) for tid, n in owners.items()} == dict.fromkeys(w.statuses(), 1)


def test_a_revert_below_confirmed_settlements_resettles_each_trade_once(world: World) -> None:
    w = world
    snap = w.anvil.snapshot()
    before = w.balances()
    trade_burst(w, 0)
    batcher = w.batcher(use_batch=False)  # one transaction per trade: several nonces
    history: dict[str, list[str]] = defaultdict(list)
    batcher.add_listener(lambda tid, status, _h: history[tid].append(status))
    w.settle(batcher)
    first = set(w.statuses())
    assert set(w.statuses().values()) == {"CONFIRMED"}
    trade_burst(w, 1)
    batcher.step()  # the second burst is sent (and mined at once: automine), not confirmed

    used = max(t.nonce for t in SettlementStore(w.db, w.chain_id, w.operator.address).all_txs())
    assert w.anvil.revert(snap)  # the settlements are gone; the batcher keeps running
    w.reset_nonces()
    assert w.w3.eth.get_transaction_count(w.operator.address) <= used - 5

    run_until_idle(w, batcher)
    assert batcher.stats.rollbacks == 1
    assert_in_sync(w)
    w.assert_settled_exactly_once(before)
    for tid in first:
        assert history[tid][-4:] == ["CONFIRMED", "RETRYING", "MINED", "CONFIRMED"], history[tid]


def load_state_file(dump_hex: str, path: Path) -> Path:
    """``anvil_dumpState``'s answer (gzip'ed JSON, hex) as the file ``--load-state`` reads."""
    path.write_text(json.dumps(json.loads(gzip.decompress(bytes.fromhex(dump_hex.removeprefix("0x"))))))
    return path


def test_anvil_restarted_from_an_older_state_after_a_crash(world: World, tmp_path: Path) -> None:
    w = world
    before = w.balances()
    trade_burst(w, 0)
    with Miner(w.anvil, 0.2):
        done = w.cli("--until-idle", "--confirmations", "2", "--no-batch")
        assert done.returncode == 0, done.stderr[-3000:]
    kept = set(w.statuses())
    state = load_state_file(w.anvil.rpc("anvil_dumpState"), tmp_path / "state.json")
    w.anvil.mine(3)

    trade_burst(w, 1)
    with Miner(w.anvil, 0.2):
        done = w.cli("--until-idle", "--confirmations", "2", "--no-batch")
        assert done.returncode == 0, done.stderr[-3000:]
    trade_burst(w, 0)
    store = SettlementStore(w.db, w.chain_id, w.operator.address)
    lost = [t for t in store.all_txs() if t.status == TxStatus.CONFIRMED and set(t.trade_ids) - kept]
    assert lost, "the second burst is CONFIRMED before the crash"
    recorded_nonce = w.w3.eth.get_transaction_count(w.operator.address)

    # kill -9 of the chain; it comes back from the older dump, without the second burst.
    proc = w.anvil.process
    assert proc is not None
    proc.kill()
    proc.wait(5)
    w.anvil.process = None
    w.anvil.extra_args = ("--load-state", str(state))
    w.anvil.start()
    w.reset_nonces()
    assert w.w3.eth.get_transaction_count(w.operator.address) < recorded_nonce
    assert w.head() < max(t.block_number or 0 for t in lost)

    with Miner(w.anvil, 0.2):
        restarted = w.cli("--until-idle", "--confirmations", "2", "--no-batch")
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "chain rolled back" in restarted.stderr
    assert_in_sync(w)
    w.assert_settled_exactly_once(before)


def test_reorgs_of_depth_one_to_five_while_transactions_are_in_flight(lite_world: World) -> None:
    w = lite_world
    w.anvil.mine(10)
    before = w.balances()
    batcher = w.batcher(use_batch=False, max_in_flight=8)
    batcher.recover()
    for depth in (1, 2, 3, 4, 5, 3):
        trade_burst(w, depth % 2)
        batcher.step()
        w.anvil.mine()
        batcher.step()
        w.anvil.mine(2)
        batcher.step()  # some CONFIRMED, some MINED, some in flight
        w.anvil.rpc("anvil_reorg", depth, [])
        w.reset_nonces()
        batcher.step()
    run_until_idle(w, batcher)
    assert batcher.stats.rollbacks >= 1
    assert_in_sync(w)
    w.assert_settled_exactly_once(before)


def test_a_released_trade_whose_transaction_settled_it_is_confirmed_not_failed(world: World) -> None:
    w = world
    before = w.balances()
    trade_burst(w, 0)
    batcher = w.batcher()
    w.settle(batcher)
    assert set(w.statuses().values()) == {"CONFIRMED"}
    store = SettlementStore(w.db, w.chain_id, w.operator.address)
    (tx,) = [t for t in store.all_txs() if t.trade_ids]
    # The batcher's record loses the settlement (what a chain rolling back and forth under it can leave): the
    # transaction is written off and its trades released, although its receipt is on the canonical chain.
    store.abandon(tx.id, "nonce used by another transaction; to be retried")
    assert set(w.statuses().values()) == {"RETRYING"}

    w.settle(batcher)
    assert set(w.statuses().values()) == {"CONFIRMED"}, [(r.status, r.error) for r in w.trade_rows()]
    assert_in_sync(w)
    w.assert_settled_exactly_once(before)


def torn_state_file(older_hex: str, newer_hex: str, path: Path) -> Path:
    """A state dump whose accounts are those of ``newer_hex`` but whose blocks, transactions and head are those of
    ``older_hex``: a dump written while blocks were mined, ahead in its state of its history. The chain loaded from
    it has the later settlements' effects (balances, order fills, the operator's nonce) without their blocks,
    receipts or logs."""
    older = json.loads(gzip.decompress(bytes.fromhex(older_hex.removeprefix("0x"))))
    newer = json.loads(gzip.decompress(bytes.fromhex(newer_hex.removeprefix("0x"))))
    path.write_text(json.dumps(older | {"accounts": newer["accounts"]}))
    return path


def order_fills_on_chain(w: World) -> dict[str, int]:
    """Each placed order's filled amount (maker units) in the exchange's order state."""
    out = {}
    for oid, order in w.placed.items():
        done, remaining = w.exchange.functions.getOrderStatus(bytes.fromhex(oid[2:])).call()
        out[oid] = order.maker_amount - remaining if remaining else (order.maker_amount if done else 0)
    return out


def order_fills_confirmed(w: World) -> dict[str, int]:
    """Each placed order's fills (maker units) in the CONFIRMED trades."""
    out = dict.fromkeys(w.placed, 0)
    for p in w.payloads():
        out[str(p["taker_order_id"])] += int(p["taker_fill"])
        for m in p["makers"]:
            out[str(m["order_id"])] += int(m["making"])
    return out


def test_a_chain_restored_with_settlements_but_without_their_receipts(world: World, tmp_path: Path) -> None:
    restored_without_receipts(world, tmp_path, batch=False)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_chain_restored_without_the_receipts_of_batched_settlements(world: World, tmp_path: Path) -> None:
    restored_without_receipts(world, tmp_path, batch=True)


def restored_without_receipts(w: World, tmp_path: Path, batch: bool) -> None:
    """anvil restarted from a dump that holds the effects of settlement transactions (their order fills, balances
    and operator nonces) but not their blocks: nothing on chain says which transactions consumed those nonces. The
    trades they settled are CONFIRMED by what the exchange's order state shows, not re-sent (double fills) and
    not FAILED (their orders are filled)."""
    mode = () if batch else ("--no-batch",)
    before = w.balances()
    trade_burst(w, 0)
    with Miner(w.anvil, 0.2):
        done = w.cli("--until-idle", "--confirmations", "2", *mode)
        assert done.returncode == 0, done.stderr[-3000:]
    older = w.anvil.rpc("anvil_dumpState")
    # the second burst has partial fills of the same orders: a re-send of them would not revert, it would fill twice
    w.place(0, 1, YES, SELL, 60, 30)
    w.place(1, 1, YES, BUY, 60, 10)
    w.place(2, 1, YES, BUY, 61, 10)
    w.place(3, 1, NO, BUY, 35, 20)
    w.place(4, 1, YES, BUY, 66, 10)  # MINT against trader 3's NO
    with Miner(w.anvil, 0.2):
        done = w.cli("--until-idle", "--confirmations", "2", *mode)
        assert done.returncode == 0, done.stderr[-3000:]
    assert set(w.statuses().values()) == {"CONFIRMED"}
    settled_nonce = w.w3.eth.get_transaction_count(w.operator.address)
    torn = torn_state_file(older, w.anvil.rpc("anvil_dumpState"), tmp_path / "torn.json")
    trade_burst(w, 0)  # more trades arrive while the stack is down

    proc = w.anvil.process
    assert proc is not None
    proc.kill()
    proc.wait(5)
    w.anvil.process = None
    w.anvil.extra_args = ("--load-state", str(torn))
    w.anvil.start()
    w.reset_nonces()
    assert w.w3.eth.get_transaction_count(w.operator.address) == settled_nonce, "the state kept the nonces"

    with Miner(w.anvil, 0.2):
        restarted = w.cli("--until-idle", "--confirmations", "2", *mode)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    rows = w.trade_rows()
    assert {r.status for r in rows} == {"CONFIRMED"}, [(r.status, r.error) for r in rows if r.status != "CONFIRMED"]
    assert order_fills_on_chain(w) == order_fills_confirmed(w), "every order filled on chain exactly as confirmed"
    after = w.balances()
    delta = w.expected_deltas(w.payloads())
    assert {k: after[k] - before[k] for k in after} == {k: delta.get(k, 0) for k in after}
    assert_in_sync(w)
