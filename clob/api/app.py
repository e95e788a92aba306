"""`create_app(settings)`: the Polymarket-compatible REST API over an `ExchangeService`.

The lifespan starts the service (the sequencer recovers from the journal) and the heartbeat monitor, and stops
both at shutdown. Every error leaves as ``{"error": "<message>"}`` (`clob.api.errors`); OpenAPI is at
``/openapi.json`` and ``/docs`` (Swagger UI from its npm package, `clob.api.assets`); the operator console is at
``/console``.

Seams for what comes later: a WebSocket router (``/ws/market``, ``/ws/user``) is added with
``app.include_router(...)`` and reaches the service as ``app.state.service``; it can follow the engine's events with
``service.sequencer.add_listener`` (called after each durable command).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from clob.api.assets import install_assets
from clob.api.errors import install_error_handlers
from clob.api.metrics import ExchangeMetrics
from clob.api.metrics import router as metrics_router
from clob.api.order_path import OrderPath
from clob.api.responses import JSON
from clob.api.routers import (
    activity,
    admin,
    audit,
    auth,
    balance,
    book,
    console,
    data,
    health,
    heartbeats,
    markets,
    orders,
)
from clob.runtime import tune
from clob.service.console import BacklogSampler
from clob.service.exchange import ExchangeService
from clob.service.markets import OUTCOMES
from clob.service.wallet_rules import addresses_of
from clob.settings import Settings
from clob.ws.hub import WsHub
from clob.ws.router import check_creds_with
from clob.ws.router import router as ws_router

ROUTERS = (health, auth, orders, data, book, activity, markets, balance, heartbeats, admin, audit, console)


def create_app(
    settings: Settings | None = None,
    *,
    services: ExchangeService | None = None,
    extra_routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The API app. ``services``: a ready `ExchangeService` (tests); otherwise built from ``settings``, whose
    interpreter settings (`clob.runtime`) the lifespan applies to this process. ``extra_routers``: more routers from
    outside `clob`, which the caller (the stack's wiring) owns, e.g. the ``/chain`` read API of `reconcile.api`."""
    if services is None:
        settings = settings or Settings()
        service = ExchangeService.from_settings(settings)
    else:
        service = services

    hub = build_ws_hub(service)
    follow_status = getattr(service.sequencer, "add_status_listener", None)
    if follow_status is not None:  # distributed mode: any batcher's trade status changes reach this gateway's users
        follow_status(hub.on_trade_status)
        follow_status(service.on_trade_status)
    metrics = ExchangeMetrics(service.db, service.sequencer.stream)
    service.sequencer.add_listener(metrics.on_applied)
    service.sequencer.add_batch_hook(metrics.on_batch)
    backlog = BacklogSampler(service.db)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        if settings is not None:
            tune(settings.gc_threshold, settings.switch_interval_us)
        await asyncio.to_thread(service.start)
        monitor = asyncio.create_task(service.run_heartbeat_monitor(), name="heartbeat-monitor")
        sampler = asyncio.create_task(backlog.run(), name="backlog-sampler")
        try:
            yield
        finally:
            sampler.cancel()
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
            await asyncio.to_thread(service.stop)

    app = FastAPI(
        title="polyclob",
        version="1",
        summary="A Polymarket CLOB V1 compatible exchange API",
        default_response_class=JSON,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.ws_hub = hub
    app.state.metrics = metrics
    app.state.backlog = backlog
    app.state.ws_check_creds = check_creds_with(service.keys.authenticate)
    app.state.ws_wallets_of = lambda address: addresses_of(service.verifier.wallets, address) - {address.lower()}
    install_error_handlers(app)
    app.add_middleware(OrderPath, service=service)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(ws_router)
    app.include_router(metrics_router)
    for extra in extra_routers:
        app.include_router(extra)
    install_assets(app)
    return app


def build_ws_hub(service: ExchangeService) -> WsHub:
    """The WebSocket hub over the service: REST's book summaries, the order store for orders placed earlier."""

    def summary_of(asset_id: str) -> dict[str, Any] | None:
        try:
            ref = service.markets.token(int(asset_id))
        except ValueError:
            return None
        return None if ref is None else service.markets.summary(ref, int(service.clock() * 1000))

    def assets_of_market(market_id: str) -> list[str]:
        info = service.markets.info(market_id)
        return [] if info is None else [str(info.yes_token), str(info.no_token)]

    def order_lookup(order_id: str) -> dict[str, Any] | None:
        rec = service.queries.order(order_id)
        if rec is None:
            return None
        return {
            "owner": rec.owner,
            "maker": rec.maker,
            "market": rec.market,
            "asset_id": rec.asset_id,
            "side": rec.side,
            "price": rec.price,
            "original_size": rec.original_size,
            "size_matched": rec.size_matched,
            "created_at": rec.created_at,
            "expiration": rec.expiration,
            "order_type": rec.order_type,
        }

    def outcome_of(asset_id: str) -> str:
        return service.markets.outcome(int(asset_id)) if asset_id.isdigit() else ""

    def market_ref(condition_id: str) -> dict[str, Any] | None:
        rec = service.markets.record(condition_id)
        if rec is None:
            return None
        return {
            "question": rec.question,
            "slug": rec.market_slug,
            "description": rec.description,
            "assets_ids": [rec.yes_token, rec.no_token],
            "outcomes": list(OUTCOMES),
        }

    hub = WsHub(
        summary_of,
        assets_of_market,
        order_lookup,
        stream=service.sequencer.stream,
        outcome_of=outcome_of,
        market_ref=market_ref,
    )
    service.sequencer.add_listener(hub.on_applied)
    return hub
