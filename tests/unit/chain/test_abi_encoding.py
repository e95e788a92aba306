"""The contract helpers' hand-written ABI encoder (``chain.exchange``, "ABI encoding") against eth-abi's generic
one: every calldata builder gives eth-abi's bytes to the byte, on random orders and matches, and refuses what eth-abi
refuses (a value out of its type's range, an address that is not 20 bytes)."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.exchange import (
    FILL_ORDER_SELECTOR,
    FILL_ORDERS_SELECTOR,
    MATCH_ABI,
    MATCH_ORDERS_BATCH_SELECTOR,
    MATCH_ORDERS_SELECTOR,
    ORDER_ABI,
    Match,
    Order,
    Side,
    encode_match,
    encode_order,
    fill_order_calldata,
    fill_orders_calldata,
    match_orders_batch_calldata,
    match_orders_batch_calldata_from,
    match_orders_calldata,
    order_tuple,
)

uint256 = st.integers(0, 2**256 - 1)
small = st.integers(0, 2**64)
address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
orders = st.builds(
    Order,
    salt=uint256,
    maker=address,
    signer=address,
    taker=address,
    token_id=uint256,
    maker_amount=small,
    taker_amount=small,
    expiration=uint256,
    nonce=small,
    fee_rate_bps=st.integers(0, 10_000),
    side=st.sampled_from(Side),
    signature_type=st.integers(0, 255),
    # Empty, one word, a usual 65-byte signature, and lengths that need padding.
    signature=st.one_of(st.just(b""), st.binary(min_size=65, max_size=65), st.binary(max_size=100)),
)


@st.composite
def matches(draw: st.DrawFn) -> Match:
    makers = tuple(draw(st.lists(orders, max_size=4)))
    fills = tuple(draw(st.lists(small, min_size=len(makers), max_size=len(makers))))
    return Match(draw(orders), makers, draw(small), fills)


@settings(max_examples=150, deadline=None)
@given(orders)
def test_an_order_encodes_as_eth_abi_does(order: Order) -> None:
    assert encode_order(order) == abi_encode([ORDER_ABI], [order_tuple(order)])[32:]


@settings(max_examples=150, deadline=None)
@given(matches())
def test_match_orders_calldata_is_eth_abis(match: Match) -> None:
    args = [ORDER_ABI, f"{ORDER_ABI}[]", "uint256", "uint256[]"]
    assert match_orders_calldata(match) == MATCH_ORDERS_SELECTOR + abi_encode(args, list(match.as_args()))
    assert encode_match(match) == abi_encode([MATCH_ABI], [match.as_args()])[32:]


@settings(max_examples=60, deadline=None)
@given(st.lists(matches(), max_size=4))
def test_match_orders_batch_calldata_is_eth_abis(batch: list[Match]) -> None:
    expected = MATCH_ORDERS_BATCH_SELECTOR + abi_encode([f"{MATCH_ABI}[]"], [[m.as_args() for m in batch]])
    assert match_orders_batch_calldata(batch) == expected
    assert match_orders_batch_calldata_from([encode_match(m) for m in batch]) == expected


@settings(max_examples=100, deadline=None)
@given(orders, uint256)
def test_fill_order_calldata_is_eth_abis(order: Order, amount: int) -> None:
    expected = FILL_ORDER_SELECTOR + abi_encode([ORDER_ABI, "uint256"], [order_tuple(order), amount])
    assert fill_order_calldata(order, amount) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(orders, max_size=4), st.lists(uint256, max_size=5))
def test_fill_orders_calldata_is_eth_abis(batch: list[Order], amounts: list[int]) -> None:
    expected = FILL_ORDERS_SELECTOR + abi_encode(
        [f"{ORDER_ABI}[]", "uint256[]"], [[order_tuple(o) for o in batch], amounts]
    )
    assert fill_orders_calldata(batch, amounts) == expected


def _order(**kw: object) -> Order:
    values: dict[str, object] = {
        "salt": 1,
        "maker": "0x" + "11" * 20,
        "signer": "0x" + "11" * 20,
        "taker": "0x" + "00" * 20,
        "token_id": 7,
        "maker_amount": 10,
        "taker_amount": 20,
        "expiration": 0,
        "nonce": 0,
        "fee_rate_bps": 0,
        "side": Side.BUY,
    }
    values.update(kw)
    return Order(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"salt": 2**256},
        {"maker_amount": -1},
        {"side": 256},
        {"signature_type": -1},
        {"maker": "0x" + "11" * 19},
        {"taker": "0x" + "11" * 21},
    ],
)
def test_what_eth_abi_refuses_is_refused(fields: dict[str, object]) -> None:
    order = _order(**fields)
    with pytest.raises(ValueError, match="is not a"):
        encode_order(order)
    with pytest.raises((EncodingError, ValueError)):  # eth-abi's range checks, eth-utils' address check
        abi_encode([ORDER_ABI], [order_tuple(order)])
