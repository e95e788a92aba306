"""Balance-allowance, heartbeats, admin, and the error envelope for anything malformed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clob.api import create_app
from clob.service.chain_view import Holding
from orders import Side
from tests.unit.api.conftest import KEYS, World, make_service
from tests.unit.api.support import ADMIN_TOKEN, CONDITION, NO, USDC, YES, FakeChain, Trader, create_market


def test_balance_allowance(world: World) -> None:
    alice = world.alice
    world.chain.holdings[(alice.address, 0)] = Holding(123 * USDC, 45 * USDC)
    world.service.balances.invalidate_chain_state(alice.address)
    r = alice.request("GET", "/balance-allowance", query="asset_type=COLLATERAL&signature_type=0")
    assert r.status_code == 200
    body = r.json()
    assert (body["balance"], body["allowance"]) == ("123000000", "45000000")
    assert list(body["allowances"].values()) == ["45000000"]
    # cached until refreshed
    world.chain.holdings[(alice.address, 0)] = Holding(1 * USDC, 1 * USDC)
    cached = alice.request("GET", "/balance-allowance", query="asset_type=COLLATERAL").json()
    assert cached["balance"] == "123000000"
    fresh = alice.request("GET", "/balance-allowance/update", query="asset_type=COLLATERAL").json()
    assert fresh["balance"] == "1000000"
    token = alice.request("GET", "/balance-allowance", query=f"asset_type=CONDITIONAL&token_id={NO}").json()
    assert int(token["allowance"]) == 2**256 - 1
    for query in ("asset_type=CONDITIONAL", "asset_type=BOND", ""):
        assert alice.request("GET", "/balance-allowance", query=query).status_code == 400


@pytest.fixture
def quick_heartbeats(db_url: str) -> Iterator[tuple[TestClient, Trader, Trader]]:
    service = make_service(db_url, FakeChain(), heartbeat_timeout_s=0.4)
    with TestClient(create_app(service)) as client:
        create_market(client)
        yield client, Trader(client, KEYS[0]).login(), Trader(client, KEYS[1]).login()
    service.db.dispose()


def test_heartbeats_cancel_orders_when_they_stop(quick_heartbeats: tuple[TestClient, Trader, Trader]) -> None:
    _client, alice, bob = quick_heartbeats
    oid = alice.place(alice.order(YES, Side.BUY, "0.40", "10")).json()["orderID"]
    bob_oid = bob.place(bob.order(YES, Side.BUY, "0.30", "10")).json()["orderID"]  # bob never starts heartbeats
    r = alice.request("POST", "/v1/heartbeats", {"heartbeat_id": None})
    assert r.status_code == 200
    hb = r.json()["heartbeat_id"]
    time.sleep(0.2)
    assert alice.request("POST", "/v1/heartbeats", {"heartbeat_id": hb}).json() == {"heartbeat_id": hb}
    wrong = alice.request("POST", "/v1/heartbeats", {"heartbeat_id": "not-mine"})
    assert wrong.status_code == 400
    assert wrong.headers["X-Error-Code"] == "INVALID_HEARTBEAT"
    assert alice.request("GET", f"/data/order/{oid}").json()["status"] == "LIVE"
    deadline = time.monotonic() + 5
    while alice.request("GET", f"/data/order/{oid}").json()["status"] == "LIVE" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alice.request("GET", f"/data/order/{oid}").json()["status"] == "CANCELED"
    assert bob.request("GET", f"/data/order/{bob_oid}").json()["status"] == "LIVE"
    # the session ended with the cancel: the old id is refused, null starts again
    later = int(time.time()) + 2
    assert alice.request("POST", "/v1/heartbeats", {"heartbeat_id": hb}, timestamp=later).status_code == 400
    assert alice.request("POST", "/v1/heartbeats", {"heartbeat_id": None}, timestamp=later).status_code == 200


def test_admin_requires_the_token(world: World) -> None:
    body = {"condition_id": "0x" + "ab" * 32, "yes_token_id": "5", "no_token_id": "6"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        response = world.client.post("/admin/markets", json=body, headers=headers)
        assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
    halt = world.client.post(f"/admin/markets/{CONDITION}/halt")
    assert halt.status_code == 401


def test_admin_without_configured_token_is_closed(db_url: str) -> None:
    service = make_service(db_url, None)
    service.admin_token = ""
    with TestClient(create_app(service)) as client:
        response = client.post("/admin/markets", json={}, headers={"Authorization": "Bearer "})
        assert response.status_code == 401
    service.db.dispose()


def test_admin_market_errors(world: World) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    dup = {"condition_id": CONDITION, "yes_token_id": "7", "no_token_id": "8"}
    response = world.client.post("/admin/markets", json=dup, headers=admin)
    assert response.status_code == 400
    assert "DUPLICATE_MARKET" in response.json()["error"]
    reused = {"condition_id": "0x" + "ef" * 32, "yes_token_id": str(YES), "no_token_id": "8"}
    assert world.client.post("/admin/markets", json=reused, headers=admin).status_code == 400
    bad = {"condition_id": "0x12", "yes_token_id": "7", "no_token_id": "8", "tick_size": "0.05"}
    response = world.client.post("/admin/markets", json=bad, headers=admin)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid payload")
    assert world.client.post("/admin/markets/0x99/halt", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("POST", "/order", b"{not json"),
        ("POST", "/order", b"[]"),
        ("POST", "/order", b""),
        ("POST", "/orders", b"{}"),
        ("DELETE", "/order", b"{}"),
        ("DELETE", "/order", b'{"orderID": 5}'),
        ("DELETE", "/orders", b'"x"'),
        ("DELETE", "/cancel-market-orders", b'{"asset_id": "abc"}'),
        ("DELETE", "/cancel-market-orders", b"[1]"),
        ("POST", "/v1/heartbeats", b'{"heartbeat_id": 5}'),
        ("GET", "/data/trades?before=yesterday", b""),
    ],
)
def test_malformed_requests_are_400(world: World, method: str, path: str, content: bytes) -> None:
    alice = world.alice
    bare = path.partition("?")[0]
    headers = alice.headers(method, bare, content.decode())
    response = world.client.request(method, path, content=content or None, headers=headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_unknown_path_and_method(world: World) -> None:
    response = world.client.get("/nope")
    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})
    response = world.client.put("/order")
    assert response.status_code == 405
    assert set(response.json()) == {"error"}
