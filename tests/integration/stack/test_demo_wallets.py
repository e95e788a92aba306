"""``make run``'s smart-wallet demo traders, end to end: the READY line names the wallet factories and, per demo
trader, its proxy wallet and Safe (deployed where the exchange derives them, funded and approved in every demo
market); py-clob-client 0.34.6 trades from them (``signature_type=1|2, funder=<wallet>``), a proxy wallet and a
Safe cross each other and an EOA, the batcher settles it on chain with exact balances, and an order naming a
wallet its signer does not own is refused at the API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from py_clob_client.clob_types import AssetType, BalanceAllowanceParams, ContractConfig, OrderArgs
from py_clob_client.exceptions import PolyApiException

from chain.rpc import Signer, connect, contract_at
from tests.integration.stack.test_end_to_end import stack  # noqa: F401  (the running stack fixture)

USDC = 1_000_000


def _client(stack: dict[str, Any], key: str, signature_type: int, funder: str) -> Any:  # noqa: F811
    from py_clob_client.client import ClobClient

    client = ClobClient(
        stack["api_url"], chain_id=stack["chain_id"], key=key, signature_type=signature_type, funder=funder
    )
    client.set_api_creds(client.create_or_derive_api_creds())
    return client


def test_demo_wallets_trade_through_the_stack(stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    w3 = connect(stack["rpc_url"])
    exchange: Any = contract_at(w3, "Exchange", stack["exchange"])
    usdc: Any = contract_at(w3, "MockUSDC", stack["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", stack["ctf"])
    assert exchange.functions.getProxyFactory().call() == stack["proxy_factory"]
    assert exchange.functions.getSafeFactory().call() == stack["safe_factory"]
    wallets = stack["demo_wallets"]
    assert len(wallets) >= 2
    tokens = [int(t) for m in stack["markets"] for t in m["token_ids"]]
    assert tokens
    for entry in wallets:
        owner = Signer.from_key(w3, entry["key"]).address
        assert entry["proxy"] == exchange.functions.getPolyProxyWalletAddress(owner).call()
        assert entry["safe"] == exchange.functions.getSafeAddress(owner).call()
        assert contract_at(w3, "ProxyWallet", entry["proxy"]).functions.owner().call() == owner
        assert contract_at(w3, "Safe", entry["safe"]).functions.getOwners().call() == [owner]
        for wallet in (entry["proxy"], entry["safe"]):
            assert usdc.functions.balanceOf(wallet).call() == 10_000 * USDC
            assert [ctf.functions.balanceOf(wallet, t).call() for t in tokens] == [1_000 * USDC] * len(tokens)
            assert usdc.functions.allowance(wallet, stack["exchange"]).call() == 2**256 - 1
            assert ctf.functions.isApprovedForAll(wallet, stack["exchange"]).call()

    config = ContractConfig(exchange=stack["exchange"], collateral=stack["collateral"], conditional_tokens=stack["ctf"])
    monkeypatch.setattr("py_clob_client.order_builder.builder.get_contract_config", lambda *_a, **_k: config)
    monkeypatch.setattr("py_clob_client.client.get_contract_config", lambda *_a, **_k: config)
    seller_safe, buyer_proxy = wallets[0]["safe"], wallets[1]["proxy"]
    seller = _client(stack, wallets[0]["key"], 2, seller_safe)
    buyer = _client(stack, wallets[1]["key"], 1, buyer_proxy)
    eoa = Signer.from_key(w3, stack["demo_traders"][0]).address  # its seeded ask: 100 YES at 0.55

    # Balance and allowance of the funder, as the client asks for them (signature_type = the client's).
    held = buyer.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
    assert held["balance"] == str(10_000 * USDC)
    assert held["allowances"] == {stack["exchange"]: str(2**256 - 1)}

    # An order naming a wallet its signer does not own is refused, naming the reason.
    thief = _client(stack, wallets[1]["key"], 2, seller_safe)
    yes = stack["markets"][0]["token_ids"][0]
    with pytest.raises(PolyApiException) as refused:
        thief.post_order(thief.create_order(OrderArgs(token_id=yes, price=0.50, size=10, side="SELL")))
    assert refused.value.status_code == 400
    assert "is not the Safe of the signer" in str(refused.value.error_msg)

    # The Safe asks 10 YES at 0.50 (inside the seeded spread); the proxy wallet buys 20 at 0.55: 10 from the
    # Safe at 0.50, 10 from the EOA's seeded ask at 0.55.
    before = {a: (usdc.functions.balanceOf(a).call(), ctf.functions.balanceOf(a, int(yes)).call())
              for a in (seller_safe, buyer_proxy, eoa)}  # fmt: skip
    ask = seller.post_order(seller.create_order(OrderArgs(token_id=yes, price=0.50, size=10, side="SELL")))
    assert ask["status"] == "live"
    # The signer reads and cancels its wallet's orders by id.
    spare = seller.post_order(seller.create_order(OrderArgs(token_id=yes, price=0.54, size=10, side="SELL")))
    assert seller.get_order(spare["orderID"])["maker_address"].lower() == seller_safe.lower()
    assert seller.cancel(spare["orderID"])["canceled"] == [spare["orderID"]]
    bid = buyer.post_order(buyer.create_order(OrderArgs(token_id=yes, price=0.55, size=20, side="BUY")))
    assert bid["status"] == "matched"

    expected = {
        buyer_proxy: (before[buyer_proxy][0] - 10_500_000, before[buyer_proxy][1] + 20 * USDC),
        seller_safe: (before[seller_safe][0] + 5 * USDC, before[seller_safe][1] - 10 * USDC),
        eoa: (before[eoa][0] + 5_500_000, before[eoa][1] - 10 * USDC),
    }
    deadline = time.monotonic() + 90
    now: dict[str, tuple[int, int]] = {}
    while time.monotonic() < deadline:
        now = {a: (usdc.functions.balanceOf(a).call(), ctf.functions.balanceOf(a, int(yes)).call()) for a in expected}
        if now == expected:
            break
        time.sleep(0.5)
    assert now == expected
    # Each signer lists the trade of its wallet, as taker and as maker, settled.
    deadline = time.monotonic() + 60
    while (bought := buyer.get_trades())[0]["status"] != "CONFIRMED" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(bought) == 1
    bought = bought[0]
    assert (bought["trader_side"], bought["status"]) == ("TAKER", "CONFIRMED")
    assert bought["maker_address"].lower() == buyer_proxy.lower()
    assert [t["trader_side"] for t in seller.get_trades()] == ["MAKER"]
