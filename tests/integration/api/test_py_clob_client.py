"""Polymarket's own py-clob-client 0.34.6 drives a real server (uvicorn) over HTTP, with our exchange on anvil.

The client only knows Polygon's addresses; as the protocol doc §4 (a) says, `get_contract_config` is replaced in
the two modules that imported it, so it signs orders for our exchange on chain 31337.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from py_clob_client.clob_types import (
    ApiCreds,
    AssetType,
    BalanceAllowanceParams,
    ContractConfig,
    MarketOrderArgs,
    OpenOrderParams,
    OrderArgs,
    OrderType,
    PartialCreateOrderOptions,
    PostOrdersArgs,
    TradeParams,
)
from py_clob_client.exceptions import PolyApiException
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import exchange_available
from chain.markets import fund_trader, prepare_market
from tests.integration.api.live import USDC, live_server, open_market, settings_for
from tests.support.chain import Chain

pytestmark = [
    pytest.mark.chain,
    pytest.mark.skipif(not exchange_available(), reason="build/contracts/Exchange.json is missing (no exchange yet)"),
]


@pytest.fixture
def client_config(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> ContractConfig:
    contracts = chain.manifest.contracts
    config = ContractConfig(
        exchange=contracts["exchange"], collateral=contracts["collateral"], conditional_tokens=contracts["ctf"]
    )

    def get_contract_config(chain_id: int, neg_risk: bool = False) -> ContractConfig:
        assert chain_id == chain.manifest.chain_id
        return config

    monkeypatch.setattr("py_clob_client.order_builder.builder.get_contract_config", get_contract_config)
    monkeypatch.setattr("py_clob_client.client.get_contract_config", get_contract_config)
    return config


def _client(base: str, key: str, chain_id: int) -> Any:
    from py_clob_client.client import ClobClient

    return ClobClient(base, chain_id=chain_id, key=key)


def test_py_clob_client_end_to_end(chain: Chain, client_config: ContractConfig, db_url: str, tmp_path: Path) -> None:
    ctf, exchange = chain.contract("ConditionalTokens", "ctf"), chain.contract("Exchange", "exchange")
    question = Web3.keccak(text="Will the integration test pass?")
    market = prepare_market(
        chain.deployer, exchange, ctf, chain.manifest.contracts["collateral"], question, oracle=chain.signer(9).address
    )
    condition_id = "0x" + market.condition_id.hex()
    maker_signer, taker_signer = chain.signer(1), chain.signer(2)
    # The maker holds 800 USDC and 200 YES + 200 NO; the taker 1,000 USDC.
    fund_trader(chain.deployer, maker_signer, chain.manifest, 800 * USDC, {condition_id: 200 * USDC})
    fund_trader(chain.deployer, taker_signer, chain.manifest, 1_000 * USDC, {})
    yes = str(market.yes)
    chain_id = chain.manifest.chain_id

    with live_server(settings_for(chain, db_url, tmp_path)) as base:
        open_market(base, market)
        maker = _client(base, dev_key(1), chain_id)
        taker = _client(base, dev_key(2), chain_id)
        assert maker.get_ok() == "OK"
        assert abs(maker.get_server_time() - time.time()) < 5

        # --- API keys: create, derive (the same), list ---------------------------------------------------
        creds = maker.create_api_key()
        assert maker.derive_api_key() == creds
        assert maker.create_or_derive_api_creds() == creds
        maker.set_api_creds(creds)
        assert maker.get_api_keys() == {"apiKeys": [creds.api_key]}
        taker.set_api_creds(taker.create_or_derive_api_creds())

        # --- market metadata as the client reads it ---------------------------------------------------------
        assert maker.get_tick_size(yes) == "0.01"
        assert maker.get_neg_risk(yes) is False
        assert maker.get_fee_rate_bps(yes) == 0
        assert maker.get_market(condition_id)["tokens"][0]["token_id"] == yes
        assert maker.get_markets()["data"][0]["condition_id"] == condition_id

        # --- the maker's asks: GTC, GTD, and a batch --------------------------------------------------------
        gtc = maker.post_order(maker.create_order(OrderArgs(token_id=yes, price=0.60, size=10, side="SELL")))
        assert gtc["success"] is True
        assert gtc["status"] == "live"
        expiration = int(time.time()) + 60 + 3600
        gtd_order = maker.create_order(OrderArgs(token_id=yes, price=0.62, size=10, side="SELL", expiration=expiration))
        gtd = maker.post_order(gtd_order, OrderType.GTD)
        assert gtd["status"] == "live"
        batch = maker.post_orders(
            [
                PostOrdersArgs(maker.create_order(OrderArgs(token_id=yes, price=p, size=5, side="SELL")), OrderType.GTC)
                for p in (0.70, 0.71, 0.72)
            ]
        )
        assert [r["status"] for r in batch] == ["live"] * 3
        bid = taker.post_order(taker.create_order(OrderArgs(token_id=yes, price=0.50, size=10, side="BUY")))
        assert bid["status"] == "live"

        # --- market data ------------------------------------------------------------------------------------
        book = taker.get_order_book(yes)
        assert [a.price for a in book.asks] == ["0.72", "0.71", "0.7", "0.62", "0.6"]  # best (lowest) last
        assert [b.price for b in book.bids] == ["0.5"]
        assert taker.get_order_book_hash(book) == book.hash
        assert taker.get_order_books([_book_params(yes)])[0].asset_id == yes
        assert taker.get_price(yes, "BUY") == {"price": "0.5"}
        assert taker.get_price(yes, "SELL") == {"price": "0.6"}
        assert taker.get_midpoint(yes) == {"mid": "0.55"}
        assert taker.get_spread(yes) == {"spread": "0.1"}

        # --- the taker: FOK, FAK, then a market order ------------------------------------------------------
        fok = taker.post_order(
            taker.create_order(OrderArgs(token_id=yes, price=0.60, size=5, side="BUY")), OrderType.FOK
        )
        assert fok["status"] == "matched"
        assert fok["takingAmount"] == "5"
        assert fok["makingAmount"] == "3"
        with pytest.raises(PolyApiException) as refused:
            taker.post_order(
                taker.create_order(OrderArgs(token_id=yes, price=0.60, size=50, side="BUY")), OrderType.FOK
            )
        assert refused.value.status_code == 400
        fak = taker.post_order(
            taker.create_order(OrderArgs(token_id=yes, price=0.61, size=8, side="BUY")), OrderType.FAK
        )
        assert fak["status"] == "matched"
        assert fak["takingAmount"] == "5"
        market_buy = taker.create_market_order(
            MarketOrderArgs(token_id=yes, amount=3.1, side="BUY", order_type=OrderType.FOK),
            PartialCreateOrderOptions(tick_size="0.01"),
        )
        filled = taker.post_order(market_buy, OrderType.FOK)
        assert filled["status"] == "matched"
        assert float(filled["takingAmount"]) == pytest.approx(3.1 / 0.62, abs=0.01)
        assert taker.get_last_trade_price(yes) == {"price": "0.62", "side": "BUY"}

        # --- reads: order, orders, trades ---------------------------------------------------------------------
        first = maker.get_order(gtc["orderID"])
        assert first["status"] == "MATCHED"
        assert first["size_matched"] == "10"
        open_ids = {o["id"] for o in maker.get_orders(OpenOrderParams(asset_id=yes))}
        assert open_ids == {gtd["orderID"]} | {r["orderID"] for r in batch}
        maker_trades = maker.get_trades()
        assert len(maker_trades) == 3
        assert {t["trader_side"] for t in maker_trades} == {"MAKER"}
        taker_trades = taker.get_trades(TradeParams(asset_id=yes))
        assert [t["trader_side"] for t in taker_trades] == ["TAKER"] * 3
        assert {t["taker_order_id"] for t in taker_trades} == {fok["orderID"], fak["orderID"], filled["orderID"]}

        # --- balance and allowance -----------------------------------------------------------------------
        usdc = maker.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
        assert int(usdc["balance"]) == 800 * USDC  # 1,000 minted, 200 split; no settlement yet
        assert int(usdc["allowance"]) == 2**256 - 1
        tokens = maker.update_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.CONDITIONAL, token_id=yes))
        assert int(tokens["balance"]) == 200 * USDC

        # --- cancels: one, several, by market, all ------------------------------------------------------------
        one = maker.cancel(batch[0]["orderID"])
        assert one == {"canceled": [batch[0]["orderID"]], "not_canceled": {}}
        someone_elses = taker.cancel(batch[1]["orderID"])
        assert someone_elses["canceled"] == []
        assert batch[1]["orderID"] in someone_elses["not_canceled"]
        several = maker.cancel_orders([batch[1]["orderID"], gtc["orderID"]])
        assert several["canceled"] == [batch[1]["orderID"]]
        assert gtc["orderID"] in several["not_canceled"]
        by_market = maker.cancel_market_orders(market=condition_id)
        assert set(by_market["canceled"]) == {gtd["orderID"], batch[2]["orderID"]}
        assert taker.cancel_all()["canceled"] == [bid["orderID"]]
        assert maker.get_orders() == []
        assert taker.get_orders() == []
        assert taker.get_order_book(yes).asks == []

        # --- heartbeats and key deletion ----------------------------------------------------------------------
        heartbeat = maker.post_heartbeat(None)
        assert maker.post_heartbeat(heartbeat["heartbeat_id"]) == heartbeat
        assert maker.delete_api_key() == "OK"
        with pytest.raises(PolyApiException) as gone:
            maker.get_orders()
        assert gone.value.status_code == 401
        stranger = _client(base, dev_key(3), chain_id)
        stranger.set_api_creds(ApiCreds(creds.api_key, creds.api_secret, creds.api_passphrase))
        with pytest.raises(PolyApiException):
            stranger.get_api_keys()


def _book_params(token_id: str) -> Any:
    from py_clob_client.clob_types import BookParams

    return BookParams(token_id=token_id)


def test_py_clob_client_market_orders_sized_as_polymarket(
    chain: Chain, client_config: ContractConfig, db_url: str, tmp_path: Path
) -> None:
    """A market BUY is an amount of USDC with a $1 minimum (not the market's minimum in shares); a market SELL is
    an amount of shares, held to the minimum size like a limit order."""
    ctf, exchange = chain.contract("ConditionalTokens", "ctf"), chain.contract("Exchange", "exchange")
    question = Web3.keccak(text="Is one dollar enough for a market buy?")
    market = prepare_market(
        chain.deployer, exchange, ctf, chain.manifest.contracts["collateral"], question, oracle=chain.signer(9).address
    )
    condition_id = "0x" + market.condition_id.hex()
    maker_signer, taker_signer = chain.signer(1), chain.signer(2)
    fund_trader(chain.deployer, maker_signer, chain.manifest, 100 * USDC, {condition_id: 100 * USDC})
    fund_trader(chain.deployer, taker_signer, chain.manifest, 100 * USDC, {condition_id: 20 * USDC})
    yes = str(market.yes)
    chain_id = chain.manifest.chain_id
    options = PartialCreateOrderOptions(tick_size="0.01")

    with live_server(settings_for(chain, db_url, tmp_path)) as base:
        open_market(base, market)  # minimum order size: 5 shares
        maker = _client(base, dev_key(1), chain_id)
        taker = _client(base, dev_key(2), chain_id)
        maker.set_api_creds(maker.create_or_derive_api_creds())
        taker.set_api_creds(taker.create_or_derive_api_creds())
        assert maker.post_order(maker.create_order(OrderArgs(token_id=yes, price=0.55, size=20, side="SELL")))[
            "success"
        ]
        assert maker.post_order(maker.create_order(OrderArgs(token_id=yes, price=0.45, size=20, side="BUY")))["success"]

        # $1 buys 1.8181 shares: below 5 shares, yet a valid market BUY.
        one_dollar = taker.create_market_order(
            MarketOrderArgs(token_id=yes, amount=1, side="BUY", order_type=OrderType.FOK), options
        )
        filled = taker.post_order(one_dollar, OrderType.FOK)
        assert filled["status"] == "matched"
        assert filled["takingAmount"] == "1.8181"  # 1 / 0.55, at 4 decimals
        assert float(filled["makingAmount"]) == pytest.approx(1.8181 * 0.55)  # paid at the maker's price

        # below $1: refused, naming the dollar minimum
        half = taker.create_market_order(
            MarketOrderArgs(token_id=yes, amount=0.5, side="BUY", order_type=OrderType.FAK), options
        )
        with pytest.raises(PolyApiException) as small_buy:
            taker.post_order(half, OrderType.FAK)
        assert small_buy.value.status_code == 400
        assert "$1" in str(small_buy.value.error_msg)

        # a market SELL is shares: 5 shares trade, 2 shares are below the minimum size
        sell = taker.create_market_order(
            MarketOrderArgs(token_id=yes, amount=5, side="SELL", order_type=OrderType.FOK), options
        )
        sold = taker.post_order(sell, OrderType.FOK)
        assert sold["status"] == "matched"
        assert (sold["makingAmount"], sold["takingAmount"]) == ("5", "2.25")
        small = taker.create_market_order(
            MarketOrderArgs(token_id=yes, amount=2, side="SELL", order_type=OrderType.FOK), options
        )
        with pytest.raises(PolyApiException) as small_sell:
            taker.post_order(small, OrderType.FOK)
        assert small_sell.value.status_code == 400
        assert "lower than the minimum: 5" in str(small_sell.value.error_msg)
