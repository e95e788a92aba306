"""Public market data: Polymarket's book ordering and hash, prices, markets pages, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from py_clob_client.utilities import generate_orderbook_summary_hash, parse_raw_orderbook_summary

from orders import Side
from tests.unit.api.conftest import World
from tests.unit.api.support import ADMIN_TOKEN, CONDITION, NO, YES


@pytest.fixture
def book(world: World) -> World:
    """YES bids 0.40 x10, 0.45 x5 (alice); YES asks 0.55 x7, 0.60 x3 (bob)."""
    for trader, side, price, size in (
        (world.alice, Side.BUY, "0.40", "10"),
        (world.alice, Side.BUY, "0.45", "5"),
        (world.bob, Side.SELL, "0.60", "5"),
        (world.bob, Side.SELL, "0.55", "7"),
    ):
        assert trader.place(trader.order(YES, side, price, size)).status_code == 200
    return world


def get(world: World, path: str, **params: Any) -> Any:
    response = world.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_book_order_and_hash(book: World) -> None:
    summary = get(book, "/book", token_id=str(YES))
    assert summary["market"] == CONDITION
    assert summary["asset_id"] == str(YES)
    assert summary["bids"] == [{"price": "0.4", "size": "10"}, {"price": "0.45", "size": "5"}]  # best last
    assert summary["asks"] == [{"price": "0.6", "size": "5"}, {"price": "0.55", "size": "7"}]  # best last
    assert (summary["tick_size"], summary["min_order_size"], summary["neg_risk"]) == ("0.01", "5", False)
    parsed = parse_raw_orderbook_summary(summary)
    assert generate_orderbook_summary_hash(parsed) == summary["hash"]
    # the NO book mirrors it: a YES bid at 0.45 is a NO ask at 0.55
    no = get(book, "/book", token_id=str(NO))
    assert no["asks"][-1] == {"price": "0.55", "size": "5"}
    assert no["bids"][-1] == {"price": "0.45", "size": "7"}
    books = book.client.post("/books", json=[{"token_id": str(YES)}, {"token_id": "424242"}, {"token_id": str(NO)}])
    assert [b["asset_id"] for b in books.json()] == [str(YES), str(NO)]


def test_prices_midpoints_spreads(book: World) -> None:
    assert get(book, "/price", token_id=str(YES), side="BUY") == {"price": "0.45"}
    assert get(book, "/price", token_id=str(YES), side="SELL") == {"price": "0.55"}
    assert get(book, "/midpoint", token_id=str(YES)) == {"mid": "0.5"}
    assert get(book, "/spread", token_id=str(YES)) == {"spread": "0.1"}
    body = [
        {"token_id": str(YES), "side": "BUY"},
        {"token_id": str(YES), "side": "SELL"},
        {"token_id": "9", "side": "BUY"},
    ]
    assert book.client.post("/prices", json=body).json() == {str(YES): {"BUY": "0.45", "SELL": "0.55"}}
    assert book.client.post("/midpoints", json=[{"token_id": str(NO)}]).json() == {str(NO): "0.5"}
    assert book.client.post("/spreads", json=[{"token_id": str(YES)}]).json() == {str(YES): "0.1"}
    assert book.client.post("/prices", json=[{"token_id": str(YES)}]).json() == {"error": "Invalid side"}
    last = book.client.post("/last-trades-prices", json=[{"token_id": str(YES)}]).json()
    assert last == [{"token_id": str(YES), "price": "0", "side": ""}]


def test_token_metadata(world: World) -> None:
    assert get(world, "/tick-size", token_id=str(YES)) == {"minimum_tick_size": 0.01}
    assert get(world, "/neg-risk", token_id=str(NO)) == {"neg_risk": False}
    assert get(world, "/fee-rate", token_id=str(YES)) == {"base_fee": 0}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/book", {}, 400),
        ("/book", {"token_id": "abc"}, 400),
        ("/book", {"token_id": "9" * 80}, 400),
        ("/book", {"token_id": "12345"}, 404),
        ("/price", {"token_id": str(YES), "side": "HOLD"}, 400),
        ("/price", {"token_id": str(YES), "side": "BUY"}, 404),
        ("/midpoint", {"token_id": str(YES)}, 404),
        ("/tick-size", {"token_id": "77"}, 404),
        ("/markets/0x1234", {}, 404),
        ("/markets", {"next_cursor": "!!"}, 400),
    ],
)
def test_market_data_errors(world: World, path: str, params: dict[str, str], status: int) -> None:
    response = world.client.get(path, params=params)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_batch_payload_errors(world: World) -> None:
    assert world.client.post("/books", content=b"not json").status_code == 400
    assert world.client.post("/books", json={"token_id": "1"}).status_code == 400
    assert world.client.post("/books", json=[{"token_id": 1}]).status_code == 400
    assert world.client.post("/books", json=[{"token_id": "1"}] * 501).json() == {"error": "Payload exceeds the limit"}


def test_markets(world: World) -> None:
    page = get(world, "/markets")
    assert page["next_cursor"] == "LTE="
    assert page["count"] == 1
    (market,) = page["data"]
    assert market == get(world, f"/markets/{CONDITION}")
    assert market["condition_id"] == CONDITION
    assert market["question"] == "Will the tests pass?"
    assert market["accepting_orders"]
    assert market["active"]
    assert not market["closed"]
    assert (market["minimum_tick_size"], market["minimum_order_size"]) == (0.01, 5)
    assert [(t["token_id"], t["outcome"]) for t in market["tokens"]] == [(str(YES), "Yes"), (str(NO), "No")]
    simplified = get(world, "/simplified-markets")["data"][0]
    assert set(simplified) == {"condition_id", "rewards", "tokens", "active", "closed", "archived", "accepting_orders"}
    assert get(world, "/markets", next_cursor="LTE=")["data"] == []
    assert get(world, "/sampling-markets")["count"] == 1


def test_health_time_version(world: World) -> None:
    assert get(world, "/") == "OK"
    assert isinstance(get(world, "/time"), int)
    assert get(world, "/version") == {"version": 1}
    assert world.client.get("/openapi.json").status_code == 200
    assert world.client.get("/docs").status_code == 200


def test_resolution_names_the_winner_in_tokens(world: World) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    path = f"/admin/markets/{CONDITION}/resolve"
    for bad in ({"winning_asset_id": "12345"}, {"winning_asset_id": "0xab"}):
        refused = world.client.post(path, json=bad, headers=admin)
        assert refused.status_code == 400
        assert set(refused.json()) == {"error"}
    assert [t["winner"] for t in get(world, f"/markets/{CONDITION}")["tokens"]] == [False, False]
    resolved = world.client.post(path, json={"winning_asset_id": str(NO)}, headers=admin)
    assert resolved.status_code == 200, resolved.text
    market = get(world, f"/markets/{CONDITION}")
    assert [(t["outcome"], t["winner"]) for t in market["tokens"]] == [("Yes", False), ("No", True)]
    assert market["closed"] is True
    assert get(world, "/simplified-markets")["data"][0]["tokens"] == market["tokens"]
