"""Operator API (``Authorization: Bearer <Settings.admin_token>``; 401 otherwise, and always when no token is set):
open a market in the engine and the database, halt and resume it.

The on-chain side of a market (``prepareCondition``, ``registerToken``) is the market-lifecycle module's job.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from clob.api.deps import Admin, AdminPart, ReadsPart, Service
from clob.api.render import market_json
from clob.api.responses import JSON
from clob.service.errors import ErrorCode, ServiceError
from clob.service.outcomes import MarketSpec
from orders import parse_units

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Admin])


class MarketIn(BaseModel):
    condition_id: str = Field(pattern="^0x[0-9a-fA-F]{64}$")
    question_id: str = Field(default="", max_length=66)
    yes_token_id: str = Field(pattern="^[0-9]{1,78}$")
    no_token_id: str = Field(pattern="^[0-9]{1,78}$")
    tick_size: str = Field(default="0.01", pattern="^0\\.(1|01|001|0001)$")
    min_order_size: str = Field(default="5", pattern="^[0-9]{1,9}(\\.[0-9]{1,6})?$", description="shares")
    fee_rate_bps: int = Field(default=0, ge=0, le=1000)
    question: str = Field(default="", max_length=10_000)
    description: str = Field(default="", max_length=100_000)
    market_slug: str = Field(default="", max_length=200)
    oracle: str = Field(default="", max_length=42)
    end_date_iso: str = Field(default="", max_length=40)
    shard: str = Field(default="", pattern="^[A-Za-z0-9_-]{0,32}$", description="distributed mode: the shard")


@router.post("/markets", summary="Open a binary market")
async def create_market(body: MarketIn, admin: AdminPart) -> Response:
    try:
        min_size = parse_units(body.min_order_size, 6)
    except ValueError as exc:
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, str(exc)) from None
    spec = MarketSpec(
        condition_id=body.condition_id,
        question_id=body.question_id,
        yes_token_id=int(body.yes_token_id),
        no_token_id=int(body.no_token_id),
        tick_size=body.tick_size,
        min_order_size=min_size,
        fee_rate_bps=body.fee_rate_bps,
        question=body.question,
        description=body.description,
        market_slug=body.market_slug,
        oracle=body.oracle,
        end_date_iso=body.end_date_iso,
        shard=body.shard,
    )
    market = await admin.create_market(spec)
    return JSON(market_json(market, {}))


@router.post("/markets/{condition_id}/halt", summary="Stop accepting orders (cancels still work)")
async def halt_market(condition_id: str, admin: AdminPart, reads: ReadsPart) -> Response:
    market = await admin.set_market_open(condition_id, False)
    return JSON(market_json(market, reads.token_prices(market)))


@router.post("/markets/{condition_id}/resume", summary="Accept orders again")
async def resume_market(condition_id: str, admin: AdminPart, reads: ReadsPart) -> Response:
    market = await admin.set_market_open(condition_id, True)
    return JSON(market_json(market, reads.token_prices(market)))


class ResolveIn(BaseModel):
    winning_asset_id: str = Field(default="", pattern="^[0-9]{0,78}$")


@router.post("/markets/{condition_id}/resolve", summary="Close a resolved market: cancel every resting order")
async def resolve_market(
    condition_id: str, admin: AdminPart, reads: ReadsPart, body: ResolveIn | None = None
) -> Response:
    market = await admin.resolve_market(condition_id, body.winning_asset_id if body else "")
    return JSON(market_json(market, reads.token_prices(market)))


class TickIn(BaseModel):
    tick_size: str = Field(pattern="^0\\.(1|01|001|0001)$")


@router.post("/markets/{condition_id}/tick-size", summary="Make the tick size finer (publishes tick_size_change)")
async def change_tick_size(condition_id: str, body: TickIn, admin: AdminPart, reads: ReadsPart) -> Response:
    market = await admin.change_tick_size(condition_id, body.tick_size)
    return JSON(market_json(market, reads.token_prices(market)))


@router.get("/stream", summary="Journal head and engine state hash (for audits and crash checks)")
async def stream_status(service: Service) -> Response:
    statuses = await asyncio.to_thread(service.sequencer.statuses)  # a gateway follows several shards
    status = statuses[0]
    return JSON(
        {
            "stream": status.stream,
            "head_seq": status.head_seq,
            "head_hash": status.head_hash,
            "state_hash": status.state_hash,
            "resting_orders": status.resting_orders,
            "streams": [
                {
                    "stream": s.stream,
                    "head_seq": s.head_seq,
                    "head_hash": s.head_hash,
                    "state_hash": s.state_hash,
                    "resting_orders": s.resting_orders,
                }
                for s in statuses
            ],
        }
    )
