"""API keys (L1) and request authentication (L2): every failure is a 401 in Polymarket's words."""

from __future__ import annotations

import time

import pytest

from clob.client import l1_headers
from orders import Side
from tests.unit.api.conftest import KEYS, World
from tests.unit.api.support import CHAIN_ID, YES, Trader

L2_ERROR = {"error": "Unauthorized/Invalid api key"}


def test_create_is_idempotent_and_derive_returns_the_same_creds(world: World) -> None:
    key = "0x" + "44" * 32
    client = world.client
    assert client.get("/auth/derive-api-key", headers=l1_headers(key, CHAIN_ID)).status_code == 400  # not created yet
    first = client.post("/auth/api-key", headers=l1_headers(key, CHAIN_ID)).json()
    again = client.post("/auth/api-key", headers=l1_headers(key, CHAIN_ID)).json()
    derived = client.get("/auth/derive-api-key", headers=l1_headers(key, CHAIN_ID)).json()
    assert first == again == derived
    assert set(first) == {"apiKey", "secret", "passphrase"}
    other_nonce = client.post("/auth/api-key", headers=l1_headers(key, CHAIN_ID, nonce=7)).json()
    assert other_nonce["apiKey"] != first["apiKey"]


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda h: h.pop("POLY_SIGNATURE"), id="missing-signature"),
        pytest.param(lambda h: h.update(POLY_TIMESTAMP=str(int(time.time()) - 3600)), id="stale-timestamp"),
        pytest.param(lambda h: h.update(POLY_NONCE="1"), id="nonce-not-signed"),
        pytest.param(lambda h: h.update(POLY_ADDRESS="0x" + "12" * 20), id="other-address"),
        pytest.param(lambda h: h.update(POLY_SIGNATURE="0x1234"), id="garbage-signature"),
    ],
)
def test_l1_failures_are_401(world: World, mutate: object) -> None:
    headers = l1_headers(KEYS[0], CHAIN_ID)
    mutate(headers)  # type: ignore[operator]
    response = world.client.post("/auth/api-key", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid L1 Request headers"}


def test_l1_signed_for_another_chain_is_401(world: World) -> None:
    response = world.client.post("/auth/api-key", headers=l1_headers(KEYS[0], CHAIN_ID + 1))
    assert response.status_code == 401


def test_l2_list_and_delete_keys(world: World) -> None:
    alice = world.alice
    keys = alice.request("GET", "/auth/api-keys").json()["apiKeys"]
    assert keys == [alice.creds["apiKey"]]
    assert alice.request("DELETE", "/auth/api-key").status_code == 200
    response = alice.request("GET", "/auth/api-keys")
    assert (response.status_code, response.json()) == (401, L2_ERROR)
    # the same wallet and nonce can create the key again: the same credentials come back
    again = Trader(world.client, alice.key).login()
    assert again.creds == alice.creds
    assert again.request("GET", "/auth/api-keys").status_code == 200


def test_l2_stale_timestamp_is_401(world: World) -> None:
    response = world.alice.request("GET", "/data/orders", timestamp=int(time.time()) - 3600)
    assert (response.status_code, response.json()) == (401, L2_ERROR)
    response = world.alice.request("GET", "/data/orders", timestamp=int(time.time()) + 3600)
    assert response.status_code == 401


def test_l2_the_same_signed_mutation_twice_is_served_twice(world: World) -> None:
    """Two byte-identical cancel-alls in one second (a retry, or a market maker's cycle): both are answered, and
    the second one really runs (it cancels what was placed in between): no replay refusal, no cached answer."""
    alice = world.alice
    headers = alice.headers("DELETE", "/cancel-all")
    assert world.client.delete("/cancel-all", headers=headers).status_code == 200
    placed = alice.place(alice.order(YES, Side.BUY, "0.40", "10")).json()["orderID"]
    again = world.client.delete("/cancel-all", headers=headers)
    assert (again.status_code, again.json()) == (200, {"canceled": [placed], "not_canceled": {}})


def test_a_retried_key_deletion_answers_ok_again(world: World) -> None:
    alice = world.alice
    headers = alice.headers("DELETE", "/auth/api-key")
    for _ in range(2):
        response = world.client.delete("/auth/api-key", headers=headers)
        assert (response.status_code, response.json()) == (200, "OK")
    # the key is revoked for everything else
    assert alice.request("GET", "/auth/api-keys").status_code == 401


def test_l2_get_may_reuse_its_signature(world: World) -> None:
    """py-clob-client signs once and reuses the headers for every page of /data/orders."""
    headers = world.alice.headers("GET", "/data/orders")
    for _ in range(2):
        assert world.client.get("/data/orders?next_cursor=MA==", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("POLY_PASSPHRASE", "0" * 64),
        ("POLY_API_KEY", "00000000-0000-4000-8000-000000000000"),
        ("POLY_SIGNATURE", "AAAA"),
        ("POLY_ADDRESS", "0x" + "12" * 20),
    ],
)
def test_l2_bad_header_is_401(world: World, field: str, value: str) -> None:
    response = world.alice.request("GET", "/auth/api-keys", headers={field: value})
    assert (response.status_code, response.json()) == (401, L2_ERROR)


def test_l2_signature_covers_the_body(world: World) -> None:
    alice = world.alice
    headers = alice.headers("DELETE", "/orders", '["0x01"]')
    response = world.client.request("DELETE", "/orders", content='["0x02"]', headers=headers)
    assert response.status_code == 401


def test_l2_without_headers_is_401(world: World) -> None:
    response = world.client.get("/data/orders")
    assert (response.status_code, response.json()) == (401, L2_ERROR)
