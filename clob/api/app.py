"""`create_app(settings)`: the Polymarket-compatible REST API over an `ExchangeService`.

The lifespan starts the service (the sequencer recovers from the journal) and the heartbeat monitor, and stops
both at shutdown. Every error leaves as ``{"error": "<message>"}`` (`clob.api.errors`); OpenAPI is at
``/openapi.json`` and ``/docs``.

Seams for what comes later: a WebSocket router (``/ws/market``, ``/ws/user``) is added with
``app.include_router(...)`` and reaches the service as ``app.state.service``; it can follow the engine's events with
``service.sequencer.add_listener`` (called after each durable command).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from clob.api.errors import install_error_handlers
from clob.api.responses import JSON
from clob.api.routers import admin, auth, balance, book, data, health, heartbeats, markets, orders
from clob.service.exchange import ExchangeService
from clob.settings import Settings

ROUTERS = (health, auth, orders, data, book, markets, balance, heartbeats, admin)


def create_app(settings: Settings | None = None, *, services: ExchangeService | None = None) -> FastAPI:
    """The API app. ``services``: a ready `ExchangeService` (tests); otherwise built from ``settings``."""
    service = services if services is not None else ExchangeService.from_settings(settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.start)
        monitor = asyncio.create_task(service.run_heartbeat_monitor(), name="heartbeat-monitor")
        try:
            yield
        finally:
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
    )
    app.state.service = service
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    return app
