"""Proxy-wallet and Safe traders at the API (py-clob-client ``signature_type=1|2, funder=<wallet>``): the signer
owns the API key, the wallet is the maker and funder; its holdings are what the balance checks and
``/balance-allowance?signature_type=`` read; an order naming a wallet the signer does not own is refused, saying so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clob.api import create_app
from clob.service.chain_view import COLLATERAL, Holding
from orders import Address, Side, SignatureType
from orders.wallets import WalletRules, proxy_init_code_hash, safe_init_code_hash
from tests.unit.api.conftest import KEYS, World, make_service
from tests.unit.api.support import USDC, YES, FakeChain, Trader, create_market

RULES = WalletRules(
    proxy_factory="0x" + "f1" * 20,
    proxy_init_code_hash=proxy_init_code_hash("0x" + "e1" * 20),
    safe_factory="0x" + "f2" * 20,
    safe_init_code_hash=safe_init_code_hash(b"\x60\x80", "0x" + "e2" * 20),
)


@pytest.fixture
def wallet_world(db_url: str) -> Iterator[World]:
    """The API with the deployment's wallet rules (as `load_wallet_rules` gives them from the manifest)."""
    chain = FakeChain()
    service = make_service(db_url, chain, wallets=RULES)
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        create_market(client)
        traders = [Trader(client, key).login() for key in KEYS]
        yield World(client, service, chain, *traders)
    service.db.dispose()


def _wallet_order(trader: Trader, kind: SignatureType, side: Side, price: str, size: str, **kw: Any) -> Any:
    wallet = RULES.wallet_of(int(kind), trader.address)
    return trader.order(YES, side, price, size, maker=Address(wallet), signature_type=kind, **kw)


def _error(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]
    return message


@pytest.mark.parametrize("kind", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_wallet_orders_are_accepted_and_read_the_funders_holdings(wallet_world: World, kind: SignatureType) -> None:
    alice, chain = wallet_world.alice, wallet_world.chain
    wallet = RULES.wallet_of(int(kind), alice.address)
    placed = alice.place(_wallet_order(alice, kind, Side.BUY, "0.40", "10"))
    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == "live"
    record = alice.request("GET", f"/data/order/{placed.json()['orderID']}").json()
    assert record["maker_address"].lower() == wallet
    # The wallet's collateral (not the signer's) is what the order needs: at 3 USDC the next 4-USDC bid is refused.
    chain.holdings[(wallet, COLLATERAL)] = Holding(7 * USDC, 7 * USDC)
    wallet_world.service.balances.invalidate_chain_state(wallet)
    refused = alice.place(_wallet_order(alice, kind, Side.BUY, "0.40", "10"))
    assert _error(refused) == "not enough balance / allowance"
    # The signer's own EOA orders still use the signer's holdings.
    assert alice.place(alice.order(YES, Side.BUY, "0.40", "10")).json()["status"] == "live"


@pytest.mark.parametrize("kind", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_an_order_naming_a_wallet_the_signer_does_not_own_is_refused(wallet_world: World, kind: SignatureType) -> None:
    alice, bob = wallet_world.alice, wallet_world.bob
    bobs = RULES.wallet_of(int(kind), bob.address)
    order = alice.order(YES, Side.SELL, "0.60", "10", maker=Address(bobs), signature_type=kind)
    message = _error(alice.place(order))
    name = "proxy wallet" if kind == SignatureType.POLY_PROXY else "Safe"
    assert f"is not the {name} of the signer" in message
    assert "the signer is not its owner" in message
    # An arbitrary address is no wallet of the signer either.
    stranger = alice.order(YES, Side.SELL, "0.60", "10", maker=Address("0x" + "ab" * 20), signature_type=kind)
    assert "unknown wallet" in _error(alice.place(stranger))


def test_wallet_orders_are_refused_without_wallet_rules(world: World) -> None:
    alice = world.alice
    order = _wallet_order(alice, SignatureType.POLY_PROXY, Side.BUY, "0.40", "10")
    assert "no wallet factory is configured" in _error(alice.place(order))


def test_balance_allowance_reads_the_funder_of_the_signature_type(wallet_world: World) -> None:
    alice, chain = wallet_world.alice, wallet_world.chain
    chain.holdings[(RULES.proxy_of(alice.address), COLLATERAL)] = Holding(11 * USDC, 5 * USDC)
    chain.holdings[(RULES.safe_of(alice.address), COLLATERAL)] = Holding(22 * USDC, 0)
    chain.holdings[(alice.address.lower(), COLLATERAL)] = Holding(33 * USDC, 33 * USDC)
    answers = {
        sig: alice.request("GET", "/balance-allowance", query=f"asset_type=COLLATERAL&signature_type={sig}").json()
        for sig in ("0", "1", "2", "-1")
    }
    assert [answers[s]["balance"] for s in ("0", "1", "2", "-1")] == [str(33 * USDC), str(11 * USDC), str(22 * USDC),
                                                                       str(33 * USDC)]  # fmt: skip
    assert answers["1"]["allowance"] == str(5 * USDC)
    bad = alice.request("GET", "/balance-allowance", query="asset_type=COLLATERAL&signature_type=7")
    assert "signature_type must be" in _error(bad)


def test_wallet_orders_are_cancelled_by_their_signer_only(wallet_world: World) -> None:
    alice, bob = wallet_world.alice, wallet_world.bob
    proxy = alice.place(_wallet_order(alice, SignatureType.POLY_PROXY, Side.BUY, "0.40", "10")).json()["orderID"]
    safe = alice.place(_wallet_order(alice, SignatureType.POLY_GNOSIS_SAFE, Side.BUY, "0.39", "10")).json()["orderID"]
    assert bob.request("DELETE", "/order", {"orderID": proxy}).json()["canceled"] == []
    assert bob.request("GET", f"/data/order/{proxy}").status_code == 404
    for order_id in (proxy, safe):
        assert alice.request("DELETE", "/order", {"orderID": order_id}).json()["canceled"] == [order_id]
        assert alice.request("GET", f"/data/order/{order_id}").json()["status"] == "CANCELED"


def test_open_orders_list_the_signers_and_its_wallets_orders(wallet_world: World) -> None:
    alice, bob = wallet_world.alice, wallet_world.bob
    own = alice.place(alice.order(YES, Side.BUY, "0.30", "10")).json()["orderID"]
    proxy = alice.place(_wallet_order(alice, SignatureType.POLY_PROXY, Side.BUY, "0.31", "10")).json()["orderID"]
    safe = alice.place(_wallet_order(alice, SignatureType.POLY_GNOSIS_SAFE, Side.BUY, "0.32", "10")).json()["orderID"]
    bob.place(_wallet_order(bob, SignatureType.POLY_PROXY, Side.BUY, "0.33", "10"))
    listed = [o["id"] for o in alice.request("GET", "/data/orders").json()["data"]]
    assert sorted(listed) == sorted([own, proxy, safe])


def test_trades_list_the_signers_wallets_trades(wallet_world: World) -> None:
    alice, bob = wallet_world.alice, wallet_world.bob
    ask = bob.place(_wallet_order(bob, SignatureType.POLY_GNOSIS_SAFE, Side.SELL, "0.50", "10")).json()["orderID"]
    bid = alice.place(_wallet_order(alice, SignatureType.POLY_PROXY, Side.BUY, "0.50", "10")).json()
    assert bid["status"] == "matched"
    (mine,) = alice.request("GET", "/data/trades").json()["data"]
    (theirs,) = bob.request("GET", "/data/trades").json()["data"]
    assert mine["id"] == theirs["id"]
    assert (mine["trader_side"], theirs["trader_side"]) == ("TAKER", "MAKER")
    assert mine["maker_address"].lower() == RULES.proxy_of(alice.address)
    assert theirs["maker_orders"][0]["order_id"] == ask
    # A maker_address filter names one of the signer's addresses, or nothing of another's.
    proxy = RULES.proxy_of(alice.address)
    assert len(alice.request("GET", "/data/trades", query=f"maker_address={proxy}").json()["data"]) == 1
    assert alice.request("GET", "/data/trades", query=f"maker_address={alice.address}").json()["data"] == []
    assert (
        alice.request("GET", "/data/trades", query=f"maker_address={RULES.safe_of(bob.address)}").json()["data"] == []
    )
    assert wallet_world.carol.request("GET", "/data/trades").json()["data"] == []


def test_cancel_all_cancels_the_signers_and_its_wallets_orders(wallet_world: World) -> None:
    alice, bob = wallet_world.alice, wallet_world.bob
    ids = [
        alice.place(alice.order(YES, Side.BUY, "0.30", "10")).json()["orderID"],
        alice.place(_wallet_order(alice, SignatureType.POLY_PROXY, Side.BUY, "0.31", "10")).json()["orderID"],
        alice.place(_wallet_order(alice, SignatureType.POLY_GNOSIS_SAFE, Side.BUY, "0.32", "10")).json()["orderID"],
    ]
    bobs = bob.place(_wallet_order(bob, SignatureType.POLY_PROXY, Side.BUY, "0.33", "10")).json()["orderID"]
    assert sorted(alice.request("DELETE", "/cancel-all").json()["canceled"]) == sorted(ids)
    assert alice.request("GET", "/data/orders").json()["data"] == []
    assert bob.request("GET", f"/data/order/{bobs}").json()["status"] == "LIVE"
