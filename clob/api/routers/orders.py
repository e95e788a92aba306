"""Order placement and cancellation (L2): POST /order, /orders; DELETE /order, /orders, /cancel-all,
/cancel-market-orders.

Bodies are read raw (the HMAC covers their exact bytes) and parsed by `orders.parse`, which tolerates what the
Python, TypeScript and Rust clients send; the OpenAPI schemas below document them for readers and fuzzers.

A single POST /order that is refused answers 400 ``{"error": ...}``; POST /orders answers 200 with one result per
order (``success`` false and ``errorMsg`` for a refused one).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from clob.api.deps import CancelsPart, DeskPart, L2User
from clob.api.render import cancel_json, placement_json, placements_json
from clob.api.responses import JSON, decode_json, json_body, order_bodies
from clob.service.errors import ErrorCode, ServiceError
from clob.service.outcomes import MAX_BATCH_ORDERS, parse_token_id

router = APIRouter(tags=["orders"])

_UINT = {"type": "string", "pattern": "^[0-9]{1,78}$"}
_ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["order", "owner", "orderType"],
    "properties": {
        "order": {
            "type": "object",
            "required": [
                "salt",
                "maker",
                "signer",
                "taker",
                "tokenId",
                "makerAmount",
                "takerAmount",
                "expiration",
                "nonce",
                "feeRateBps",
                "side",
                "signatureType",
                "signature",
            ],
            "properties": {
                "salt": {"type": "integer", "minimum": 0},
                "maker": _ADDRESS,
                "signer": _ADDRESS,
                "taker": _ADDRESS,
                "tokenId": _UINT,
                "makerAmount": _UINT,
                "takerAmount": _UINT,
                "expiration": _UINT,
                "nonce": _UINT,
                "feeRateBps": _UINT,
                "side": {"type": "string", "enum": ["BUY", "SELL"]},
                "signatureType": {"type": "integer", "enum": [0, 1, 2]},
                "signature": {"type": "string", "pattern": "^0x[0-9a-fA-F]{130}$"},
            },
        },
        "owner": {"type": "string", "description": "the API key"},
        "orderType": {"type": "string", "enum": ["GTC", "GTD", "FOK", "FAK"]},
        "postOnly": {"type": "boolean"},
    },
}
PLACEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "errorMsg": {"type": "string"},
        "orderID": {"type": "string"},
        "transactionsHashes": {"type": "array", "items": {"type": "string"}},
        "tradeIDs": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["live", "matched", "unmatched", ""]},
        "makingAmount": {"type": "string"},
        "takingAmount": {"type": "string"},
    },
}
CANCEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "canceled": {"type": "array", "items": {"type": "string"}},
        "not_canceled": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _ok(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"schema": schema}}}}


@router.post(
    "/order", summary="Place one signed order", openapi_extra=_body(ORDER_SCHEMA), responses=_ok(PLACEMENT_SCHEMA)
)
async def post_order(request: Request, creds: L2User, desk: DeskPart) -> Response:
    return JSON(placement_json(await desk.place_order(creds, decode_json(await request.body()))))


@router.post(
    "/orders",
    summary=f"Place up to {MAX_BATCH_ORDERS} signed orders; one result each",
    openapi_extra=_body({"type": "array", "items": ORDER_SCHEMA, "maxItems": MAX_BATCH_ORDERS}),
    responses=_ok({"type": "array", "items": PLACEMENT_SCHEMA}),
)
async def post_orders(request: Request, creds: L2User, desk: DeskPart) -> Response:
    return JSON(placements_json(await desk.place_orders(creds, order_bodies(await request.body()))))


def _order_id_of(body: Any) -> str:
    """The value of the "orderID" key, whatever its case (py sends orderID, rs orderId)."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(key, str) and key.lower() == "orderid" and isinstance(value, str):
                return value
    raise ServiceError(ErrorCode.INVALID_PAYLOAD, 'Invalid payload: expected {"orderID": "<order id>"}')


@router.delete(
    "/order",
    summary="Cancel one order",
    openapi_extra=_body({"type": "object", "required": ["orderID"], "properties": {"orderID": {"type": "string"}}}),
    responses=_ok(CANCEL_SCHEMA),
)
async def cancel_order(request: Request, creds: L2User, cancels: CancelsPart) -> Response:
    order_id = _order_id_of(await json_body(request))
    return JSON(cancel_json(await cancels.cancel_orders(creds, [order_id])))


@router.delete(
    "/orders",
    summary="Cancel several orders",
    openapi_extra=_body({"type": "array", "items": {"type": "string"}}),
    responses=_ok(CANCEL_SCHEMA),
)
async def cancel_orders(request: Request, creds: L2User, cancels: CancelsPart) -> Response:
    body = await json_body(request)
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: expected a JSON array of order ids")
    return JSON(cancel_json(await cancels.cancel_orders(creds, body)))


@router.delete("/cancel-all", summary="Cancel all the user's orders", responses=_ok(CANCEL_SCHEMA))
async def cancel_all(creds: L2User, cancels: CancelsPart) -> Response:
    return JSON(cancel_json(await cancels.cancel_all(creds)))


@router.delete(
    "/cancel-market-orders",
    summary="Cancel the user's orders in one market and/or one token",
    openapi_extra=_body(
        {"type": "object", "properties": {"market": {"type": "string"}, "asset_id": {"type": "string"}}}
    ),
    responses=_ok(CANCEL_SCHEMA),
)
async def cancel_market_orders(request: Request, creds: L2User, cancels: CancelsPart) -> Response:
    body = await json_body(request, required=False) or {}
    if not isinstance(body, dict):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, 'Invalid payload: expected {"market": ..., "asset_id": ...}')
    market, asset = body.get("market") or "", body.get("asset_id") or ""
    if not isinstance(market, str) or not isinstance(asset, str):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: market and asset_id must be strings")
    token = parse_token_id(asset) if asset else None
    return JSON(cancel_json(await cancels.cancel_all(creds, market or None, token)))
