"""Parsing the JSON body of POST /order (one element of POST /orders) into a `SignedOrderRequest`.

The body py-clob-client 0.34.6 sends::

    {"order": {"salt": 1440835421, "maker": "0x19E7…", "signer": "0x19E7…",
               "taker": "0x0000000000000000000000000000000000000000", "tokenId": "1234",
               "makerAmount": "5500000", "takerAmount": "10000000", "expiration": "0", "nonce": "0",
               "feeRateBps": "0", "side": "BUY", "signatureType": 0, "signature": "0x…1c"},
     "owner": "<api key>", "orderType": "GTC", "postOnly": false}

Tolerance, for the TypeScript and Rust clients and older Python ones: integers may come as JSON numbers or
decimal strings; `side` may be "BUY"/"SELL" in any case or 0/1 (number or string); addresses may be
checksummed or lower-case (a mixed-case address with a wrong checksum is rejected); `postOnly` and
`deferExec` may be missing or null; unknown keys are ignored. Anything else raises `OrderParseError` whose
message names the field, e.g. ``invalid order: makerAmount must be a positive integer string`` — never
another exception, whatever the JSON value (a property test feeds it arbitrary JSON).

Only the shape is checked here. Amount rules (`orders.amounts`) and the signature
(`orders.eip712`) come next; expiry, nonce, fee rate and balances are the service's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from orders.errors import OrderErrorCode, OrderParseError
from orders.model import (
    UINT256_MAX,
    Address,
    Order,
    OrderType,
    Side,
    SignatureType,
    SignedOrderRequest,
    checksum_address,
    normalize_address,
)

_MAX_UINT_DIGITS = 78  # len(str(2**256 - 1))
_MAX_OWNER_LENGTH = 128
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL, "0": Side.BUY, "1": Side.SELL}


def _fail(field: str, requirement: str) -> OrderParseError:
    return OrderParseError(OrderErrorCode.INVALID_FIELD, f"invalid order: {field} must be {requirement}", field)


def _uint(order: Mapping[str, Any], field: str, *, positive: bool = False, number: bool = False) -> int:
    value = order.get(field)
    if isinstance(value, str) and 0 < len(value) <= _MAX_UINT_DIGITS and value.isascii() and value.isdigit():
        result = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        result = value
    else:
        result = -1
    if result < (1 if positive else 0) or result > UINT256_MAX:
        kind = "positive" if positive else "non-negative"
        raise _fail(field, f"a {kind} integer{'' if number else ' string'} below 2^256")
    return result


def _address(order: Mapping[str, Any], field: str) -> Address:
    value = order.get(field)
    if not isinstance(value, str):
        raise _fail(field, "an address string (0x followed by 40 hex digits)")
    try:
        return normalize_address(value)
    except ValueError as exc:
        raise OrderParseError(OrderErrorCode.INVALID_FIELD, f"invalid order: {field} {exc}", field) from None


def _side(order: Mapping[str, Any]) -> Side:
    value = order.get("side")
    if isinstance(value, str):
        side = _SIDES.get(value.upper())
        if side is not None:
            return side
    elif isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return Side(value)
    raise _fail("side", '"BUY" or "SELL"')


def _signature_type(order: Mapping[str, Any]) -> SignatureType:
    value = order.get("signatureType")
    if isinstance(value, str) and value in ("0", "1", "2"):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2):
        return SignatureType(value)
    raise _fail("signatureType", "0 (EOA), 1 (POLY_PROXY) or 2 (POLY_GNOSIS_SAFE)")


def _signature(order: Mapping[str, Any]) -> bytes:
    value = order.get("signature")
    if isinstance(value, str) and len(value) in (130, 132):
        digits = value[2:] if len(value) == 132 and value[:2] in ("0x", "0X") else value
        if len(digits) == 130 and digits.isascii():
            try:
                raw = bytes.fromhex(digits)
            except ValueError:
                raw = b""
            if len(raw) == 65:
                return raw
    raise _fail("signature", "0x followed by 130 hex digits (65 bytes r, s, v)")


def _flag(body: Mapping[str, Any], field: str) -> bool:
    value = body.get(field)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise _fail(field, "a boolean")


def parse_order(order: object) -> Order:
    """The signed order object (the value of "order") → `Order`."""
    if not isinstance(order, Mapping):
        raise OrderParseError(OrderErrorCode.INVALID_BODY, "invalid order: order must be a JSON object", "order")
    return Order(
        salt=_uint(order, "salt", number=True),
        maker=_address(order, "maker"),
        signer=_address(order, "signer"),
        taker=_address(order, "taker"),
        token_id=_uint(order, "tokenId", positive=True),
        maker_amount=_uint(order, "makerAmount", positive=True),
        taker_amount=_uint(order, "takerAmount", positive=True),
        expiration=_uint(order, "expiration"),
        nonce=_uint(order, "nonce"),
        fee_rate_bps=_uint(order, "feeRateBps"),
        side=_side(order),
        signature_type=_signature_type(order),
        signature=_signature(order),
    )


def parse_order_request(body: object) -> SignedOrderRequest:
    """A decoded JSON body of POST /order (or one element of POST /orders) → `SignedOrderRequest`."""
    if not isinstance(body, Mapping):
        raise OrderParseError(OrderErrorCode.INVALID_BODY, "invalid order: the body must be a JSON object")
    order = parse_order(body.get("order"))
    owner = body.get("owner")
    if not isinstance(owner, str) or not owner or len(owner) > _MAX_OWNER_LENGTH:
        raise _fail("owner", "the API key (a non-empty string)")
    order_type_value = body.get("orderType")
    try:
        order_type = OrderType(order_type_value.upper() if isinstance(order_type_value, str) else "")
    except ValueError:
        raise _fail("orderType", "one of GTC, GTD, FOK, FAK") from None
    post_only = _flag(body, "postOnly")
    if post_only and order_type.is_market:
        raise OrderParseError(
            OrderErrorCode.INVALID_FIELD, "invalid order: postOnly is only allowed with GTC and GTD orders", "postOnly"
        )
    return SignedOrderRequest(
        order=order, owner=owner, order_type=order_type, post_only=post_only, defer_exec=_flag(body, "deferExec")
    )


def parse_order_request_json(raw: bytes | str) -> SignedOrderRequest:
    """Decode raw JSON (orjson: integers beyond 64 bits arrive as floats, so send huge salts as strings)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise OrderParseError(OrderErrorCode.INVALID_BODY, "invalid order: the body is not valid JSON") from None
    return parse_order_request(body)


def order_to_json(order: Any) -> dict[str, Any]:
    """The inverse of ``parse_order``: an order as the ``order`` object of Polymarket's POST /order body (decimal
    strings, checksummed addresses, ``side`` "BUY"/"SELL"). Works for any object with the V1 order's fields."""
    return {
        "salt": int(order.salt),
        "maker": checksum_address(str(order.maker)),
        "signer": checksum_address(str(order.signer)),
        "taker": checksum_address(str(order.taker)),
        "tokenId": str(order.token_id),
        "makerAmount": str(order.maker_amount),
        "takerAmount": str(order.taker_amount),
        "expiration": str(order.expiration),
        "nonce": str(order.nonce),
        "feeRateBps": str(order.fee_rate_bps),
        "side": "BUY" if int(order.side) == int(Side.BUY) else "SELL",
        "signatureType": int(order.signature_type),
        "signature": "0x" + bytes(order.signature).hex(),
    }
