"""Pure parts of the flush: grouping under a gas cap, first-failure bisection, fees, send-error classification."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.chain import SendOutcome, classify_send_error
from settlement.fees import Fees, initial_fees, replacement_fees
from settlement.grouping import GasModel, first_failure, group_by_gas


def test_groups_respect_the_cap_and_the_count_and_keep_order() -> None:
    gas = [100, 200, 300, 50, 500, 10]
    groups = group_by_gas(list(range(len(gas))), lambda i: gas[i], cap=560, max_items=3, base=50)
    assert groups == [[0, 1], [2, 3], [4, 5]]
    assert [i for g in groups for i in g] == list(range(len(gas)))


def test_an_item_bigger_than_the_cap_gets_a_group_of_its_own() -> None:
    assert group_by_gas([1, 99, 1], lambda g: g, cap=50, max_items=10, base=0) == [[1], [99], [1]]


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.integers(1, 1000), max_size=40), st.integers(1, 3000), st.integers(1, 8))
def test_grouping_properties(gas: list[int], cap: int, max_items: int) -> None:
    groups = group_by_gas(gas, lambda g: g, cap=cap, max_items=max_items, base=0)
    assert [g for group in groups for g in group] == gas
    for group in groups:
        assert 1 <= len(group) <= max_items
        assert sum(group) <= cap or len(group) == 1


@settings(derandomize=True, max_examples=200)
@given(st.integers(1, 200), st.data())
def test_first_failure_finds_the_first_bad_element_in_log_calls(n: int, data: st.DataObject) -> None:
    bad = data.draw(st.integers(0, n - 1))
    calls: list[int] = []

    def prefix_fails(k: int) -> bool:
        calls.append(k)
        return k > bad

    assert first_failure(n, prefix_fails) == bad
    assert len(calls) <= max(1, math.ceil(math.log2(n)))


def test_gas_model_prices_makers_by_match_type() -> None:
    model = GasModel()
    assert model.match_gas(["MINT"]) > model.match_gas(["COMPLEMENTARY"])
    assert model.match_gas(["COMPLEMENTARY", "COMPLEMENTARY"]) > model.match_gas(["COMPLEMENTARY"])


def test_initial_fees_leave_room_for_a_rising_base_fee() -> None:
    assert initial_fees(10, 2, cap=1000) == Fees(22, 2)
    assert initial_fees(10**6, 2, cap=1000) == Fees(1000, 2)


def test_replacement_outbids_by_the_bump_and_follows_the_market() -> None:
    prev = Fees(max_fee_per_gas=3_000, max_priority_fee_per_gas=1_000)
    bumped = replacement_fees(prev, base_fee=100, tip=1_000, bump=0.125, cap=10**9)
    assert bumped == Fees(3_375, 1_125)
    market = replacement_fees(prev, base_fee=5_000, tip=2_000, bump=0.125, cap=10**9)
    assert market == Fees(12_000, 2_000)
    tiny = replacement_fees(Fees(1, 1), base_fee=0, tip=0, bump=0.125, cap=10**9)
    assert tiny == Fees(2, 2), "at least one wei more"


def test_replacement_is_refused_when_the_cap_forbids_outbidding() -> None:
    assert replacement_fees(Fees(1_000, 100), base_fee=100, tip=100, bump=0.125, cap=1_000) is None


def test_send_errors_are_classified_across_node_wordings() -> None:
    assert classify_send_error("transaction already imported") == SendOutcome.KNOWN
    assert classify_send_error("already known") == SendOutcome.KNOWN
    assert classify_send_error("nonce too low") == SendOutcome.NONCE_TOO_LOW
    assert classify_send_error("replacement transaction underpriced") == SendOutcome.UNDERPRICED
    assert classify_send_error("max fee per gas less than block base fee") == SendOutcome.UNDERPRICED
    assert classify_send_error("insufficient funds for gas * price + value") == SendOutcome.REJECTED


def test_the_batchers_calldata_from_cached_pieces_equals_eth_abis() -> None:
    """Byte for byte: ``matchOrders`` for one trade, ``matchOrdersBatch`` for a group, from each trade's cached
    ``encode_match`` (the encoder itself is checked on random input in tests/unit/chain/test_abi_encoding.py)."""
    from typing import cast

    from eth_abi.abi import encode as abi_encode

    from chain.exchange import (
        MATCH_ABI,
        MATCH_ORDERS_BATCH_SELECTOR,
        MATCH_ORDERS_SELECTOR,
        Match,
        Side,
        encode_match,
    )
    from settlement.matches import calldata
    from settlement.model import PendingTrade, PreparedTrade
    from tests.unit.settlement.fakes import signed_order

    matches = []
    for i in range(4):
        makers = tuple(signed_order(1 + k, Side.SELL, 100 * i + k, 10 + k, 5 + i) for k in range(i + 1))
        matches.append(Match(signed_order(0, Side.BUY, 100 * i + 50, 7, 9), makers, 7, tuple(range(1, i + 2))))
    prepared = [PreparedTrade(cast(PendingTrade, None), m, 0, encode_match(m)) for m in matches]

    def eth_abi_batch(batch: list[Match]) -> bytes:
        return MATCH_ORDERS_BATCH_SELECTOR + abi_encode([f"{MATCH_ABI}[]"], [[m.as_args() for m in batch]])

    assert calldata(prepared, batch=True) == eth_abi_batch(matches)
    assert calldata(prepared[:1], batch=True) == eth_abi_batch(matches[:1])
    assert calldata([], batch=True) == eth_abi_batch([])
    for p in prepared:
        assert calldata([p], batch=False) == MATCH_ORDERS_SELECTOR + abi_encode([MATCH_ABI], [p.match.as_args()])[32:]
