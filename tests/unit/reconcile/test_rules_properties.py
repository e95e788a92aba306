"""The reconciliation rules under random sequences of book and chain events (Hypothesis, fixed seeds).

``model.Model`` plays a book and a chain through honest operations (place, trade, settle alone or in a batch,
settle while the batcher has not recorded it yet, fail, cancel in the book, mine, deposit) and faults (a direct
fill outside the book, a tampered fee, dropped events, a FAILED trade that settled anyway, the wrong transaction
hash, an on-chain cancel, a nonce bump, a withdrawal), and predicts the discrepancies on its own bookkeeping.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from reconcile.rules import Kind, Snapshot, orders_to_cancel, reconcile, reservations
from tests.unit.reconcile.model import FAULTS, HONEST, Model

WEIGHT = {"place": 4, "trade": 5, "settle": 3, "settle_batch": 2, "mine": 2}


def ops(names: tuple[str, ...]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Operation lists; building a history (place, trade, settle) is drawn more often than the rest."""
    weighted = [n for n in names for _ in range(WEIGHT.get(n, 1))]
    small = st.integers(0, 1000)
    return st.lists(st.tuples(st.sampled_from(weighted), small, small, small), min_size=20, max_size=80)


def run(sequence: list[tuple[Any, ...]]) -> Model:
    model = Model()
    for op in sequence:
        model.apply(op)
    return model


def keys(snapshot: Snapshot) -> set[tuple[str, str]]:
    return {d.key for d in reconcile(snapshot)}


_MISSING_OR_WRONG = {str(Kind.TRADE_NOT_ON_CHAIN), str(Kind.TRADE_EVENTS_MISMATCH)}


def trade_kinds_merged(found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Treat "none of its events" and "some of its events, wrong" as one finding: when a faulty trade shares a
    transaction with other trades' events the two readings overlap (seen once in CI: a dropped trade whose orders'
    other fills sat in its transaction). Which subjects are flagged, and every other kind, must still match."""
    return {
        ("TRADE_MISSING_OR_WRONG", subject) if str(kind) in _MISSING_OR_WRONG else (str(kind), subject)
        for kind, subject in found
    }


def shuffled(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    def mix(items: tuple[Any, ...]) -> tuple[Any, ...]:
        out = list(items)
        rng.shuffle(out)
        return tuple(out)

    return replace(
        snapshot,
        trades=mix(snapshot.trades),
        orders=mix(snapshot.orders),
        fills=mix(snapshot.fills),
        matches=mix(snapshot.matches),
        cancellations=mix(snapshot.cancellations),
        nonces=mix(snapshot.nonces),
    )


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDARY = settings(PROPERTY, max_examples=150)


@seed(20261201)
@PROPERTY
@given(sequence=ops(HONEST), depth=st.integers(0, 4))
def test_an_honest_history_has_no_discrepancy(sequence: list[tuple[Any, ...]], depth: int) -> None:
    """Settled, in-flight, pending, failed and batched trades, book cancels and deposits: nothing is flagged,
    whatever the confirmation depth."""
    assert reconcile(run(sequence).snapshot(depth)) == []


@seed(20261202)
@PROPERTY
@given(sequence=ops(HONEST + FAULTS), depth=st.integers(0, 4))
def test_the_rules_find_exactly_the_injected_faults(sequence: list[tuple[Any, ...]], depth: int) -> None:
    """Every confirmed fault is found with its kind and subject, nothing else is, and unconfirmed ones wait."""
    model = run(sequence)
    assert trade_kinds_merged(keys(model.snapshot(depth))) == trade_kinds_merged(model.expected(depth))


@seed(20261203)
@SECONDARY
@given(sequence=ops(HONEST + FAULTS), depth=st.integers(0, 4), rng=st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_rows_are_read(
    sequence: list[tuple[Any, ...]], depth: int, rng: random.Random
) -> None:
    """Same snapshot in any row order: the same discrepancies with the same evidence (stored rows stay put)."""
    snapshot = run(sequence).snapshot(depth)
    assert reconcile(shuffled(snapshot, rng)) == reconcile(snapshot)


@seed(20261204)
@SECONDARY
@given(sequence=ops(HONEST + FAULTS), depth=st.integers(0, 4))
def test_cancelling_what_the_evidence_names_settles_the_book_side(sequence: list[tuple[Any, ...]], depth: int) -> None:
    """The feedback converges: once the book cancels the orders listed in the evidence, no LIVE order is
    cancelled on chain or stale by nonce, every trader's holdings cover what remains reserved, and what is left
    (trade and fill discrepancies, overfills: facts of the chain) asks for no further cancel."""
    snapshot = run(sequence).snapshot(depth)
    found = reconcile(snapshot)
    cancel = {oid for d in found for oid, _ in orders_to_cancel(d.evidence)}
    after = replace(
        snapshot,
        orders=tuple(replace(o, status="CANCELED") if o.order_id in cancel else o for o in snapshot.orders),
    )
    left = reconcile(after)
    book_side = {Kind.ORDER_CANCELLED_ON_CHAIN, Kind.ORDER_NONCE_INVALIDATED, Kind.BALANCE_BELOW_RESERVED}
    assert not [d for d in left if d.kind in book_side]
    assert all(orders_to_cancel(d.evidence) == [] for d in left)
    assert {d.key for d in left} <= {d.key for d in found}
    assert after.holdings is not None
    for (owner, asset), rows in reservations(after).items():
        assert sum(r for _, r in rows) <= after.holdings.get((owner, asset), 0)


@seed(20261205)
@SECONDARY
@given(sequence=ops(HONEST + FAULTS))
def test_confirming_more_blocks_only_adds_chain_facts(sequence: list[tuple[Any, ...]]) -> None:
    """Fills without a trade and on-chain cancels of LIVE orders only accumulate as the confirmed block rises:
    nothing flagged at one depth disappears when more blocks are confirmed."""
    model = run(sequence)
    chain_side = {Kind.FILL_WITHOUT_TRADE, Kind.ORDER_CANCELLED_ON_CHAIN}
    previous: set[tuple[str, str]] = set()
    for depth in range(model.head + 1, -1, -1):
        now = {k for k in keys(model.snapshot(depth)) if k[0] in chain_side}
        assert previous <= now
        previous = now


def test_the_evidence_of_each_kind() -> None:
    """One of each fault, checked field by field where the book acts on it."""
    model = Model()
    for op in [
        ("place", 0, 1, 0),  # owner 0 SELLs 1 of token 11
        ("place", 1, 0, 1),  # owner 1 BUYs token 12 for 9 collateral
        ("chain_cancel", 0, 0, 0),
        ("bump_nonce", 1, 0, 0),
        ("withdraw", 1, 0, 19),
        ("direct_fill", 0, 0, 4),
    ]:
        model.apply(op)
    found = {d.kind: d for d in reconcile(model.snapshot(0))}
    sell, buy = model.orders
    assert set(found) == {
        Kind.ORDER_CANCELLED_ON_CHAIN,
        Kind.ORDER_NONCE_INVALIDATED,
        Kind.BALANCE_BELOW_RESERVED,
        Kind.FILL_WITHOUT_TRADE,
    }
    assert found[Kind.ORDER_CANCELLED_ON_CHAIN].subject == sell.order_id
    assert orders_to_cancel(found[Kind.ORDER_CANCELLED_ON_CHAIN].evidence) == [(sell.order_id, sell.maker)]
    nonce = found[Kind.ORDER_NONCE_INVALIDATED].evidence
    assert (nonce["order_nonce"], nonce["chain_nonce"]) == ("0", "1")
    balance = found[Kind.BALANCE_BELOW_RESERVED]
    assert balance.subject == buy.maker
    assert balance.evidence["shortfalls"] == [
        {
            "asset_id": "0",
            "balance": "0",
            "reserved": str(buy.maker_amount),
            "orders": [{"order_id": buy.order_id, "remaining": str(buy.maker_amount)}],
        }
    ]
    fill = found[Kind.FILL_WITHOUT_TRADE].evidence
    assert (fill["making"], fill["claimed_by"], fill["taker"]) == ("5", [], model.direct_fills[0].taker)


def test_a_shortfall_cancels_the_newest_orders_until_the_rest_fits() -> None:
    model = Model()
    for op in [("place", 0, 1, 7), ("place", 0, 1, 1), ("place", 0, 1, 3)]:  # owner 0 SELLs 8, 2, 4 of token 12
        model.apply(op)
    old, middle, new = model.orders
    model.holdings[(old.maker, 12)] = 10  # 14 reserved: cancelling the newest leaves exactly 10
    (found,) = reconcile(model.snapshot(0))
    assert orders_to_cancel(found.evidence) == [(new.order_id, new.maker)]
    model.holdings[(old.maker, 12)] = 8
    (found,) = reconcile(model.snapshot(0))
    assert orders_to_cancel(found.evidence) == [(new.order_id, new.maker), (middle.order_id, middle.maker)]


def test_the_evidence_of_trade_faults() -> None:
    model = Model()
    model.apply(("place", 0, 1, 40))  # owner 0 SELLs 41 of token 11
    for _ in range(4):
        model.apply(("trade", 0, 1, 5))  # 2 each, for 6
        model.apply(("settle", 0, 1, 0))  # CONFIRMED, one transaction each
    for fault in ("tamper", "drop", "wrong_tx", "fail_settled"):
        model.apply((fault, 0, 0, 0))  # the first trade without a fault
    tampered, dropped, moved, failed = model.trades
    found = {d.kind: d for d in reconcile(model.snapshot(0))}
    assert {k: d.subject for k, d in found.items()} == {
        Kind.TRADE_EVENTS_MISMATCH: tampered.trade_id,
        Kind.TRADE_NOT_ON_CHAIN: dropped.trade_id,
        Kind.TRADE_TX_MISMATCH: moved.trade_id,
        Kind.TRADE_FAILED_BUT_SETTLED: failed.trade_id,
        Kind.ORDER_OVERFILLED_ON_CHAIN: failed.taker_order,  # on chain, but the book gave it back
    }
    mismatch = found[Kind.TRADE_EVENTS_MISMATCH].evidence
    (missing,) = mismatch["missing_fills"]
    (unexpected,) = mismatch["unexpected_fills"]
    assert missing["order_hash"] == unexpected["order_hash"] == tampered.taker_order
    assert (missing["fee"], unexpected["fee"]) == ("1", "2")
    assert mismatch["match_found"] == [mismatch["match_expected"]]
    assert found[Kind.TRADE_NOT_ON_CHAIN].evidence == {
        "tx_hash": dropped.tx_hash,
        "block_number": dropped.block,
        "status": "CONFIRMED",
    }
    assert found[Kind.TRADE_TX_MISMATCH].evidence["chain_tx_hash"] == moved.chain_tx != moved.tx_hash
    assert found[Kind.TRADE_FAILED_BUT_SETTLED].evidence == {"tx_hash": failed.chain_tx}
    overfill = found[Kind.ORDER_OVERFILLED_ON_CHAIN].evidence
    assert (overfill["chain_filled"], overfill["book_filled"], overfill["cancel"]) == ("6", "0", [])


def test_a_failed_trade_still_counts_against_what_the_order_reserves() -> None:
    """The engine consumed a FAILED trade's making like any other: the order reserves only what remains."""
    model = Model()
    model.apply(("place", 0, 1, 9))  # owner 0 SELLs 10 of token 12
    model.apply(("trade", 0, 3, 0))  # 4 of them
    model.apply(("fail", 0, 0, 0))
    (order, _taker) = model.orders
    model.holdings[(order.maker, 12)] = 6
    assert [r for _, r in reservations(model.snapshot(0))[(order.maker, 12)]] == [6]
    assert reconcile(model.snapshot(0)) == []
    model.holdings[(order.maker, 12)] = 5
    assert [d.kind for d in reconcile(model.snapshot(0))] == [Kind.BALANCE_BELOW_RESERVED]
