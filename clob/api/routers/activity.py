"""Market history (no auth): ``/prices-history`` (a token's price per time bucket) and
``/live-activity/events/{condition_id}`` (a market's recent trades), both from the book's own trades."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from clob.api.deps import ReadsPart, Service
from clob.api.responses import JSON
from clob.service.live_activity import LiveActivity
from clob.service.price_history import PriceHistory, parse_query

router = APIRouter(tags=["market data"])


@router.get("/prices-history", summary="A token's price history: the last trade price per fidelity bucket")
async def get_prices_history(request: Request, service: Service, reads: ReadsPart) -> Response:
    query = parse_query(dict(request.query_params), reads.now())
    history = await asyncio.to_thread(PriceHistory(service.db, service.markets).history, query)
    return JSON({"history": history})


@router.get("/live-activity/events/{condition_id}", summary="A market's recent trades, newest first")
async def get_live_activity(condition_id: str, service: Service) -> Response:
    return JSON(await asyncio.to_thread(LiveActivity(service.db, service.markets).events, condition_id))
