"""Smoke: place, read, cancel through the HTTP layer."""

from __future__ import annotations

from orders import Side
from tests.unit.api.conftest import World
from tests.unit.api.support import YES


def test_place_and_cancel(world: World) -> None:
    alice = world.alice
    r = alice.place(alice.order(YES, Side.BUY, "0.40", "10"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    assert body["status"] == "live"
    oid = body["orderID"]
    r = alice.request("GET", f"/data/order/{oid}")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "LIVE"
    book = world.client.get("/book", params={"token_id": str(YES)}).json()
    assert book["bids"] == [{"price": "0.4", "size": "10"}]
    r = alice.request("DELETE", "/order", {"orderID": oid})
    assert r.status_code == 200, r.text
    assert r.json() == {"canceled": [oid], "not_canceled": {}}
