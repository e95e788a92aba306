"""The journal codec (clob.service.codec): the written-out PlaceOrder encoder gives the generic encoder's bytes, and
every command decodes back to itself."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from clob.engine import OrderType, PlaceOrder, Side
from clob.engine.types import Address, BaseUnits, OrderId, Seq, TokenId, UnixSeconds
from clob.service.codec import _dump, _fields, decode, decode_command, encode

u64 = st.integers(min_value=0, max_value=2**64 - 1)

place_orders = st.builds(
    PlaceOrder,
    seq=st.integers(1, 2**40).map(Seq),
    now=st.integers(0, 2**40).map(UnixSeconds),
    order_id=st.binary(min_size=32, max_size=32).map(lambda b: OrderId("0x" + b.hex())),
    maker=st.binary(min_size=20, max_size=20).map(lambda b: Address("0x" + b.hex())),
    token_id=st.integers(0, 2**256 - 1).map(TokenId),
    side=st.sampled_from(list(Side)),
    maker_amount=u64.map(BaseUnits),
    taker_amount=u64.map(BaseUnits),
    fee_rate_bps=st.integers(0, 10_000),
    expiration=st.integers(0, 2**40).map(UnixSeconds),
    order_type=st.sampled_from(list(OrderType)),
    post_only=st.booleans(),
)
metas = st.dictionaries(
    st.text(max_size=8), st.one_of(st.text(max_size=20), u64, st.integers(2**64, 2**80)), max_size=4
)


@given(place_orders, metas)
def test_the_placement_fast_path_writes_the_generic_bytes(command: PlaceOrder, meta: dict[str, Any]) -> None:
    assert encode(command, meta) == _dump({"command": _fields(command), "meta": meta})


@given(place_orders, metas)
def test_placements_round_trip(command: PlaceOrder, meta: dict[str, Any]) -> None:
    payload = encode(command, meta)
    assert decode("place", payload, command.seq) == (command, meta)
    assert decode_command("place", payload, command.seq) == command
    assert orjson.loads(payload)["command"]["token_id"] == str(command.token_id)  # uint256 as a decimal string
