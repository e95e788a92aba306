"""The API app of a deployment: ``uvicorn --factory polyclob.api:create_app`` (settings from ``POLYCLOB_*``).

The exchange service from the settings (`polyclob.exchange`), the gateway's trade status feed in the distributed
mode, and the ``/chain`` read routes (`reconcile.api`) beside the exchange's own.
"""

from __future__ import annotations

from fastapi import FastAPI

from clob.api import create_app as create_api
from clob.settings import Settings
from polyclob.exchange import build_exchange
from reconcile.api import router as chain_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API app for ``settings`` (default: from the environment), whose interpreter settings its lifespan
    applies to the serving process."""
    settings = settings or Settings()
    exchange = build_exchange(settings)
    return create_api(
        exchange.service, settings=settings, status_feed=exchange.status_feed, extra_routers=[chain_router]
    )
