"""The batcher's decisions over a fake chain and a real (SQLite) store: grouping, intent before send, nonces,
replacement, re-broadcast after a crash, foreign nonces, reverts, reorgs, isolation, outages."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from settlement import Batcher, OperatorSigner, RpcUnavailableError, SettlementConfig, TxStatus
from settlement.model import FailedTrade
from store import Database, connect_database
from store.schema import trades
from store.schema.settlement import settlement_txs
from tests.unit.settlement.fakes import CHAIN_ID, EXCHANGE, FakeChain, TradeFactory, decode_raw

OPERATOR_KEY = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per module, copied for each test (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("settlement") / "template.db"
    connect_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db(migrated: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "unit.db"
    shutil.copyfile(migrated, path)
    database = connect_database(f"sqlite:///{path}", migrate=False)
    yield database
    database.dispose()


def make_batcher(db: Database, chain: FakeChain, **overrides: object) -> Batcher:
    settings: dict[str, object] = {"confirmations": 2, "flush_interval": 0.0, "priority_fee_wei": 10**9}
    settings.update(overrides)
    config = SettlementConfig(**settings)  # type: ignore[arg-type]
    signer = OperatorSigner(OPERATOR_KEY, CHAIN_ID)
    chain.operator = signer.address
    batcher = Batcher(db, chain, signer, EXCHANGE, config)
    batcher.recover()
    return batcher


def statuses(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        return {r.trade_id: r.status for r in conn.execute(select(trades.c.trade_id, trades.c.status))}


def tx_rows(db: Database) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(settlement_txs).order_by(settlement_txs.c.nonce))]


def test_trades_settle_in_one_batch_and_walk_the_statuses(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    ids = [factory.add(taker=i % 3, maker=3 + i % 3)[0] for i in range(5)]
    batcher = make_batcher(db, chain)
    seen: list[tuple[str, str, str]] = []
    batcher.add_listener(lambda t, s, h: seen.append((t, s, h)))

    batcher.step()
    assert len(chain.sent) == 1, "five small trades fit one transaction"
    rows = tx_rows(db)
    assert rows[0]["kind"] == "matchOrdersBatch"
    assert rows[0]["trade_count"] == 5
    assert set(statuses(db).values()) == {"MATCHED"}

    chain.mine()
    batcher.step()
    assert set(statuses(db).values()) == {"MINED"}
    chain.mine()
    batcher.step()
    assert set(statuses(db).values()) == {"MINED"}, "one block on top is not two confirmations"
    chain.mine()
    batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    tx_hash = decode_raw(chain.sent[0]).tx_hash
    assert [(s, h) for t, s, h in seen if t == ids[0]] == [("MINED", tx_hash), ("CONFIRMED", tx_hash)]
    assert len(chain.settled_salts) == 5


def test_intent_is_durable_before_the_first_broadcast(db: Database) -> None:
    chain = FakeChain()
    TradeFactory(db).add()
    batcher = make_batcher(db, chain)

    def check_intent(raw: str) -> None:
        rows = tx_rows(db)
        assert len(rows) == 1
        assert rows[0]["raw_tx"] == raw
        assert rows[0]["status"] == "PENDING"
        with db.engine.connect() as conn:
            owner = conn.execute(select(trades.c.settlement_batch)).scalar_one()
        assert owner == rows[0]["id"]

    chain.on_send = check_intent
    batcher.step()
    assert len(chain.sent) == 1


def test_trade_cap_splits_transactions_and_nonces_are_consecutive(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    for i in range(7):
        factory.add(taker=i % 4, maker=4 + i % 4)
    batcher = make_batcher(db, chain, max_trades_per_tx=3, max_in_flight=10)
    batcher.step()
    assert [r["trade_count"] for r in tx_rows(db)] == [3, 3, 1]
    assert [r["nonce"] for r in tx_rows(db)] == [0, 1, 2]


def test_one_capped_call_proves_a_group_and_its_limit_is_the_model(db: Database) -> None:
    chain = FakeChain()  # 100k per match, under the model's 122k
    factory = TradeFactory(db)
    for i in range(6):
        factory.add(taker=i % 3, maker=3 + i % 3)
    batcher = make_batcher(db, chain)
    batcher.step()
    assert chain.calls == 1
    assert chain.estimates == 0
    assert tx_rows(db)[0]["gas_limit"] == batcher.gas_model.tx_base + 6 * batcher.gas_model.match_gas(["COMPLEMENTARY"])


def test_the_groups_of_one_flush_are_simulated_in_one_batched_request(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    parties = [(0, 4), (1, 5), (2, 6), (3, 7), (3, 7), (3, 7), (0, 4), (1, 5), (2, 6)]
    made = [factory.add(taker=t, maker=m) for t, m in parties]
    bad_id, bad_salt = made[4]  # in the second group, sharing no party with the first
    chain.bad_salts.add(bad_salt)
    batcher = make_batcher(db, chain, max_trades_per_tx=3, max_in_flight=10)
    batcher.step()
    assert chain.batched_calls == 3, "one capped call per group, together"
    # the two good groups are not simulated again; the failing one is checked on its own at the head of its check
    # (capped and uncapped calls, the bisection's two prefix calls and the single call, then its two good trades
    # capped) and those still go in its transaction
    assert chain.calls - chain.batched_calls == 2 + 2 + 1 + 1
    assert statuses(db)[bad_id] == "FAILED"
    assert [r["trade_count"] for r in tx_rows(db)] == [3, 2, 3]
    assert [r["nonce"] for r in tx_rows(db)] == [0, 1, 2]


def test_no_transaction_exceeds_the_gas_cap_even_when_the_model_underestimates(db: Database) -> None:
    chain = FakeChain(gas_per_match=150_000)  # more than the model's 122k: capped calls run out of gas
    factory = TradeFactory(db)
    for i in range(12):
        factory.add(taker=i % 4, maker=4 + i % 4)
    batcher = make_batcher(db, chain, max_gas_per_tx=1_000_000, max_in_flight=10)
    for _ in range(6):
        batcher.step()
    rows = tx_rows(db)
    assert sum(int(str(r["trade_count"])) for r in rows) == 12
    assert all(int(str(r["gas_limit"])) <= 1_000_000 for r in rows)
    assert max(int(str(r["trade_count"])) for r in rows) > 1


def test_in_flight_cap_holds_back_new_transactions(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    for i in range(4):
        factory.add(taker=i % 4, maker=4 + i % 4)
    batcher = make_batcher(db, chain, use_batch=False, max_in_flight=2)
    batcher.step()
    assert len(tx_rows(db)) == 2
    assert all(r["kind"] == "matchOrders" for r in tx_rows(db))
    batcher.step()
    assert len(tx_rows(db)) == 2, "two unmined transactions already in flight"
    chain.mine()
    batcher.step()
    assert len(tx_rows(db)) == 4


def test_a_failing_trade_is_isolated_and_the_rest_settle(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    made = [factory.add(taker=i % 4, maker=4 + i % 4) for i in range(9)]
    bad_id, bad_salt = made[5]
    chain.bad_salts.add(bad_salt)
    batcher = make_batcher(db, chain)
    failed: list[tuple[FailedTrade, tuple[str, ...]]] = []
    batcher.add_failure_hook(lambda t, offending: failed.append((t, offending)))
    batcher.step()
    assert statuses(db)[bad_id] == "FAILED"
    assert [r["trade_count"] for r in tx_rows(db)] == [8]
    assert len(failed) == 1
    assert failed[0][0].trade_id == bad_id
    assert failed[0][0].error.startswith("InvalidNonce")
    with db.engine.connect() as conn:
        assert (
            conn.execute(select(trades.c.error).where(trades.c.trade_id == bad_id))
            .scalar_one()
            .startswith("InvalidNonce")
        )
    # bisection, not one simulation per trade: capped + uncapped call, ceil(log2 9) prefix calls, one more call
    assert chain.calls <= 2 + 4 + 1
    for _ in range(3):
        chain.mine()
        batcher.step()
    assert sorted(set(statuses(db).values())) == ["CONFIRMED", "FAILED"]
    assert bad_salt not in chain.settled_salts
    assert len(chain.settled_salts) == 8


def test_a_failure_that_may_depend_on_an_unmined_transaction_waits(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    factory.add(taker=0, maker=1)
    batcher = make_batcher(db, chain)
    batcher.step()  # in flight, not mined
    dependent, salt = factory.add(taker=1, maker=2)  # shares trader 1 with the transaction in flight
    chain.bad_salts.add(salt)
    batcher.step()
    assert statuses(db)[dependent] == "MATCHED", "deferred, not failed"
    assert batcher.stats.trades_deferred >= 1
    chain.mine()
    batcher.step()  # nothing of ours unmined any more: the failure is conclusive
    assert statuses(db)[dependent] == "FAILED"


def test_restart_after_intent_rebroadcasts_the_same_bytes_with_the_same_nonce(db: Database) -> None:
    chain = FakeChain()
    TradeFactory(db).add()
    first = make_batcher(db, chain)
    chain.sends_lost = 1  # the broadcast never reaches the node (as if killed before sending)
    with pytest.raises(RpcUnavailableError):
        first.step()
    assert len(tx_rows(db)) == 1
    assert not chain.sent
    intent = tx_rows(db)[0]

    second = make_batcher(db, chain)  # a new process: recover() re-broadcasts
    assert chain.sent == [intent["raw_tx"]]
    second.step()
    assert len(tx_rows(db)) == 1, "no second transaction for the same trade"
    chain.mine(3)
    second.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    assert len(chain.settled_salts) == 1


def test_restart_after_mining_but_before_the_write_finds_the_receipt(db: Database) -> None:
    chain = FakeChain()
    TradeFactory(db).add()
    first = make_batcher(db, chain)
    first.step()
    chain.mine(3)  # mined and deep, but this process "died" before reading the receipt
    second = make_batcher(db, chain)
    assert set(statuses(db).values()) == {"CONFIRMED"}
    assert len(chain.sent) == 1
    assert second.stats.txs_sent == 0


def test_nonce_allocation_follows_the_store_and_the_chain(db: Database) -> None:
    chain = FakeChain(nonce_latest=5)
    factory = TradeFactory(db)
    factory.add()
    batcher = make_batcher(db, chain)
    batcher.step()
    assert tx_rows(db)[0]["nonce"] == 5, "starts at the chain's pending nonce"
    factory.add(taker=2, maker=3)
    fresh = make_batcher(db, FakeChain(nonce_latest=0))
    fresh.chain.down = False
    fresh.step(force_flush=True)
    assert [r["nonce"] for r in tx_rows(db)] == [5, 6], "never below a nonce the store already used"


def test_stuck_transaction_is_replaced_with_bumped_fees_and_the_replacement_counts(db: Database) -> None:
    clock = [1000.0]
    chain = FakeChain(stuck=True)
    TradeFactory(db).add()
    batcher = make_batcher(db, chain, replace_after=5.0)
    batcher.clock = lambda: clock[0]
    batcher.step()
    first = decode_raw(chain.sent[0])
    clock[0] += 6
    batcher.step()
    replacements = [decode_raw(r) for r in chain.sent if decode_raw(r).tx_hash != first.tx_hash]
    assert replacements, "a replacement was broadcast"
    second = replacements[0]
    assert second.nonce == first.nonce
    assert second.tip >= first.tip * 1.125
    assert second.max_fee >= first.max_fee * 1.125
    chain.stuck = False
    chain.mine(3)
    batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    with db.engine.connect() as conn:
        assert conn.execute(select(trades.c.transaction_hash)).scalar_one() == second.tx_hash
    assert tx_rows(db)[0]["attempts"] == 2


def test_a_nonce_taken_by_a_foreign_transaction_releases_the_trades_once_final(db: Database) -> None:
    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain)
    batcher.step()
    chain.mine_foreign()
    batcher.step()
    assert tx_rows(db)[0]["status"] == "PENDING", "not final yet"
    chain.mine(2)
    batcher.step()
    rows = tx_rows(db)
    assert rows[0]["status"] == TxStatus.ABANDONED
    assert len(rows) == 2
    assert rows[1]["nonce"] == 1, "re-sent under a fresh nonce"
    chain.mine(3)
    batcher.step()
    assert statuses(db)[tid] == "CONFIRMED"
    assert len(chain.settled_salts) == 1


def test_a_used_nonce_whose_fills_the_order_state_shows_confirms_the_trades_without_a_receipt(db: Database) -> None:
    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain)
    batcher.step()
    chain.mine_foreign()  # the nonce is consumed, no receipt of ours...
    with db.engine.connect() as conn:
        payload = json.loads(conn.execute(select(trades.c.payload).where(trades.c.trade_id == tid)).scalar_one())
    for oid in [payload["taker_order_id"], *(m["order_id"] for m in payload["makers"])]:
        chain.order_status[str(oid).lower()] = (True, 0)  # ...but the exchange has the orders filled
    chain.mine(2)
    batcher.step()
    rows = tx_rows(db)
    assert [r["status"] for r in rows] == ["CONFIRMED"], "not written off, not re-sent"
    assert statuses(db)[tid] == "CONFIRMED"
    assert chain.settled_salts == []


def test_nonce_too_low_at_first_send_is_abandoned_at_once(db: Database) -> None:
    chain = FakeChain()
    TradeFactory(db).add()
    batcher = make_batcher(db, chain)
    batcher._next_nonce = 0
    chain.mine_foreign()  # the chain's nonce moved under our cached counter
    batcher.step()
    rows = tx_rows(db)
    assert rows[0]["status"] == TxStatus.ABANDONED
    batcher.step()
    assert tx_rows(db)[1]["nonce"] == 1
    assert tx_rows(db)[1]["status"] == "PENDING"


def test_on_chain_revert_retries_then_fails_after_max_attempts(db: Database) -> None:
    chain = FakeChain()
    tid, salt = TradeFactory(db).add()
    chain.revert_on_chain.add(salt)
    batcher = make_batcher(db, chain, max_settle_attempts=2)
    seen: list[str] = []
    batcher.add_listener(lambda t, s, h: seen.append(s))
    for _ in range(12):
        batcher.step()
        chain.mine()
    assert statuses(db)[tid] == "FAILED"
    assert [r["status"] for r in tx_rows(db)] == ["ABANDONED", "ABANDONED"]
    assert seen[0] == "RETRYING"
    assert seen[-1] == "FAILED"
    assert chain.settled_salts == []


def test_reorg_that_drops_the_settlement_goes_retrying_then_confirmed(db: Database) -> None:
    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain, confirmations=3)
    seen: list[str] = []
    batcher.add_listener(lambda t, s, h: seen.append(s))
    batcher.step()
    chain.mine()
    batcher.step()
    assert statuses(db)[tid] == "MINED"
    chain.reorg(1)
    batcher.step()  # receipt gone: RETRYING, and the same bytes are re-broadcast
    assert statuses(db)[tid] == "RETRYING"
    chain.mine(4)
    batcher.step()
    batcher.step()
    assert statuses(db)[tid] == "CONFIRMED"
    assert seen == ["MINED", "RETRYING", "MINED", "CONFIRMED"]
    assert len({decode_raw(r).tx_hash for r in chain.sent}) == 1, "the same signed transaction, never a new one"
    assert len(chain.settled_salts) == 1


def test_reorg_that_moves_the_settlement_to_another_block_is_followed(db: Database) -> None:
    chain = FakeChain(reorg_returns_to_pool=True)
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain, confirmations=2)
    batcher.step()
    chain.mine()
    batcher.step()
    old_block = tx_rows(db)[0]["block_hash"]
    chain.reorg(1)
    chain.mine()
    batcher.step()
    assert tx_rows(db)[0]["block_hash"] != old_block
    chain.mine(2)
    batcher.step()
    assert statuses(db)[tid] == "CONFIRMED"


def test_rpc_outage_changes_nothing_and_the_batcher_catches_up(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    factory.add()
    batcher = make_batcher(db, chain)
    batcher.step()
    chain.down = True
    for i in range(3):
        factory.add(taker=2 + i, maker=6)
        with pytest.raises(RpcUnavailableError):
            batcher.step()
    chain.down = False
    chain.mine()
    for _ in range(4):
        batcher.step()
        chain.mine()
    batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    assert len(chain.settled_salts) == 4


def test_underpriced_first_attempt_is_replaced(db: Database) -> None:
    chain = FakeChain()
    TradeFactory(db).add()
    batcher = make_batcher(db, chain)

    def jump(_raw: str) -> None:  # the base fee jumps between pricing and sending
        chain.base = 10**12
        chain.on_send = None

    chain.on_send = jump
    batcher.step()
    assert tx_rows(db)[0]["error"].startswith("underpriced")
    batcher.step()
    assert tx_rows(db)[0]["attempts"] == 2
    chain.mine(3)
    batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}


def test_a_nonce_the_node_keeps_rejecting_is_filled_by_a_cancel_and_the_trades_retried(db: Database) -> None:
    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain, cancel_after_rejections=2, rebroadcast_after=0.0)
    chain.reject_next = ["invalid transaction", "invalid transaction", "invalid transaction"]
    for _ in range(4):
        batcher.step()
    kinds = [a.kind for a in batcher.store.all_txs()[0].attempts]
    assert kinds[-1] == "cancel"
    for _ in range(7):
        chain.mine()
        batcher.step()
    assert batcher.store.all_txs()[0].status == TxStatus.ABANDONED
    assert statuses(db)[tid] == "CONFIRMED"
    assert len(chain.settled_salts) == 1


def test_unusable_signed_order_fails_the_trade_and_names_the_order(db: Database) -> None:
    from sqlalchemy import update

    from store.schema import orders

    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    with db.engine.begin() as conn:
        conn.execute(update(orders).values(signed_order='{"n": 1}'))
    batcher = make_batcher(db, chain)
    failed: list[tuple[str, ...]] = []
    batcher.add_failure_hook(lambda t, offending: failed.append(offending))
    batcher.step()
    assert statuses(db)[tid] == "FAILED"
    assert failed
    assert len(failed[0]) == 1
    assert not chain.sent


def test_a_reorg_below_confirmed_transactions_resends_them_at_their_nonces(db: Database) -> None:
    chain = FakeChain()
    factory = TradeFactory(db)
    ids = [factory.add(taker=i % 3, maker=3 + i % 2)[0] for i in range(6)]
    batcher = make_batcher(db, chain, use_batch=False, max_in_flight=3, chain_check_interval=0.0)
    seen: dict[str, list[str]] = {}
    batcher.add_listener(lambda t, s, h: seen.setdefault(t, []).append(s))
    for _ in range(3):
        batcher.step()
        chain.mine(3)
    batcher.step()
    batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    sent_before = {decode_raw(r).tx_hash for r in chain.sent}

    chain.reorg(chain.head_number - 10)  # back to block 10: every settlement is gone, the head is unchanged
    batcher.step()
    assert set(statuses(db).values()) == {"RETRYING"}
    assert {r["status"] for r in tx_rows(db)} == {"PENDING"}
    for _ in range(4):
        chain.mine(3)
        batcher.step()
    assert set(statuses(db).values()) == {"CONFIRMED"}
    assert all(seen[t][-4:] == ["CONFIRMED", "RETRYING", "MINED", "CONFIRMED"] for t in ids)
    assert {decode_raw(r).tx_hash for r in chain.sent} == sent_before, "the same signed bytes, the same nonces"
    assert sorted(chain.settled_salts) == sorted(set(chain.settled_salts))
    assert len(chain.settled_salts) == 6
    assert chain.nonce_latest == max(int(str(r["nonce"])) for r in tx_rows(db)) + 1
    assert batcher.stats.rollbacks == 1


@settings(derandomize=True, max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(0, 8), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_any_interleaving_of_reorgs_settles_every_trade_exactly_once(
    migrated: Path, rounds: list[tuple[int, int, int, bool]], back_to_pool: bool
) -> None:
    """Rounds of: new trades, steps with ``mine`` blocks between them, a reorg of ``depth`` blocks (deeper than
    the confirmations or not), and maybe a restart of the batcher from its database."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unit.db"
        shutil.copyfile(migrated, path)
        db = connect_database(f"sqlite:///{path}", migrate=False)
        try:
            chain = FakeChain(reorg_returns_to_pool=back_to_pool)
            factory = TradeFactory(db)
            salts: list[int] = []
            opts: dict[str, object] = {"use_batch": False, "max_in_flight": 3, "chain_check_interval": 0.0}
            batcher = make_batcher(db, chain, **opts)
            for trades_, mine, depth, restart in rounds:
                salts += [factory.add(taker=len(salts) % 3, maker=3)[1] for _ in range(trades_)]
                for _ in range(2):
                    batcher.step()
                    chain.mine(mine)
                batcher.step()
                if depth:
                    chain.reorg(min(depth, chain.head_number - 10))
                if restart:
                    batcher = make_batcher(db, chain, **opts)
                else:
                    batcher.step()
            for _ in range(60):
                batcher.step()
                if batcher.idle():
                    break
                chain.mine(3)
            assert set(statuses(db).values()) <= {"CONFIRMED"}
            assert sorted(chain.settled_salts) == sorted(salts), "every trade settled on chain exactly once"
            if salts:
                assert chain.nonce_latest == max(int(str(r["nonce"])) for r in tx_rows(db)) + 1
        finally:
            db.dispose()


def test_a_nonce_gap_nothing_will_fill_is_filled_with_a_cancel(db: Database) -> None:
    chain = FakeChain()
    tid, _ = TradeFactory(db).add()
    batcher = make_batcher(db, chain, chain_check_interval=0.0, gap_fill_after=5.0)
    clock = [time.time()]  # after recover()'s check
    batcher.clock = lambda: clock[0]
    chain.mine_foreign()  # another sender (a market-creation CLI on the operator key) takes nonce 0
    batcher.step()
    assert [r["nonce"] for r in tx_rows(db)] == [1]
    chain.nonce_latest = 0  # a rollback loses that foreign transaction: nobody will send nonce 0 again
    chain.mine()
    batcher.step()
    clock[0] += 4
    batcher.step()
    assert len(tx_rows(db)) == 1, "a gap may be a lagging node or pool: not filled at once"
    clock[0] += 1
    batcher.step()
    rows = tx_rows(db)
    assert [(r["nonce"], r["kind"], r["trade_count"]) for r in rows] == [(0, "cancel", 0), (1, "matchOrders", 1)]
    for _ in range(3):
        chain.mine()
        batcher.step()
    assert statuses(db)[tid] == "CONFIRMED"
    assert len(chain.settled_salts) == 1
    assert chain.nonce_latest == 2
