"""A user's orders and trades (L2): /data/order/{id}, /data/orders, /data/trades, paged with Polymarket cursors."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import L2User, ReadsPart
from clob.api.pagination import decode_cursor, end_page, page_json
from clob.api.render import order_json, trade_json
from clob.api.responses import JSON
from clob.service.errors import ErrorCode, ServiceError
from clob.service.queries import OrderFilter, TradeFilter

router = APIRouter(prefix="/data", tags=["data"])

PAGE_LIMIT = 500


def _int(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not (len(value) <= 12 and value.isascii() and value.isdigit()):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, f"{name} must be unix seconds")
    return int(value)


@router.get("/order/{order_id}", summary="One of the user's orders (OpenOrder)")
def get_order(order_id: str, creds: L2User, reads: ReadsPart) -> Response:
    return JSON(order_json(reads.order(creds, order_id)))


@router.get("/orders", summary="The user's open orders, paged")
def get_orders(
    creds: L2User,
    reads: ReadsPart,
    id: str | None = None,
    market: str | None = None,
    asset_id: str | None = None,
    next_cursor: str | None = None,
) -> Response:
    offset = decode_cursor(next_cursor)
    if offset is None:
        return JSON(end_page(PAGE_LIMIT))
    flt = OrderFilter(id.lower() if id else None, market.lower() if market else None, asset_id or None)
    page = reads.open_orders(creds, flt, offset, PAGE_LIMIT)
    return JSON(page_json(page, [order_json(o) for o in page.items]))


@router.get("/trades", summary="The user's trades as taker or maker, paged")
def get_trades(
    creds: L2User,
    reads: ReadsPart,
    id: str | None = None,
    maker_address: str | None = None,
    market: str | None = None,
    asset_id: str | None = None,
    before: str | None = None,
    after: str | None = None,
    next_cursor: str | None = None,
) -> Response:
    offset = decode_cursor(next_cursor)
    if offset is None:
        return JSON(end_page(PAGE_LIMIT))
    flt = TradeFilter(
        id or None,
        maker_address or None,
        market.lower() if market else None,
        asset_id or None,
        _int("before", before),
        _int("after", after),
    )
    page = reads.trades(creds, flt, offset, PAGE_LIMIT)
    return JSON(page_json(page, [trade_json(t) for t in page.items]))
