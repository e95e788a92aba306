"""Every crafted bad order gets its own 4xx and error code; nothing bad reaches the book."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from clob.client import order_body
from clob.service.chain_view import Holding
from orders import ExchangeDomain, Side, TickSize, sign_order
from tests.unit.api.conftest import World
from tests.unit.api.support import (
    ADMIN_TOKEN,
    CHAIN_ID,
    CONDITION,
    EXCHANGE,
    NO,
    OTHER_CONDITION,
    USDC,
    YES,
    create_market,
)


def _refused(response: Any, code: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["X-Error-Code"] == code, response.text
    message: str = response.json()["error"]
    return message


def _book_is_empty(world: World) -> None:
    book = world.client.get("/book", params={"token_id": str(YES)}).json()
    assert book["bids"] == []
    assert book["asks"] == []


def test_bad_signature(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10")
    sig = bytearray(order.signature)
    sig[10] ^= 0xFF
    message = _refused(world.alice.place(replace(order, signature=bytes(sig))), "INVALID_SIGNATURE")
    assert message == "invalid signature"
    _book_is_empty(world)


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param(ExchangeDomain(CHAIN_ID + 1, EXCHANGE), id="wrong-chain-id"),
        pytest.param(ExchangeDomain(CHAIN_ID, "0x" + "ab" * 20), id="wrong-exchange"),
        pytest.param(ExchangeDomain(137, "0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E"), id="polygon-exchange"),
    ],
)
def test_signed_for_another_deployment(world: World, domain: ExchangeDomain) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", domain=domain)
    assert _refused(world.alice.place(order), "INVALID_SIGNATURE") == "invalid signature"


def test_tampered_amount_after_signing(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10")
    _refused(world.alice.place(replace(order, taker_amount=2 * order.taker_amount)), "INVALID_SIGNATURE")


def test_a_retried_order_gets_the_first_answer(world: World) -> None:
    """The same signed order posted again (a retry after a timeout) is not placed twice: it is answered as it was
    the first time — same orderID, status, amounts and trades — even once it has left the book."""
    alice, bob = world.alice, world.bob
    order = alice.order(YES, Side.BUY, "0.40", "10")
    first = alice.place(order)
    assert first.status_code == 200
    assert first.json()["status"] == "live"
    again = alice.place(order)
    assert (again.status_code, again.json()) == (200, first.json())
    oid = first.json()["orderID"]
    assert alice.request("DELETE", "/order", {"orderID": oid}).json()["canceled"] == [oid]
    assert alice.place(order).json() == first.json()
    assert [o["id"] for o in alice.request("GET", "/data/orders").json()["data"]] == []
    # a taker that traded on arrival: "matched", what it gave and got, its trade
    assert bob.place(bob.order(YES, Side.SELL, "0.45", "5")).json()["status"] == "live"
    taker = alice.order(YES, Side.BUY, "0.50", "6")
    matched = alice.place(taker).json()
    assert (matched["status"], matched["makingAmount"], matched["takingAmount"]) == ("matched", "2.25", "5")
    assert len(matched["tradeIDs"]) == 1
    assert alice.place(taker).json() == matched
    assert len(alice.request("GET", "/data/trades").json()["data"]) == 1


def test_a_retry_after_the_moment_changed_still_gets_the_first_answer(world: World) -> None:
    """Checks that depend on the moment (market open, balance) refuse new orders, not retries of sequenced ones."""
    alice = world.alice
    order = alice.order(YES, Side.BUY, "0.40", "10")
    first = alice.place(order).json()
    world.chain.default = Holding(0, 0)  # the wallet emptied meanwhile
    world.service.chain.invalidate(alice.address)  # type: ignore[union-attr]
    assert alice.place(order).json() == first
    _refused(alice.place(alice.order(YES, Side.BUY, "0.40", "10")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")
    halted = world.client.post(f"/admin/markets/{CONDITION}/halt", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert halted.status_code == 200
    assert alice.place(order).json() == first
    _refused(alice.place(alice.order(YES, Side.BUY, "0.40", "10")), "MARKET_NOT_READY")


def test_same_order_twice_in_one_batch(world: World) -> None:
    alice = world.alice
    body = alice.body(alice.order(YES, Side.BUY, "0.40", "10"))
    results = alice.request("POST", "/orders", [body, body]).json()
    assert [r["success"] for r in results] == [True, True]
    assert results[0] == results[1]
    assert len(alice.request("GET", "/data/orders").json()["data"]) == 1


@pytest.mark.parametrize(
    ("expiration", "order_type"),
    [
        pytest.param(lambda now: now - 10, "GTD", id="expired"),
        pytest.param(lambda now: now + 30, "GTD", id="inside-60s-threshold"),
        pytest.param(lambda now: 0, "GTD", id="gtd-without-expiration"),
        pytest.param(lambda now: now + 3600, "GTC", id="gtc-with-expiration"),
    ],
)
def test_expiration(world: World, expiration: Any, order_type: str) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", expiration=expiration(int(time.time())))
    _refused(world.alice.place(order, order_type), "INVALID_ORDER_EXPIRATION")


def test_gtd_in_the_future_rests(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", expiration=int(time.time()) + 3600)
    response = world.alice.place(order, "GTD")
    assert response.json()["status"] == "live"
    assert world.alice.request("GET", "/data/orders").json()["data"][0]["order_type"] == "GTD"


def test_off_tick_price(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "", "", amounts=(5_550_000, 10_000_000))  # 0.555 at tick 0.01
    assert "tick size" in _refused(world.alice.place(order), "INVALID_ORDER_MIN_TICK_SIZE")


def test_too_many_decimals(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "", "", amounts=(4_000_400, 10_001_000))  # 10.001 shares
    message = _refused(world.alice.place(order), "INVALID_ORDER_AMOUNT")
    assert "max accuracy" in message


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("makerAmount", "0", "INVALID_ORDER_PAYLOAD"),
        ("takerAmount", "0", "INVALID_ORDER_PAYLOAD"),
        ("makerAmount", str(2**256), "INVALID_ORDER_PAYLOAD"),
        ("makerAmount", "-5", "INVALID_ORDER_PAYLOAD"),
        ("makerAmount", "1e6", "INVALID_ORDER_PAYLOAD"),
        ("tokenId", "abc", "INVALID_ORDER_PAYLOAD"),
        ("side", "HOLD", "INVALID_ORDER_PAYLOAD"),
        ("signature", "0x00", "INVALID_ORDER_PAYLOAD"),
        ("maker", "0x123", "INVALID_ORDER_PAYLOAD"),
    ],
)
def test_malformed_fields(world: World, field: str, value: str, code: str) -> None:
    body = world.alice.body(world.alice.order(YES, Side.BUY, "0.40", "10"))
    body["order"][field] = value
    _refused(world.alice.request("POST", "/order", body), code)


def test_amount_above_the_bound(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "", "", amounts=(4 * 10**15, 10**16))
    assert "at most" in _refused(world.alice.place(order), "INVALID_ORDER_AMOUNT")


def test_price_out_of_range(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "", "", amounts=(10_000_000, 10_000_000))  # price 1
    _refused(world.alice.place(order), "INVALID_ORDER_AMOUNT")


def test_below_minimum_size(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "4.99")
    assert "minimum" in _refused(world.alice.place(order), "INVALID_ORDER_MIN_SIZE")


def test_fee_rate_mismatch(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", fee_rate_bps=100)
    assert "fee rate" in _refused(world.alice.place(order), "INVALID_ORDER_FEE_RATE")


def test_wrong_nonce(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", nonce=1)
    assert _refused(world.alice.place(order), "INVALID_ORDER_NONCE") == "invalid nonce"


def test_nonce_follows_the_chain(world: World) -> None:
    world.chain.nonces[world.alice.address] = 3
    world.service.balances.invalidate_chain_state(world.alice.address)
    _refused(world.alice.place(world.alice.order(YES, Side.BUY, "0.40", "10")), "INVALID_ORDER_NONCE")
    assert world.alice.place(world.alice.order(YES, Side.BUY, "0.40", "10", nonce=3)).status_code == 200


def test_unknown_market(world: World) -> None:
    order = world.alice.order(987654321, Side.BUY, "0.40", "10")
    _refused(world.alice.place(order), "MARKET_NOT_FOUND")


def test_halted_market_is_not_ready(world: World) -> None:
    admin = {"Authorization": "Bearer admin-secret-token"}
    assert world.client.post(f"/admin/markets/{'0x' + 'c0' * 32}/halt", headers=admin).status_code == 200
    _refused(world.alice.place(world.alice.order(YES, Side.BUY, "0.40", "10")), "MARKET_NOT_READY")
    assert world.client.post(f"/admin/markets/{'0x' + 'c0' * 32}/resume", headers=admin).status_code == 200
    assert world.alice.place(world.alice.order(YES, Side.BUY, "0.40", "10")).status_code == 200


def test_another_users_api_key(world: World) -> None:
    alice, bob = world.alice, world.bob
    order = alice.order(YES, Side.BUY, "0.40", "10")
    # alice's order naming bob's API key as owner, posted with alice's credentials
    message = _refused(alice.request("POST", "/order", order_body(order, bob.creds["apiKey"])), "INVALID_ORDER_OWNER")
    assert message == "the order owner has to be the owner of the API KEY"
    # alice's signed order posted by bob with bob's key
    message = _refused(bob.place(order), "INVALID_ORDER_SIGNER")
    assert message == "the order signer address has to be the address of the API KEY"
    _book_is_empty(world)


def test_taker_must_be_zero(world: World) -> None:
    order = world.alice.order(YES, Side.BUY, "0.40", "10", taker=world.bob.address)
    _refused(world.alice.place(order), "INVALID_ORDER_TAKER")


def test_maker_must_be_signer(world: World) -> None:
    alice = world.alice
    order = alice.order(YES, Side.BUY, "0.40", "10", maker=world.bob.address)
    _refused(alice.place(order), "INVALID_ORDER_PAYLOAD")


def test_not_enough_collateral(world: World) -> None:
    alice = world.alice
    world.chain.holdings[(alice.address, 0)] = Holding(5 * USDC, 10**30)
    world.service.balances.invalidate_chain_state(alice.address)
    message = _refused(alice.place(alice.order(YES, Side.BUY, "0.60", "10")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")
    assert message == "not enough balance / allowance"


def test_not_enough_allowance(world: World) -> None:
    alice = world.alice
    world.chain.holdings[(alice.address, 0)] = Holding(1_000 * USDC, 2 * USDC)
    world.service.balances.invalidate_chain_state(alice.address)
    _refused(alice.place(alice.order(YES, Side.BUY, "0.40", "10")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")


def test_reservation_spans_open_orders(world: World) -> None:
    """10 USDC spendable: a 6 USDC bid rests, a second one does not fit next to it, until the first is cancelled."""
    alice = world.alice
    world.chain.holdings[(alice.address, 0)] = Holding(10 * USDC, 10 * USDC)
    world.service.balances.invalidate_chain_state(alice.address)
    first = alice.place(alice.order(YES, Side.BUY, "0.60", "10")).json()["orderID"]
    _refused(alice.place(alice.order(YES, Side.BUY, "0.60", "10")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")
    assert alice.request("DELETE", "/order", {"orderID": first}).json()["canceled"] == [first]
    assert alice.place(alice.order(YES, Side.BUY, "0.60", "10")).status_code == 200


def test_matched_tokens_stay_owed_after_the_order_is_gone(world: World) -> None:
    """A fill moves the seller's reservation to an obligation: the tokens it sold are not on sale again until the
    trade settles, whether its order was filled or cancelled after a partial fill (`clob.service.obligations`)."""
    alice, bob = world.alice, world.bob
    world.chain.holdings[(alice.address, NO)] = Holding(12 * USDC, 2**256 - 1)
    world.service.balances.invalidate_chain_state(alice.address)
    first = alice.place(alice.order(NO, Side.SELL, "0.40", "10")).json()["orderID"]
    assert bob.place(bob.order(NO, Side.BUY, "0.40", "6")).json()["status"] == "matched"
    _refused(alice.place(alice.order(NO, Side.SELL, "0.40", "5")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")  # 12 - 10
    assert alice.request("DELETE", "/order", {"orderID": first}).json()["canceled"] == [first]
    # The 4 left unfilled are released with the order; the 6 sold are not.
    _refused(alice.place(alice.order(NO, Side.SELL, "0.45", "7")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")
    assert alice.place(alice.order(NO, Side.SELL, "0.45", "6")).json()["status"] == "live"
    # The buyer owes its 2.40 USDC the same way (its spendable is 10,000 USDC: plenty left).
    assert bob.place(bob.order(NO, Side.BUY, "0.30", "100")).status_code == 200


def test_a_confirmed_trade_drops_its_parties_cached_balances(world: World) -> None:
    alice, bob = world.alice, world.bob
    assert alice.place(alice.order(YES, Side.BUY, "0.40", "10")).status_code == 200
    reads = world.chain.reads
    assert alice.place(alice.order(YES, Side.BUY, "0.40", "10")).status_code == 200
    assert world.chain.reads == reads  # cached
    row = {"taker": bob.address.lower(), "makers": [{"maker": alice.address.lower()}]}
    world.service.balances.on_trade_status(row, "MINED", "0x01")
    assert alice.place(alice.order(YES, Side.BUY, "0.40", "10")).status_code == 200
    assert world.chain.reads == reads  # not yet
    world.service.balances.on_trade_status(row, "CONFIRMED", "0x01")
    assert alice.place(alice.order(YES, Side.BUY, "0.40", "10")).status_code == 200
    assert world.chain.reads == reads + 1  # read again (collateral; the nonce read is not a holding)


def test_sell_needs_the_tokens(world: World) -> None:
    alice = world.alice
    world.chain.holdings[(alice.address, NO)] = Holding(8 * USDC, 2**256 - 1)
    world.service.balances.invalidate_chain_state(alice.address)
    _refused(alice.place(alice.order(NO, Side.SELL, "0.40", "10")), "INVALID_ORDER_NOT_ENOUGH_BALANCE")
    assert alice.place(alice.order(NO, Side.SELL, "0.40", "8")).status_code == 200


def test_balances_unchecked_without_chain_view(db_url: str) -> None:
    from fastapi.testclient import TestClient

    from clob.api import create_app
    from tests.unit.api.conftest import KEYS, make_service
    from tests.unit.api.support import Trader, create_market

    service = make_service(db_url, None)
    with TestClient(create_app(service)) as client:
        create_market(client)
        alice = Trader(client, KEYS[0]).login()
        huge = alice.order(YES, Side.BUY, "0.50", "1000000", nonce=5)  # no nonce check either
        assert alice.place(huge).json()["status"] == "live"
        response = alice.request("GET", "/balance-allowance", query="asset_type=COLLATERAL")
        assert response.status_code == 400
    service.db.dispose()


def test_batch_reports_each_order(world: World) -> None:
    alice = world.alice
    good = alice.body(alice.order(YES, Side.BUY, "0.40", "10"))
    off_tick = alice.body(alice.order(YES, Side.BUY, "", "", amounts=(5_550_000, 10_000_000)))
    not_an_order: dict[str, Any] = {"order": 5}
    results = alice.request("POST", "/orders", [good, off_tick, not_an_order]).json()
    assert [r["success"] for r in results] == [True, False, False]
    assert results[0]["status"] == "live"
    assert results[0]["orderID"].startswith("0x")
    assert "tick size" in results[1]["errorMsg"]


def test_batch_of_more_than_15_is_refused(world: World) -> None:
    alice = world.alice
    bodies = [alice.body(alice.order(YES, Side.BUY, "0.40", "10")) for _ in range(16)]
    _refused(alice.request("POST", "/orders", bodies), "TOO_MANY_ORDERS")
    _book_is_empty(world)


def test_order_in_a_second_market(world: World) -> None:
    create_market(world.client, OTHER_CONDITION, 3333, 4444, tick_size="0.001")
    order = world.alice.order(3333, Side.BUY, "0.123", "10", tick=TickSize("0.001"))
    assert world.alice.place(order).json()["status"] == "live"
    tick = world.client.get("/tick-size", params={"token_id": "3333"}).json()
    assert tick == {"minimum_tick_size": 0.001}


def test_unsupported_signature_type(world: World) -> None:
    alice = world.alice
    order = alice.order(YES, Side.BUY, "0.40", "10", signature_type=1)
    order = sign_order(order, alice.key, __import__("tests.unit.api.support").unit.api.support.DOMAIN)
    _refused(alice.place(order), "INVALID_ORDER_PAYLOAD")


def test_verification_pool(tmp_path: Any) -> None:
    """With signature checks in a worker process the answers are the same."""
    from fastapi.testclient import TestClient

    from clob.api import create_app
    from clob.service.chain_view import COLLATERAL, Holding
    from tests.unit.api.conftest import KEYS, make_service
    from tests.unit.api.support import FakeChain, Trader

    chain = FakeChain()
    service = make_service(f"sqlite:///{tmp_path / 'pool.db'}", chain, verify_workers=1)
    with TestClient(create_app(service)) as client:
        create_market(client)
        alice = Trader(client, KEYS[0]).login()
        good = alice.order(YES, Side.BUY, "0.40", "10")
        bad = replace(alice.order(YES, Side.BUY, "0.40", "10"), taker_amount=20_000_000)
        results = alice.request("POST", "/orders", [alice.body(good), alice.body(bad)]).json()
        assert [r["success"] for r in results] == [True, False]
        assert results[1]["errorMsg"] == "invalid signature"
        # every signature good and the chain view cached: checked on the loop, with the same answers
        reads = chain.reads
        again = alice.request("POST", "/orders", [alice.body(alice.order(YES, Side.BUY, "0.30", "10"))]).json()
        assert [r["success"] for r in again] == [True]
        assert chain.reads == reads
        # a balance the cache no longer has is read from the chain (off the loop): refused when it is too small
        chain.holdings[(alice.address.lower(), COLLATERAL)] = Holding(0, 0)
        service.balances.invalidate_chain_state(alice.address)
        poor = alice.request("POST", "/orders", [alice.body(alice.order(YES, Side.BUY, "0.20", "10"))]).json()
        assert poor[0]["errorMsg"] == "not enough balance / allowance"
    service.db.dispose()


def test_cache_only_chain_reads_never_call_the_chain() -> None:
    from clob.service.chain_view import COLLATERAL, CachedChainView, ChainCacheMiss
    from tests.unit.api.support import FakeChain

    now = [0.0]
    chain = FakeChain()
    view = CachedChainView(chain, max_age_s=10.0, clock=lambda: now[0])
    with pytest.raises(ChainCacheMiss):
        view.holding("0xabc", COLLATERAL, cached_only=True)
    with pytest.raises(ChainCacheMiss):
        view.nonce("0xabc", cached_only=True)
    assert chain.reads == 0
    view.holding("0xabc", COLLATERAL)
    view.nonce("0xabc")
    assert view.holding("0xABC", COLLATERAL, cached_only=True) == chain.default
    assert view.nonce("0xABC", cached_only=True) == 0
    now[0] = 11.0  # stale
    with pytest.raises(ChainCacheMiss):
        view.holding("0xabc", COLLATERAL, cached_only=True)
    assert chain.reads == 1
