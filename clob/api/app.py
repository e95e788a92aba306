"""`create_app(service)`: the Polymarket-compatible REST API over an `ExchangeService`.

The lifespan starts the service (the sequencer recovers from the journal) and the heartbeat monitor, and stops
both at shutdown. Every error leaves as ``{"error": "<message>"}`` (`clob.api.errors`); OpenAPI is at
``/openapi.json`` and ``/docs`` (Swagger UI from its npm package, `clob.api.assets`); the operator console is at
``/console``. The composition root (`polyclob.api`) builds the service from the settings and passes what only it
knows: the trade status feed of a gateway, routers of other packages (reconcile's ``/chain``).

The WebSocket router (``/ws/market``, ``/ws/user``) reaches the hub as ``app.state.ws_hub``; the hub follows the
engine's events through ``service.sequencer.add_listener`` (called after each durable command).
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
from clob.service.console import BacklogSampler, StatusCache
from clob.service.exchange import ExchangeService
from clob.service.markets import OUTCOMES
from clob.service.ports import TradeStatusFeed
from clob.service.wallet_rules import addresses_of
from clob.settings import Settings
from clob.ws.hub import WsHub
from clob.ws.router import check_creds_with
from clob.ws.router import router as ws_router

ROUTERS = (health, auth, orders, data, book, activity, markets, balance, heartbeats, admin, audit, console)


def create_app(
    service: ExchangeService,
    *,
    settings: Settings | None = None,
    status_feed: TradeStatusFeed | None = None,
    extra_routers: Sequence[APIRouter] = (),
    hub: WsHub | None = None,
) -> FastAPI:
    """The API app over ``service``. ``settings``: the interpreter settings (`clob.runtime`) the lifespan applies
    to this process, when it serves them; ``status_feed``: settlement status changes from batchers elsewhere (a
    gateway's; the embedded batcher calls the hub and the service itself); ``extra_routers``: mounted as well;
    ``hub``: the WebSocket hub (`build_ws_hub`), when the caller wires it to more than the API."""
    hub = hub if hub is not None else build_ws_hub(service)
    if status_feed is not None:  # distributed mode: any batcher's trade status changes reach this gateway's users
        status_feed.add_status_listener(hub.on_trade_status)
        status_feed.add_status_listener(service.balances.on_trade_status)
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
        monitor = asyncio.create_task(service.switch.run_monitor(), name="heartbeat-monitor")
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
    app.state.console_status = StatusCache(service.sequencer)
    app.state.ws_check_creds = check_creds_with(service.keys.authenticate)
    app.state.ws_wallets_of = lambda address: addresses_of(service.verifier.wallets, address) - {address.lower()}
    install_error_handlers(app)
    app.add_middleware(OrderPath, access=service.access, desk=service.desk)
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
