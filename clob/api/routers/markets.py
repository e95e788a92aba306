"""Markets (no auth): /markets and its simplified and sampling variants (paged), /markets/{condition_id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import ReadsPart
from clob.api.pagination import decode_cursor, end_page, page_json
from clob.api.render import market_json, simplified_market_json
from clob.api.responses import JSON
from clob.service.markets import MarketRecord
from clob.service.reads import Reads

router = APIRouter(tags=["markets"])

PAGE_LIMIT = 500


def _page(
    reads: Reads, cursor: str | None, render: Callable[[MarketRecord, dict[str, str]], dict[str, Any]]
) -> Response:
    offset = decode_cursor(cursor)
    if offset is None:
        return JSON(end_page(PAGE_LIMIT))
    page = reads.markets_page(offset, PAGE_LIMIT)
    return JSON(page_json(page, [render(m, reads.token_prices(m)) for m in page.items]))


@router.get("/markets", summary="Markets, paged")
def get_markets(reads: ReadsPart, next_cursor: str | None = None) -> Response:
    return _page(reads, next_cursor, market_json)


@router.get("/sampling-markets", summary="Markets eligible for rewards (all markets here), paged")
def get_sampling_markets(reads: ReadsPart, next_cursor: str | None = None) -> Response:
    return _page(reads, next_cursor, market_json)


@router.get("/simplified-markets", summary="Markets, short form, paged")
def get_simplified_markets(reads: ReadsPart, next_cursor: str | None = None) -> Response:
    return _page(reads, next_cursor, simplified_market_json)


@router.get("/sampling-simplified-markets", summary="Markets eligible for rewards, short form, paged")
def get_sampling_simplified_markets(reads: ReadsPart, next_cursor: str | None = None) -> Response:
    return _page(reads, next_cursor, simplified_market_json)


@router.get("/markets/{condition_id}", summary="One market")
def get_market(condition_id: str, reads: ReadsPart) -> Response:
    market = reads.market(condition_id)
    return JSON(market_json(market, reads.token_prices(market)))
