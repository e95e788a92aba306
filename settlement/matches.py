"""From stored trades to ``matchOrders`` arguments: the engine's payload plus the signed orders of the book.

A trade's payload (``clob.service.projections.trade_to_json``) names its taker order and maker orders by order id
(the EIP-712 hash) with the fill amounts the engine computed in the contract's terms; the signed orders are the
``orders.signed_order`` JSON (the POST /order ``order`` object). The match is::

    matchOrders(taker_order, [maker orders], taker_fill, [maker.making for each maker])

Each signed order is re-hashed under this deployment's EIP-712 domain and must equal its order id, so a
corrupted row can never put a different order on chain than the one the book matched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from clob.orders import Order as BookOrder
from clob.orders import OrderError, domain_separator, hash_order, parse_order
from clob.orders import order_to_json as v1_order_json
from contracts.exchange import (
    MATCH_ORDERS_BATCH_SELECTOR,
    Match,
    Order,
    Side,
    match_orders_calldata,
)
from settlement.errors import OrderDataError
from settlement.grouping import GasModel
from settlement.model import PendingTrade, PreparedTrade


def chain_order(order: BookOrder) -> Order:
    """The API's order model → the contract helpers' model (same fields, same hash)."""
    return Order(
        salt=order.salt,
        maker=order.maker,
        signer=order.signer,
        taker=order.taker,
        token_id=order.token_id,
        maker_amount=order.maker_amount,
        taker_amount=order.taker_amount,
        expiration=order.expiration,
        nonce=order.nonce,
        fee_rate_bps=order.fee_rate_bps,
        side=Side(int(order.side)),
        signature_type=int(order.signature_type),
        signature=order.signature,
    )


@lru_cache(maxsize=16)
def _separator(chain_id: int, exchange: str) -> bytes:
    return domain_separator(chain_id, exchange)


def load_order(order_id: str, signed_json: str | None, chain_id: int, exchange: str) -> Order:
    """The stored signed order of ``order_id``, checked to hash (EIP-712, this deployment) to that id."""
    if signed_json is None:
        raise OrderDataError(f"order {order_id} not found", (order_id,))
    try:
        obj: Any = json.loads(signed_json)
        book_order = parse_order(obj)
    except (ValueError, OrderError) as exc:
        raise OrderDataError(f"order {order_id}: unusable signed order ({exc})", (order_id,)) from None
    digest = "0x" + hash_order(book_order, _separator(chain_id, exchange)).hex()
    if digest != order_id.lower():
        raise OrderDataError(f"order {order_id}: signed order hashes to {digest}", (order_id,))
    return chain_order(book_order)


def build_match(trade: PendingTrade, orders: Mapping[str, Order]) -> Match:
    p = trade.payload
    makers = p["makers"]
    return Match(
        taker_order=orders[str(p["taker_order_id"])],
        maker_orders=tuple(orders[str(m["order_id"])] for m in makers),
        taker_fill_amount=int(p["taker_fill"]),
        maker_fill_amounts=tuple(int(m["making"]) for m in makers),
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
    fees = int(trade.payload["taker_fee"]) > 0 or any(int(m["fee"]) > 0 for m in trade.payload["makers"])
    return PreparedTrade(trade, match, gas_model.match_gas(trade.match_types, fees), encode_match(match))


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def encode_order(order: Order) -> bytes:
    """ABI encoding of the ``Order`` tuple (dynamic, because of ``bytes signature``): twelve static words, the
    signature's offset (13 words), then its length and its bytes right-padded to 32."""
    sig = bytes(order.signature)
    padded = sig + bytes(-len(sig) % 32)
    return b"".join(
        (
            _word(order.salt),
            _address_word(order.maker),
            _address_word(order.signer),
            _address_word(order.taker),
            _word(order.token_id),
            _word(order.maker_amount),
            _word(order.taker_amount),
            _word(order.expiration),
            _word(order.nonce),
            _word(order.fee_rate_bps),
            _word(int(order.side)),
            _word(int(order.signature_type)),
            _word(13 * 32),
            _word(len(sig)),
            padded,
        )
    )


def _dynamic_array(pieces: Sequence[bytes]) -> bytes:
    """``T[]`` of dynamic ``T``: length, offsets (from after the length word), elements."""
    offsets = []
    position = 32 * len(pieces)
    for piece in pieces:
        offsets.append(_word(position))
        position += len(piece)
    return _word(len(pieces)) + b"".join(offsets) + b"".join(pieces)


def encode_match(match: Match) -> bytes:
    """The ABI encoding of one ``Match`` as an element of ``Match[]`` (a dynamic tuple: self-contained, its
    offsets relative to its own start), so a batch's calldata is a concatenation of cached pieces. Hand-rolled
    (eth-abi's generic encoder costs ~3 ms a match); a unit test checks it against eth-abi."""
    taker = encode_order(match.taker_order)
    makers = _dynamic_array([encode_order(o) for o in match.maker_orders])
    fills = _word(len(match.maker_fill_amounts)) + b"".join(_word(a) for a in match.maker_fill_amounts)
    head = 4 * 32
    return b"".join(
        (
            _word(head),
            _word(head + len(taker)),
            _word(match.taker_fill_amount),
            _word(head + len(taker) + len(makers)),
            taker,
            makers,
            fills,
        )
    )


def batch_calldata(encoded: Sequence[bytes]) -> bytes:
    """``matchOrdersBatch(matches)`` from pre-encoded matches; equal to ``match_orders_batch_calldata``.

    Layout of the single ``Match[]`` argument: its offset (0x20), the length n, n offsets of the elements
    (relative to the first offset word), then the elements."""
    n = len(encoded)
    offsets = []
    position = 32 * n
    for piece in encoded:
        offsets.append(_word(position))
        position += len(piece)
    head = MATCH_ORDERS_BATCH_SELECTOR + _word(32) + _word(n)
    return head + b"".join(offsets) + b"".join(encoded)


def calldata(group: Sequence[PreparedTrade], batch: bool) -> bytes:
    """``matchOrders`` for one trade unless ``batch``; ``matchOrdersBatch`` otherwise."""
    if len(group) == 1 and not batch:
        return match_orders_calldata(group[0].match)
    return batch_calldata([p.encoded for p in group])


def taker_spend(payload: Mapping[str, Any]) -> int:
    """What the taker actually gives (its maker asset), from the engine's maker fills.

    COMPLEMENTARY makers are paid their whole ``taking`` by the taker (their fee included). A BUY taker tops up
    each MINT maker's full sets (``taking`` sets for the maker's ``making`` collateral); a SELL taker brings one
    token per set a MERGE maker merges (``making``). A BUY taker's unspent ``taker_fill`` is never pulled.
    """
    spend = 0
    for m in payload["makers"]:
        kind = m["match_type"]
        if kind == "COMPLEMENTARY":
            spend += int(m["taking"])
        elif kind == "MINT":
            spend += int(m["taking"]) - int(m["making"])
        else:  # MERGE
            spend += int(m["making"])
    return spend


def order_to_json(order: Order) -> dict[str, Any]:
    """The signed order as the POST /order ``order`` object (what ``orders.signed_order`` holds); the inverse of
    ``clob.orders.parse_order`` for the contract helpers' ``Order``. Used by tests, the benchmark and demos."""
    return v1_order_json(order)
