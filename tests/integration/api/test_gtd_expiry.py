"""GTD expiry seen from Polymarket's py-clob-client 0.34.6 on a real server over anvil: an expired order leaves
``/data/orders`` and ``/book`` on time and frees what it reserved."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from py_clob_client.clob_types import OrderArgs, OrderType
from py_clob_client.exceptions import PolyApiException
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import exchange_available
from chain.markets import fund_trader, prepare_market
from clob.engine import GTD_SAFETY_MARGIN_S
from tests.integration.api.live import USDC, live_server, open_market, settings_for
from tests.integration.api.test_py_clob_client import _client, client_config  # noqa: F401 - fixture
from tests.support.chain import Chain

pytestmark = [
    pytest.mark.chain,
    pytest.mark.skipif(not exchange_available(), reason="build/contracts/Exchange.json is missing (no exchange yet)"),
]


@pytest.mark.usefixtures("client_config")
def test_an_expired_gtd_order_leaves_the_book_on_time_and_frees_its_reservation(
    chain: Chain, db_url: str, tmp_path: Path
) -> None:
    ctf, exchange = chain.contract("ConditionalTokens", "ctf"), chain.contract("Exchange", "exchange")
    market = prepare_market(
        chain.deployer,
        exchange,
        ctf,
        chain.manifest.contracts["collateral"],
        Web3.keccak(text="Will the GTD order expire?"),
        oracle=chain.signer(9).address,
    )
    condition_id = "0x" + market.condition_id.hex()
    fund_trader(chain.deployer, chain.signer(1), chain.manifest, 100 * USDC, {condition_id: 10 * USDC})  # 10 YES
    yes = str(market.yes)
    with live_server(settings_for(chain, db_url, tmp_path)) as base:
        open_market(base, market)
        maker = _client(base, dev_key(1), chain.manifest.chain_id)
        maker.set_api_creds(maker.create_or_derive_api_creds())

        expires_at = int(time.time()) + 3  # the second it counts as expired (the signed expiration less 60 s)
        order = maker.create_order(
            OrderArgs(token_id=yes, price=0.60, size=10, side="SELL", expiration=expires_at + GTD_SAFETY_MARGIN_S)
        )
        placed = maker.post_order(order, OrderType.GTD)
        assert placed["status"] == "live"
        assert [o["id"] for o in maker.get_orders()] == [placed["orderID"]]
        # its 10 YES are reserved: nothing more can be sold meanwhile
        with pytest.raises(PolyApiException) as short:
            maker.post_order(maker.create_order(OrderArgs(token_id=yes, price=0.70, size=5, side="SELL")))
        assert short.value.status_code == 400

        def status() -> Any:
            return maker.get_order(placed["orderID"])["status"]

        while status() == "LIVE":
            assert time.time() < expires_at + 5, "the GTD order never expired"
            time.sleep(0.05)
        seen_at = time.time()
        assert expires_at <= seen_at < expires_at + 1.0  # on time
        assert status() == "CANCELED"
        assert maker.get_orders() == []
        assert httpx.get(f"{base}/book", params={"token_id": yes}).json()["asks"] == []
        # the reservation went with it
        again = maker.post_order(maker.create_order(OrderArgs(token_id=yes, price=0.70, size=10, side="SELL")))
        assert again["status"] == "live"
