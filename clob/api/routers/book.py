"""Public market data (no auth): book(s), price(s), midpoint(s), spread(s), last trade price(s), tick size,
neg-risk and fee rate. Batch endpoints take ``[{"token_id": ...}]`` (at most 500) and skip unknown tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from clob.api.deps import ReadsPart
from clob.api.render import pips, tick_json
from clob.api.responses import JSON, json_body
from clob.service.errors import ErrorCode, ServiceError
from clob.service.units import format_units

router = APIRouter(tags=["market data"])

MAX_BATCH = 500
_TOKENS = {
    "type": "array",
    "maxItems": MAX_BATCH,
    "items": {
        "type": "object",
        "required": ["token_id"],
        "properties": {"token_id": {"type": "string"}, "side": {"type": "string", "enum": ["BUY", "SELL"]}},
    },
}
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": _TOKENS}}}}


async def _items(request: Request) -> list[dict[str, Any]]:
    body = await json_body(request)
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload")
    if len(body) > MAX_BATCH:
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Payload exceeds the limit")
    for item in body:
        if not isinstance(item.get("token_id"), str):
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: token_id must be a string")
    return body


def _known(fn: Any, *args: Any) -> Any:
    """``fn(*args)``, or None when the token (or the side of its book) is unknown."""
    try:
        return fn(*args)
    except ServiceError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            return None
        raise


def _mid(total: int) -> str:
    return format_units(total * 50)  # (bid + ask) / 2 pips = total * 50 base units (1e-6)


@router.get("/book", summary="Order book summary of a token")
def get_book(reads: ReadsPart, token_id: str | None = None) -> Response:
    return JSON(reads.book(token_id))


@router.post("/books", summary="Order book summaries of several tokens", openapi_extra=_BODY)
async def post_books(request: Request, reads: ReadsPart) -> Response:
    items = await _items(request)
    books = [_known(reads.book, i["token_id"]) for i in items]
    return JSON([b for b in books if b is not None])


@router.get("/price", summary="BUY: best bid; SELL: best ask")
def get_price(reads: ReadsPart, token_id: str | None = None, side: str | None = None) -> Response:
    return JSON({"price": pips(reads.price(token_id, side))})


@router.post("/prices", summary="Best prices of several tokens", openapi_extra=_BODY)
async def post_prices(request: Request, reads: ReadsPart) -> Response:
    out: dict[str, dict[str, str]] = {}
    for item in await _items(request):
        side = str(item.get("side") or "")
        price = _known(reads.price, item["token_id"], side)
        if price is not None:
            out.setdefault(item["token_id"], {})[side.upper()] = pips(price)
    return JSON(out)


@router.get("/midpoint", summary="Midpoint of the best bid and ask")
def get_midpoint(reads: ReadsPart, token_id: str | None = None) -> Response:
    total, _ = reads.midpoint(token_id)
    return JSON({"mid": _mid(total)})


@router.post("/midpoints", summary="Midpoints of several tokens", openapi_extra=_BODY)
async def post_midpoints(request: Request, reads: ReadsPart) -> Response:
    out: dict[str, str] = {}
    for item in await _items(request):
        mid = _known(reads.midpoint, item["token_id"])
        if mid is not None:
            out[item["token_id"]] = _mid(mid[0])
    return JSON(out)


@router.get("/spread", summary="Best ask minus best bid")
def get_spread(reads: ReadsPart, token_id: str | None = None) -> Response:
    return JSON({"spread": pips(reads.spread(token_id))})


@router.post("/spreads", summary="Spreads of several tokens", openapi_extra=_BODY)
async def post_spreads(request: Request, reads: ReadsPart) -> Response:
    out: dict[str, str] = {}
    for item in await _items(request):
        spread = _known(reads.spread, item["token_id"])
        if spread is not None:
            out[item["token_id"]] = pips(spread)
    return JSON(out)


@router.get("/last-trade-price", summary="Price and taker side of the token's last trade")
def get_last_trade_price(reads: ReadsPart, token_id: str | None = None) -> Response:
    last = reads.last_trade(token_id)
    return JSON({"price": last.price if last else "0", "side": last.side if last else ""})


@router.post("/last-trades-prices", summary="Last trades of several tokens", openapi_extra=_BODY)
async def post_last_trades_prices(request: Request, reads: ReadsPart) -> Response:
    out = []
    for item in await _items(request):
        try:
            last = reads.last_trade(item["token_id"])
        except ServiceError as exc:
            if exc.code != ErrorCode.NOT_FOUND:
                raise
            continue
        out.append(
            {"token_id": item["token_id"], "price": last.price if last else "0", "side": last.side if last else ""}
        )
    return JSON(out)


@router.get("/tick-size", summary="The market's tick size (a JSON number: 0.1, 0.01, 0.001 or 0.0001)")
def get_tick_size(reads: ReadsPart, token_id: str | None = None) -> Response:
    return JSON(tick_json(reads.tick_size(token_id)))


@router.get("/neg-risk", summary="Whether the market is neg-risk: always false here")
def get_neg_risk(reads: ReadsPart, token_id: str | None = None) -> Response:
    reads.token(token_id)
    return JSON({"neg_risk": False})


@router.get("/fee-rate", summary="The market's fee rate in basis points")
def get_fee_rate(reads: ReadsPart, token_id: str | None = None) -> Response:
    return JSON({"base_fee": reads.fee_rate(token_id)})
