"""`clob.service.engine_terms`: a signed order becomes the engine command with the same values, for every side and
order type (the engine has its own enums, equal in value to the vocabulary's)."""

from __future__ import annotations

import pytest

from clob import engine
from clob.engine import PlaceOrder, Seq
from clob.service.engine_terms import ENGINE_ORDER_TYPES, ENGINE_SIDES, place_order
from orders import Order, OrderType, Side, normalize_address

MAKER = normalize_address("0x" + "ab" * 20)


@pytest.mark.parametrize("side", list(Side))
@pytest.mark.parametrize("order_type", list(OrderType))
def test_place_order_carries_every_field(side: Side, order_type: OrderType) -> None:
    order = Order(
        salt=1,
        maker=MAKER,
        signer=MAKER,
        taker=normalize_address("0x" + "00" * 20),
        token_id=2**255 + 3,
        maker_amount=5_000_000,
        taker_amount=10_000_000,
        expiration=1_900_000_000 if order_type is OrderType.GTD else 0,
        nonce=0,
        fee_rate_bps=7,
        side=side,
    )
    cmd = place_order(Seq(9), 1_800_000_000, "0x" + "11" * 32, order, order_type, post_only=True)
    assert isinstance(cmd, PlaceOrder)
    assert cmd.seq == 9
    assert cmd.now == 1_800_000_000
    assert cmd.order_id == "0x" + "11" * 32
    assert cmd.maker == MAKER
    assert cmd.token_id == order.token_id
    assert type(cmd.side) is engine.Side
    assert cmd.side == engine.Side(int(side))
    assert (cmd.maker_amount, cmd.taker_amount) == (5_000_000, 10_000_000)
    assert cmd.fee_rate_bps == 7
    assert cmd.expiration == order.expiration
    assert type(cmd.order_type) is engine.OrderType
    assert cmd.order_type.value == order_type.value
    assert cmd.post_only is True


def test_the_tables_cover_both_vocabularies() -> None:
    assert {int(s) for s in ENGINE_SIDES} == {int(s) for s in engine.Side}
    assert {t.value for t in ENGINE_ORDER_TYPES} == {t.value for t in engine.OrderType}
