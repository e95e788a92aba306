"""From stored trades to ``matchOrders`` arguments: the stored trade plus the signed orders of the book.

A stored trade (``orders.StoredTrade``, parsed from the payload that ``clob.service.projections.trade_to_json``
writes) names its taker order and maker orders by order id (the EIP-712 hash) with the fill amounts the engine
computed in the contract's terms; the signed orders are the ``orders.signed_order`` JSON (the POST /order
``order`` object). The match is::

    matchOrders(taker_order, [maker orders], taker_fill, [maker.making for each maker])

Each signed order is re-hashed under this deployment's EIP-712 domain and must equal its order id, so a
corrupted row can never put a different order on chain than the one the book matched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from chain.exchange import (
    MATCH_ORDERS_SELECTOR,
    Match,
    encode_match,
    match_orders_batch_calldata_from,
)
from orders import MatchType, Order, OrderError, StoredTrade, domain_separator, hash_order, parse_order
from orders import order_to_json as v1_order_json
from settlement.errors import OrderDataError
from settlement.grouping import GasModel
from settlement.model import PendingTrade, PreparedTrade


@lru_cache(maxsize=16)
def _separator(chain_id: int, exchange: str) -> bytes:
    return domain_separator(chain_id, exchange)


def load_order(order_id: str, signed_json: str | None, chain_id: int, exchange: str) -> Order:
    """The stored signed order of ``order_id``, checked to hash (EIP-712, this deployment) to that id."""
    if signed_json is None:
        raise OrderDataError(f"order {order_id} not found", (order_id,))
    try:
        obj: Any = json.loads(signed_json)
        order = parse_order(obj)
    except (ValueError, OrderError) as exc:
        raise OrderDataError(f"order {order_id}: unusable signed order ({exc})", (order_id,)) from None
    digest = "0x" + hash_order(order, _separator(chain_id, exchange)).hex()
    if digest != order_id.lower():
        raise OrderDataError(f"order {order_id}: signed order hashes to {digest}", (order_id,))
    return order


def build_match(trade: PendingTrade, orders: Mapping[str, Order]) -> Match:
    stored = trade.stored
    makers = stored.makers
    return Match(
        taker_order=orders[stored.taker_order_id],
        maker_orders=tuple(orders[m.order_id] for m in makers),
        taker_fill_amount=stored.taker_fill,
        maker_fill_amounts=tuple(m.making for m in makers),
    )


def prepare(
    trade: PendingTrade, signed: Mapping[str, str], chain_id: int, exchange: str, gas_model: GasModel
) -> PreparedTrade:
    """Build the trade's match from the stored signed orders; raise ``OrderDataError`` if any is unusable."""
    orders: dict[str, Order] = {}
    for oid in trade.order_ids:
        if oid not in orders:
            orders[oid] = load_order(oid, signed.get(oid), chain_id, exchange)
    match = build_match(trade, orders)
    fees = trade.stored.has_fees
    return PreparedTrade(trade, match, gas_model.match_gas(trade.match_types, fees), encode_match(match))


def calldata(group: Sequence[PreparedTrade], batch: bool) -> bytes:
    """``matchOrders`` for one trade unless ``batch``; ``matchOrdersBatch`` otherwise."""
    if len(group) == 1 and not batch:
        return MATCH_ORDERS_SELECTOR + group[0].encoded
    return match_orders_batch_calldata_from([p.encoded for p in group])


def taker_spend(trade: StoredTrade) -> int:
    """What the taker actually gives (its maker asset), from the engine's maker fills.

    COMPLEMENTARY makers are paid their whole ``taking`` by the taker (their fee included). A BUY taker tops up
    each MINT maker's full sets (``taking`` sets for the maker's ``making`` collateral); a SELL taker brings one
    token per set a MERGE maker merges (``making``). A BUY taker's unspent ``taker_fill`` is never pulled.
    """
    spend = 0
    for m in trade.makers:
        kind = m.match_type
        if kind == MatchType.COMPLEMENTARY:
            spend += m.taking
        elif kind == MatchType.MINT:
            spend += m.taking - m.making
        else:  # MERGE
            spend += m.making
    return spend


def order_to_json(order: Order) -> dict[str, Any]:
    """The signed order as the POST /order ``order`` object (what ``orders.signed_order`` holds); the inverse of
    ``orders.parse_order``. Used by tests, the benchmark and demos."""
    return v1_order_json(order)
