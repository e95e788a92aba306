"""Retries and repeats with Polymarket's py-clob-client 0.34.6 over a real server on anvil: the same signed request
twice is served twice (cancel-all, a retried order), and a market maker cycling cancel-all + a 10-order ladder
every 60 ms ends with its last ladder only."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from py_clob_client.clob_types import OrderArgs, PostOrdersArgs
from py_clob_client.clob_types import OrderType as ClientOrderType
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import exchange_available
from chain.markets import fund_trader, prepare_market
from tests.integration.api.live import USDC, live_server, open_market, settings_for
from tests.integration.api.test_py_clob_client import _client, client_config  # noqa: F401 - fixture
from tests.support.chain import Chain

pytestmark = [
    pytest.mark.chain,
    pytest.mark.skipif(not exchange_available(), reason="build/contracts/Exchange.json is missing (no exchange yet)"),
]

CYCLE_S = 0.06
CYCLE_FOR_S = 3.0


def _maker(chain: Chain, base: str, question: str) -> tuple[Any, str]:
    ctf, exchange = chain.contract("ConditionalTokens", "ctf"), chain.contract("Exchange", "exchange")
    market = prepare_market(
        chain.deployer,
        exchange,
        ctf,
        chain.manifest.contracts["collateral"],
        Web3.keccak(text=question),
        oracle=chain.signer(9).address,
    )
    condition_id = "0x" + market.condition_id.hex()
    fund_trader(chain.deployer, chain.signer(1), chain.manifest, 1_000 * USDC, {condition_id: 500 * USDC})
    open_market(base, market)
    maker = _client(base, dev_key(1), chain.manifest.chain_id)
    maker.set_api_creds(maker.create_or_derive_api_creds())
    return maker, str(market.yes)


class _FrozenClock(dt.datetime):
    """py-clob-client's ``datetime``, stopped at one second: every request it signs is byte-identical."""

    frozen = dt.datetime.now()

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return cls.frozen


@pytest.mark.usefixtures("client_config")
def test_the_same_signed_cancel_all_twice_succeeds_twice(
    chain: Chain, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_server(settings_for(chain, db_url, tmp_path)) as base:
        maker, yes = _maker(chain, base, "Will the same cancel-all work twice?")
        order = maker.create_order(OrderArgs(token_id=yes, price=0.40, size=10, side="BUY"))
        placed = maker.post_order(order)
        assert placed["status"] == "live"
        # a retried POST /order (same signed order): the first answer again, placed once
        assert maker.post_order(order) == placed
        monkeypatch.setattr("py_clob_client.headers.headers.datetime", _FrozenClock)
        first = maker.cancel_all()
        second = maker.cancel_all()  # byte-identical: same timestamp, same HMAC
        assert first == {"canceled": [placed["orderID"]], "not_canceled": {}}
        assert second == {"canceled": [], "not_canceled": {}}
        # a retried cancel of the order: canceled, as the first answer said
        assert maker.cancel(placed["orderID"]) == {"canceled": [placed["orderID"]], "not_canceled": {}}
        assert maker.get_orders() == []


@pytest.mark.usefixtures("client_config")
def test_a_market_maker_cycling_every_60ms_keeps_one_ladder(chain: Chain, db_url: str, tmp_path: Path) -> None:
    with live_server(settings_for(chain, db_url, tmp_path)) as base:
        maker, yes = _maker(chain, base, "Will the market maker keep one ladder?")
        cycles = int(CYCLE_FOR_S / CYCLE_S)
        prices = [0.40, 0.41, 0.42, 0.43, 0.44, 0.56, 0.57, 0.58, 0.59, 0.60]
        ladders = [
            [
                PostOrdersArgs(
                    maker.create_order(OrderArgs(token_id=yes, price=p, size=5, side="BUY" if p < 0.5 else "SELL")),
                    ClientOrderType.GTC,
                )
                for p in prices
            ]
            for _ in range(cycles)
        ]
        refused: list[str] = []
        last: set[str] = set()
        started = time.monotonic()
        for i, ladder in enumerate(ladders):
            try:
                maker.cancel_all()
                answers = maker.post_orders(ladder)
                refused += [a["errorMsg"] for a in answers if not a["success"]]
                last = {a["orderID"] for a in answers}
            except Exception as exc:  # PolyApiException: a 4xx/5xx
                refused.append(repr(exc))
            pause = started + (i + 1) * CYCLE_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        assert refused == []
        assert time.monotonic() - started < 3 * CYCLE_FOR_S  # many identical cancel-alls within each second
        live = maker.get_orders()
        assert len(live) == 10
        assert {o["id"] for o in live} == last
        book = httpx.get(f"{base}/book", params={"token_id": yes}).json()
        assert len(book["bids"]) == 5
        assert len(book["asks"]) == 5
