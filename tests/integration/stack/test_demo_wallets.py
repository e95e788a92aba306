"""``make run``'s smart-wallet demo traders: the READY line names the wallet factories and, per demo trader, its
proxy wallet and Safe, deployed where the exchange derives them, funded and approved in every demo market."""

from __future__ import annotations

from typing import Any

from chain.rpc import Signer, connect, contract_at
from tests.integration.stack.test_end_to_end import stack  # noqa: F401  (the running stack fixture)

USDC = 1_000_000


def test_ready_line_has_funded_demo_wallets(stack: dict[str, Any]) -> None:  # noqa: F811
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
