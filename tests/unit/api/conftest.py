"""An app over a real sequencer and database (SQLite and PostgreSQL), a fake chain, and TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from clob.api import create_app
from clob.service.chain_view import CachedChainView
from clob.service.exchange import ExchangeService
from clob.service.sequencer import Sequencer
from orders import OrderVerifier
from orders.wallets import WalletRules
from store import connect_database
from tests.unit.api.support import ADMIN_TOKEN, CHAIN_ID, EXCHANGE, MASTER_SECRET, FakeChain, Trader, create_market

KEYS = ["0x" + f"{i:02x}" * 32 for i in (0x11, 0x22, 0x33)]


@dataclass
class World:
    client: TestClient
    service: ExchangeService
    chain: FakeChain
    alice: Trader
    bob: Trader
    carol: Trader


def make_service(
    db_url: str, chain: FakeChain | None, wallets: WalletRules | None = None, **kw: object
) -> ExchangeService:
    """The service over ``db_url`` (``wallets``: the deployment's smart-wallet rules, given at construction as the
    composition root gives them: the service's parts read them from there)."""
    db = connect_database(db_url, sqlite_synchronous="NORMAL")
    return ExchangeService(
        db=db,
        sequencer=Sequencer(db),
        verifier=OrderVerifier(CHAIN_ID, EXCHANGE, wallets=wallets),
        master_secret=MASTER_SECRET,
        chain=None if chain is None else CachedChainView(chain, max_age_s=60.0),
        chain_id=CHAIN_ID,
        admin_token=ADMIN_TOKEN,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    chain = FakeChain()
    service = make_service(db_url, chain)
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        create_market(client)
        traders = [Trader(client, key).login() for key in KEYS]
        yield World(client, service, chain, *traders)
    service.db.dispose()
