"""The operator console: the page (``GET /console``) and the read-only JSON it shows that no other endpoint has.

The page also reads ``/markets``, ``/book``, ``/chain/status``, ``/chain/discrepancies``, ``/chain/trades/tx/…`` and
``/audit/settlements``, follows ``/ws/market`` (with ``trade_status``) and sends operator actions to ``/admin/…``
with the admin token the operator types in. Queries: ``clob.service.console``.

| path | answer |
|---|---|
| ``GET /console/api/overview`` | journal head and state hash per stream, indexer progress, trades per status |
| ``GET /console/api/markets/{condition_id}/trades`` | the market's latest trades with their settlement status |
| ``GET /console/api/markets/{condition_id}/prices`` | trade prices per token over time |
| ``GET /console/api/trades/{trade_id}`` | a trade's life: journal entry, settlement transactions, block, fills |
| ``GET /console/api/settlement`` | operator transactions; settlement backlog and lag, sampled every 10 s (30 min) |
| ``GET /console/api/reconciliation/runs`` | reconciliation runs, newest first |
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from clob.api.deps import Service
from clob.api.responses import JSON
from clob.service import console
from clob.service.errors import ErrorCode, ServiceError
from clob.service.exchange import ExchangeService
from store.queries.chain import Fill, indexer_status

router = APIRouter(prefix="/console", tags=["console"])

_CONDITION = re.compile(r"^0x[0-9a-fA-F]{64}$")
_TRADE_ID = re.compile(r"^[0-9A-Za-z-]{1,80}$")


def _condition(value: str) -> str:
    if not _CONDITION.match(value):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "condition_id must be 0x and 64 hex digits")
    return value.lower()


def _status_cache(request: Request) -> console.StatusCache:
    cache = request.app.state.console_status  # (`clob.api.app.create_app` makes it)
    assert isinstance(cache, console.StatusCache)
    return cache


@router.get("", include_in_schema=False)
def page(request: Request) -> Response:
    return FileResponse(request.app.state.console_assets.page, headers={"Cache-Control": "no-cache"})


def _trade_json(t: console.MarketTrade, outcomes: dict[str, str]) -> dict[str, Any]:
    return asdict(t) | {"size": str(t.size), "outcome": outcomes.get(t.asset_id, "")}


def _outcomes(service: ExchangeService, condition_id: str) -> dict[str, str]:
    market = service.reads.market(condition_id)
    return {market.yes_token: "Yes", market.no_token: "No"}


@router.get("/api/overview", summary="Journal heads, indexer progress and settlement status counts")
async def overview(request: Request, service: Service) -> Response:
    statuses = await asyncio.to_thread(_status_cache(request).get)
    indexer = await asyncio.to_thread(indexer_status, service.db)
    counts = await asyncio.to_thread(console.trade_status_counts, service.db)
    return JSON(
        {
            "streams": [asdict(s) for s in statuses],
            "indexer": asdict(indexer) if indexer is not None else None,
            "trades_by_status": counts,
        }
    )


@router.get("/api/markets/{condition_id}/trades", summary="A market's latest trades, newest first")
def market_trades(
    condition_id: str, service: Service, limit: Annotated[int, Query(ge=1, le=console.MAX_LIMIT)] = 50
) -> Response:
    cid = _condition(condition_id)
    outcomes = _outcomes(service, cid)
    return JSON({"data": [_trade_json(t, outcomes) for t in console.market_trades(service.db, cid, limit)]})


@router.get("/api/markets/{condition_id}/prices", summary="Trade prices per token, oldest first")
def market_prices(condition_id: str, service: Service) -> Response:
    cid = _condition(condition_id)
    outcomes = _outcomes(service, cid)
    history = console.price_history(service.db, cid)
    return JSON(
        {
            "tokens": [
                {"token_id": token, "outcome": outcome, "history": [asdict(p) for p in history.get(token, [])]}
                for token, outcome in outcomes.items()
            ]
        }
    )


def _fill_json(f: Fill) -> dict[str, Any]:
    return asdict(f) | {
        k: str(getattr(f, k))
        for k in ("maker_asset_id", "taker_asset_id", "maker_amount_filled", "taker_amount_filled", "fee")
    }


def _tx_json(s: console.SettlementTx) -> dict[str, Any]:
    out = asdict(s)
    out["retries"] = s.retries
    out["attempt_list"] = [asdict(a) for a in s.attempt_list]
    return out


@router.get("/api/trades/{trade_id}", summary="A trade's life: book match, settlement, block, indexer fills")
def trade_life(trade_id: str, service: Service) -> Response:
    if not _TRADE_ID.match(trade_id):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "invalid trade id")
    life = console.trade_life(service.db, trade_id)
    if life is None:
        raise ServiceError(ErrorCode.NOT_FOUND, f"trade {trade_id} not found")
    outcomes = _outcomes(service, life.trade.market)
    return JSON(
        {
            "trade": _trade_json(life.trade, outcomes),
            "taker_order_id": life.taker_order_id,
            "maker_order_ids": list(life.maker_order_ids),
            "journal": asdict(life.journal),
            "settlements": [_tx_json(s) for s in life.settlements],
            "block_number": life.block_number,
            "confirmations": life.confirmations,
            "indexer": asdict(life.indexer) if life.indexer is not None else None,
            "fills": [_fill_json(f) for f in life.fills],
            "indexer_confirmed": life.indexer_confirmed,
        }
    )


@router.get("/api/settlement", summary="Operator transactions; settlement backlog and lag over time")
def settlement(
    request: Request, service: Service, limit: Annotated[int, Query(ge=1, le=console.MAX_LIMIT)] = 50
) -> Response:
    txs = console.settlement_transactions(service.db, limit)
    sampler: console.BacklogSampler = request.app.state.backlog
    series = sampler.series()
    return JSON(
        {
            "transactions": [_tx_json(s) for s in txs],
            "trades_by_status": console.trade_status_counts(service.db),
            "backlog": [asdict(p) for p in series],
        }
    )


@router.get("/api/reconciliation/runs", summary="Reconciliation runs, newest first")
def reconciliation_runs(service: Service, limit: Annotated[int, Query(ge=1, le=console.MAX_LIMIT)] = 20) -> Response:
    return JSON({"data": [asdict(r) for r in console.reconciliation_runs(service.db, limit)]})
