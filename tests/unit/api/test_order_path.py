"""The fast path of POST /order and /orders (clob.api.order_path) answers exactly as the FastAPI routes do."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from httpx import Response

from clob.api.order_path import MAX_ORDER_BODY, OrderPath
from orders import Side
from tests.unit.api.conftest import World
from tests.unit.api.support import YES


def _shape(response: Response) -> tuple[int, str | None, str, Any]:
    """Status, error code and body with the order ids (which differ per signed order) left out."""
    body = response.json()
    rows = body if isinstance(body, list) else [body]
    for row in rows:
        for key in ("orderID", "errorMsg", "error"):
            if isinstance(row.get(key), str) and "0x" in row[key]:
                row[key] = re.sub("0x[0-9a-f]{64}", "<id>", row[key])
    return response.status_code, response.headers.get("x-error-code"), response.headers["content-type"], body


def _answers(world: World) -> list[tuple[int, str | None, str, Any]]:
    alice, bob = world.alice, world.bob
    good = alice.order(YES, Side.BUY, "0.40", "10")
    forged = replace(alice.order(YES, Side.BUY, "0.40", "10"), taker_amount=good.taker_amount * 2)
    twice = alice.body(alice.order(YES, Side.BUY, "0.30", "10"))
    return [
        _shape(alice.place(good)),
        _shape(alice.place(good)),  # retried: the first answer again
        _shape(alice.place(forged)),
        _shape(alice.request("POST", "/orders", [twice, twice, alice.body(forged)])),
        _shape(alice.request("POST", "/orders", {"not": "a list"})),
        _shape(bob.place(alice.order(YES, Side.SELL, "0.70", "10"))),  # another user's order
        _shape(world.client.post("/order", content=b"{}")),  # no credentials
    ]


def _remove_fast_path(world: World) -> None:
    app: Any = world.client.app
    app.user_middleware = [m for m in app.user_middleware if m.cls is not OrderPath]
    app.middleware_stack = app.build_middleware_stack()


def test_fast_path_and_routes_answer_alike(world: World) -> None:
    app: Any = world.client.app
    assert any(m.cls is OrderPath for m in app.user_middleware)
    fast = _answers(world)
    _remove_fast_path(world)
    routed = _answers(world)
    assert fast == routed
    assert [status for status, _, _, _ in fast] == [200, 200, 400, 200, 400, 400, 401]
    assert fast[1] == fast[0]
    assert [row["success"] for row in fast[3][3]] == [True, True, False]


def test_a_body_beyond_the_limit_is_413_and_places_nothing(world: World) -> None:
    alice = world.alice
    body = [alice.body(alice.order(YES, Side.BUY, "0.40", "10"))]
    padded = [*body, {"pad": "x" * MAX_ORDER_BODY}]
    response = alice.request("POST", "/orders", padded)
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert alice.request("GET", "/data/orders").json()["data"] == []


def test_other_methods_on_the_fast_paths_reach_the_app(world: World) -> None:
    assert world.client.get("/order").status_code == 405
    assert world.client.put("/orders").status_code == 405
    assert world.client.get("/order").json() == {"error": "Method Not Allowed"}
