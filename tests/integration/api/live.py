"""The API on a real uvicorn server (``tests.support.server``), its settings over a local chain, and the book of
an on-chain market (``chain.markets`` prepares the market and funds the traders)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

from chain.markets import Market
from clob.settings import Settings
from polyclob.api import create_app
from tests.support.chain import Chain
from tests.support.server import serve

USDC = 1_000_000
ADMIN_TOKEN = "integration-admin-token"
MASTER_SECRET_HEX = "5e" * 32


def settings_for(chain: Chain, db_url: str, tmp: Path, **kw: Any) -> Settings:
    contracts = chain.manifest.contracts
    values: dict[str, Any] = {
        "database_url": db_url,
        "sqlite_synchronous": "NORMAL",
        "rpc_url": chain.anvil.url,
        "chain_id": chain.manifest.chain_id,
        "manifest_path": tmp / "no-manifest.json",
        "exchange_address": contracts["exchange"],
        "collateral_address": contracts["collateral"],
        "ctf_address": contracts["ctf"],
        "master_secret_hex": MASTER_SECRET_HEX,
        "admin_token": ADMIN_TOKEN,
        "check_balances": True,
        "balance_cache_s": 2.0,
    }
    values.update(kw)
    return Settings(**values)


def live_server(settings: Settings) -> AbstractContextManager[str]:
    """Serve ``create_app(settings)`` with uvicorn on a free port; yields the base URL."""
    return serve(create_app(settings))


def open_market(base: str, market: Market, **kw: Any) -> dict[str, Any]:
    """The off-chain half of ``market`` (a ``chain.markets.Market``): POST /admin/markets."""
    body = {
        "condition_id": "0x" + market.condition_id.hex(),
        "question_id": "0x" + "00" * 32,
        "yes_token_id": str(market.yes),
        "no_token_id": str(market.no),
        "tick_size": "0.01",
        "min_order_size": "5",
        "question": "Will the integration test pass?",
        "market_slug": "integration-test",
    }
    body.update(kw)
    response = httpx.post(f"{base}/admin/markets", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
