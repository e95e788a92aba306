"""The book never sells what the chain will not settle (issue 15, defect 1), on a real server, chain and batcher.

A seller's tokens matched and not yet settled are owed: until the settlement is CONFIRMED and the balance read
again, further SELL orders that would need them are refused at the API, so no trade ends FAILED. A trade that does
fail on chain (the seller moved the tokens away) releases what it held.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from py_clob_client.clob_types import AssetType, BalanceAllowanceParams, ContractConfig, OrderArgs
from py_clob_client.exceptions import PolyApiException
from sqlalchemy import select
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import exchange_available
from chain.markets import Market, fund_trader, prepare_market
from settlement import Batcher, SettlementConfig, create_batcher
from store import connect_database
from store.schema import trades
from tests.integration.api.live import USDC, live_server, open_market, settings_for
from tests.support.chain import Chain

pytestmark = [
    pytest.mark.chain,
    pytest.mark.skipif(not exchange_available(), reason="build/contracts/Exchange.json is missing (no exchange yet)"),
]

SELLER, BUYER, OTHER = 1, 2, 3


@pytest.fixture
def client_config(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> ContractConfig:
    contracts = chain.manifest.contracts
    config = ContractConfig(
        exchange=contracts["exchange"], collateral=contracts["collateral"], conditional_tokens=contracts["ctf"]
    )
    monkeypatch.setattr("py_clob_client.order_builder.builder.get_contract_config", lambda *_a, **_k: config)
    monkeypatch.setattr("py_clob_client.client.get_contract_config", lambda *_a, **_k: config)
    return config


class Desk:
    """The server, the market, the seller (50 YES) and the buyer (1,000 USDC), and a batcher stepped by hand."""

    def __init__(self, chain: Chain, base: str, db_url: str, market: Market) -> None:
        from py_clob_client.client import ClobClient

        self.chain = chain
        self.db = connect_database(db_url)
        self.yes = str(market.yes)
        self.ctf: Any = chain.contract("ConditionalTokens", "ctf")
        chain_id = chain.manifest.chain_id
        self.seller = ClobClient(base, chain_id=chain_id, key=dev_key(SELLER))
        self.buyer = ClobClient(base, chain_id=chain_id, key=dev_key(BUYER))
        for client in (self.seller, self.buyer):
            client.set_api_creds(client.create_or_derive_api_creds())
        config = SettlementConfig(confirmations=1, flush_interval=0.0, poll_interval=0.05)
        self.batcher: Batcher = create_batcher(chain.manifest, db_url, dev_key(0), config, chain.anvil.url)

    def sell(self, shares: int, price: float = 0.50) -> dict[str, Any]:
        """The seller's GTC SELL: the API's answer, or ``{"error": ...}`` when it is refused."""
        order = self.seller.create_order(OrderArgs(token_id=self.yes, price=price, size=shares, side="SELL"))
        try:
            answer: dict[str, Any] = self.seller.post_order(order)
            return answer
        except PolyApiException as exc:
            refusal = dict(exc.error_msg) if isinstance(exc.error_msg, dict) else {"error": str(exc.error_msg)}
            return {**refusal, "status_code": exc.status_code}

    def buy(self, shares: int, price: float = 0.50) -> dict[str, Any]:
        order = self.buyer.create_order(OrderArgs(token_id=self.yes, price=price, size=shares, side="BUY"))
        answer: dict[str, Any] = self.buyer.post_order(order)
        return answer

    def refresh_seller(self) -> int:
        """The seller's YES as the API reads it again from the chain."""
        params = BalanceAllowanceParams(asset_type=AssetType.CONDITIONAL, token_id=self.yes)
        return int(self.seller.update_balance_allowance(params)["balance"])

    def settle(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        self.batcher.recover()
        while time.monotonic() < deadline:
            self.batcher.step(force_flush=True)
            if self.batcher.idle():
                return
            self.chain.anvil.mine()
        raise AssertionError(f"not settled in {timeout}s: {self.statuses()}")

    def statuses(self) -> list[str]:
        with self.db.engine.connect() as conn:
            return [r.status for r in conn.execute(select(trades.c.status).order_by(trades.c.journal_seq))]

    def yes_of(self, who: int) -> int:
        return int(self.ctf.functions.balanceOf(self.chain.signer(who).address, int(self.yes)).call())

    def move_yes(self, src: int, dst: int, amount: int) -> None:
        sender = self.chain.signer(src)
        to = self.chain.signer(dst).address
        sender.transact(self.ctf.functions.safeTransferFrom(sender.address, to, int(self.yes), amount, b""))


@pytest.fixture
def desk(chain: Chain, client_config: ContractConfig, db_url: str, tmp_path: Path) -> Iterator[Desk]:
    ctf, exchange = chain.contract("ConditionalTokens", "ctf"), chain.contract("Exchange", "exchange")
    question = Web3.keccak(text=f"Will the seller be over-committed? {tmp_path.name}")
    market = prepare_market(
        chain.deployer, exchange, ctf, chain.manifest.contracts["collateral"], question, oracle=chain.signer(9).address
    )
    condition_id = "0x" + market.condition_id.hex()
    fund_trader(chain.deployer, chain.signer(SELLER), chain.manifest, 0, {condition_id: 50 * USDC})
    fund_trader(chain.deployer, chain.signer(BUYER), chain.manifest, 1_000 * USDC, {})
    chain.deployer.nonce = None  # the batcher sends from the same account from here on
    with live_server(settings_for(chain, db_url, tmp_path, balance_cache_s=60.0)) as base:
        open_market(base, market)
        yield Desk(chain, base, db_url, market)


def test_a_seller_is_never_matched_for_more_than_it_holds(desk: Desk) -> None:
    # The reproduction in small: the seller holds 50 YES and keeps offering 5 at a price the buyer takes.
    sold = refused = 0
    for _ in range(20):
        answer = desk.sell(5)
        if "error" in answer:
            assert answer["status_code"] == 400
            assert "not enough balance" in answer["error"]
            refused += 1
        else:
            assert answer["status"] == "live"
            sold += 5
        desk.buy(5)
    assert (sold, refused) == (50, 10)  # what it holds, no more: the other 10 offers owed matched tokens
    assert desk.statuses() == ["MATCHED"] * 10

    # Not even once the first settlement is on its way: nothing is CONFIRMED yet.
    desk.batcher.step(force_flush=True)
    assert "not enough balance" in desk.sell(5)["error"]

    desk.settle()
    assert desk.statuses() == ["CONFIRMED"] * 10  # none FAILED
    assert desk.yes_of(SELLER) == 0
    assert desk.yes_of(BUYER) == 50 * USDC
    # CONFIRMED, but the API still holds the seller's balance as read before the settlement (50 YES; cached for a
    # minute here): the obligations keep counting against that read.
    assert "not enough balance" in desk.sell(5)["error"]

    # Settled: the obligations are released for reads at or after the settlement's block. The seller gets 10 YES
    # back on chain and can sell exactly those (the buyer's refused rounds left bids resting at 0.50).
    desk.move_yes(BUYER, SELLER, 10 * USDC)
    assert desk.refresh_seller() == 10 * USDC
    assert desk.sell(10)["status"] == "matched"
    assert "not enough balance" in desk.sell(5)["error"]
    desk.settle()
    assert desk.statuses() == ["CONFIRMED"] * 11
    assert desk.yes_of(SELLER) == 0


def test_a_failed_trade_releases_what_it_held(desk: Desk) -> None:
    assert desk.sell(50)["status"] == "live"
    assert desk.buy(50)["status"] == "matched"
    # The seller moves its tokens away before the trade settles: the trade must fail on chain...
    desk.move_yes(SELLER, OTHER, 50 * USDC)
    desk.settle()
    assert desk.statuses() == ["FAILED"]
    # ...and then no longer hold anything: with the tokens back, the seller can sell all 50 again.
    desk.move_yes(OTHER, SELLER, 50 * USDC)
    assert desk.refresh_seller() == 50 * USDC
    assert desk.sell(50)["status"] == "live"
    assert desk.buy(50)["status"] == "matched"
    desk.settle()
    assert desk.statuses() == ["FAILED", "CONFIRMED"]
    assert desk.yes_of(BUYER) == 50 * USDC
