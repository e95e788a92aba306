"""A real uvicorn server in a thread, and an on-chain market with funded, approved traders."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from web3 import Web3

from clob.api import create_app
from clob.settings import Settings
from contracts.anvil import free_port
from contracts.chain import Signer
from tests.support.chain import Chain

ZERO32 = b"\x00" * 32
USDC = 1_000_000
MAX_UINT = 2**256 - 1
ADMIN_TOKEN = "integration-admin-token"
MASTER_SECRET_HEX = "5e" * 32


@dataclass
class Market:
    condition_id: str
    yes: int
    no: int


def prepare_market(chain: Chain, question: str = "Will the integration test pass?") -> Market:
    """prepareCondition + registerToken on chain: the part a market-lifecycle module will do."""
    ctf: Any = chain.contract("ConditionalTokens", "ctf")
    exchange: Any = chain.contract("Exchange", "exchange")
    collateral = chain.manifest.contracts["collateral"]
    oracle = chain.signer(9).address
    qid = Web3.keccak(text=question)
    chain.deployer.transact(ctf.functions.prepareCondition(oracle, qid, 2))
    condition = ctf.functions.getConditionId(oracle, qid, 2).call()
    yes, no = (
        int(ctf.functions.getPositionId(collateral, ctf.functions.getCollectionId(ZERO32, condition, i).call()).call())
        for i in (1, 2)
    )
    chain.deployer.transact(exchange.functions.registerToken(yes, no, condition))
    return Market("0x" + bytes(condition).hex(), yes, no)


def fund(chain: Chain, trader: Signer, market: Market, usdc: int = 1_000 * USDC, split: int = 200 * USDC) -> None:
    """Mint collateral, split some into YES+NO, approve the exchange for both."""
    usdc_c: Any = chain.contract("MockUSDC", "collateral")
    ctf: Any = chain.contract("ConditionalTokens", "ctf")
    exchange = chain.manifest.contracts["exchange"]
    chain.deployer.transact(usdc_c.functions.mint(trader.address, usdc))
    trader.transact(usdc_c.functions.approve(exchange, MAX_UINT))
    if split:
        trader.transact(usdc_c.functions.approve(ctf.address, MAX_UINT))
        trader.transact(
            ctf.functions.splitPosition(usdc_c.address, ZERO32, bytes.fromhex(market.condition_id[2:]), [1, 2], split)
        )
    trader.transact(ctf.functions.setApprovalForAll(exchange, True))


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
    body = {
        "condition_id": market.condition_id,
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
