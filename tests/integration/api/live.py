"""A real uvicorn server in a thread, its settings over a local chain, and the book of an on-chain market
(``contracts.markets`` prepares the market and funds the traders)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from clob.api import create_app
from clob.settings import Settings
from contracts.anvil import free_port
from contracts.markets import Market
from tests.support.chain import Chain

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


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Serve `create_app(settings)` with uvicorn on a free port; yield the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def open_market(base: str, market: Market, **kw: Any) -> dict[str, Any]:
    """The off-chain half of ``market`` (a ``contracts.markets.Market``): POST /admin/markets."""
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
