"""The one place the order vocabulary (`orders`) is put into the engine's terms (`clob.engine`).

The engine is self-contained: it imports nothing of the project, so it has its own compact `Side`, `OrderType`
and `Address` (equal in value to the vocabulary's: the same integers, strings and lower-case addresses, so an
address passes as it is). The service turns a signed order into an engine command here and nowhere else; the
enum conversions are table look-ups, never enum construction, once per order.
"""

from __future__ import annotations

from typing import Final

from clob.engine import BaseUnits, OrderId, PlaceOrder, Seq, TokenId, UnixSeconds
from clob.engine import OrderType as EngineOrderType
from clob.engine import Side as EngineSide
from clob.engine.types import Address as EngineAddress
from orders import Order, OrderType, Side

ENGINE_SIDES: Final[dict[Side, EngineSide]] = {s: EngineSide(int(s)) for s in Side}
ENGINE_ORDER_TYPES: Final[dict[OrderType, EngineOrderType]] = {t: EngineOrderType(t.value) for t in OrderType}


def place_order(seq: Seq, now: int, order_id: str, order: Order, order_type: OrderType, post_only: bool) -> PlaceOrder:
    """The engine command that places the signed ``order`` (id ``order_id``, its EIP-712 hash) as ``order_type``."""
    return PlaceOrder(
        seq,
        UnixSeconds(now),
        OrderId(order_id),
        EngineAddress(order.maker),
        TokenId(order.token_id),
        ENGINE_SIDES[order.side],
        BaseUnits(order.maker_amount),
        BaseUnits(order.taker_amount),
        order.fee_rate_bps,
        UnixSeconds(order.expiration),
        ENGINE_ORDER_TYPES[order_type],
        post_only,
    )
