"""Trading through the API: matches, placement responses, orders and trades pages, cancels of every kind."""

from __future__ import annotations

from typing import Any

from orders import Side, TickSize, build_market_amounts
from tests.unit.api.conftest import World
from tests.unit.api.support import NO, OTHER_CONDITION, YES, Trader, create_market


def _place(trader: Trader, *args: Any, order_type: str = "GTC", **kw: Any) -> dict[str, Any]:
    response = trader.place(trader.order(*args, **kw), order_type)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_match_placement_orders_and_trades(world: World) -> None:
    alice, bob = world.alice, world.bob
    ask = _place(alice, YES, Side.SELL, "0.60", "10")
    assert ask["status"] == "live"
    assert ask["makingAmount"] == "0"
    bid = _place(bob, YES, Side.BUY, "0.65", "6")
    assert bid["success"]
    assert bid["status"] == "matched"
    # bob pays 6 x 0.60 (the maker's price; the price improvement is his) for 6 shares
    assert (bid["makingAmount"], bid["takingAmount"]) == ("3.6", "6")
    assert len(bid["tradeIDs"]) == 1
    assert bid["transactionsHashes"] == []

    order = alice.request("GET", f"/data/order/{ask['orderID']}").json()
    assert order["status"] == "LIVE"
    assert order["size_matched"] == "6"
    assert order["original_size"] == "10"
    assert order["price"] == "0.6"
    assert order["outcome"] == "Yes"
    assert order["side"] == "SELL"
    assert order["owner"] == alice.creds["apiKey"]
    assert order["associate_trades"] == bid["tradeIDs"]
    assert order["maker_address"].lower() == alice.address
    assert bob.request("GET", f"/data/order/{bid['orderID']}").json()["status"] == "MATCHED"
    # someone else's order is not visible
    assert bob.request("GET", f"/data/order/{ask['orderID']}").status_code == 404

    taker_trades = bob.request("GET", "/data/trades").json()
    assert taker_trades["next_cursor"] == "LTE="
    assert taker_trades["count"] == 1
    trade = taker_trades["data"][0]
    assert trade["id"] == bid["tradeIDs"][0]
    assert trade["trader_side"] == "TAKER"
    assert (trade["side"], trade["size"], trade["price"], trade["status"]) == ("BUY", "6", "0.6", "MATCHED")
    assert trade["owner"] == bob.creds["apiKey"]
    assert trade["taker_order_id"] == bid["orderID"]
    (maker,) = trade["maker_orders"]
    assert maker["order_id"] == ask["orderID"]
    assert maker["owner"] == alice.creds["apiKey"]
    assert (maker["matched_amount"], maker["price"], maker["side"], maker["outcome"]) == ("6", "0.6", "SELL", "Yes")
    maker_trades = alice.request("GET", "/data/trades").json()["data"]
    assert [t["trader_side"] for t in maker_trades] == ["MAKER"]
    assert world.carol.request("GET", "/data/trades").json()["data"] == []

    last = world.client.get("/last-trade-price", params={"token_id": str(YES)}).json()
    assert last == {"price": "0.6", "side": "BUY"}


def test_mint_across_outcomes(world: World) -> None:
    """A BUY YES at 0.70 meets a resting BUY NO at 0.35 (they sum above 1): a MINT trade at the maker's price."""
    bob_no = _place(world.bob, NO, Side.BUY, "0.35", "10")
    bid = _place(world.alice, YES, Side.BUY, "0.70", "10")
    assert bid["status"] == "matched"
    trade = world.alice.request("GET", "/data/trades").json()["data"][0]
    assert trade["price"] == "0.65"
    assert trade["maker_orders"][0]["order_id"] == bob_no["orderID"]
    assert trade["maker_orders"][0]["outcome"] == "No"


def test_fok_and_fak(world: World) -> None:
    alice, bob = world.alice, world.bob
    _place(alice, YES, Side.SELL, "0.60", "10")
    response = bob.place(bob.order(YES, Side.BUY, "0.60", "20"), "FOK")
    assert response.status_code == 400
    assert response.headers["X-Error-Code"] == "FOK_ORDER_NOT_FILLED_ERROR"
    response = bob.place(bob.order(YES, Side.BUY, "0.50", "5"), "FAK")
    assert response.status_code == 400
    assert response.headers["X-Error-Code"] == "FAK_ORDER_NOT_FILLED_ERROR"
    fak = _place(bob, YES, Side.BUY, "0.60", "20", order_type="FAK")  # fills 10, the rest is killed
    assert (fak["status"], fak["takingAmount"]) == ("matched", "10")
    assert bob.request("GET", "/data/orders").json()["data"] == []
    book = world.client.get("/book", params={"token_id": str(YES)}).json()
    assert book["asks"] == []
    assert book["bids"] == []


def test_market_order_with_off_tick_amounts(world: World) -> None:
    """py-clob-client's market BUY of $5 at 0.55 signs 5 USDC for 9.0909 shares: off-tick, accepted as FOK."""
    _place(world.alice, YES, Side.SELL, "0.55", "100")
    maker, taker = build_market_amounts(Side.BUY, "0.55", "5", TickSize.TICK_0_01)
    assert (maker, taker) == (5_000_000, 9_090_900)
    fok = _place(world.bob, YES, Side.BUY, "", "", amounts=(maker, taker), order_type="FOK")
    assert fok["status"] == "matched"
    assert world.bob.request("GET", f"/data/order/{fok['orderID']}").json()["price"] == "0.55"


def test_post_only_that_would_cross(world: World) -> None:
    _place(world.alice, YES, Side.SELL, "0.60", "10")
    order = world.bob.order(YES, Side.BUY, "0.60", "5")
    response = world.bob.place(order, "GTC", post_only=True)
    assert response.status_code == 400
    assert response.headers["X-Error-Code"] == "INVALID_POST_ONLY_ORDER"
    assert world.bob.place(world.bob.order(YES, Side.BUY, "0.59", "5"), post_only=True).json()["status"] == "live"


def test_cancel_someone_elses_order(world: World) -> None:
    alice, bob = world.alice, world.bob
    oid = _place(alice, YES, Side.BUY, "0.40", "10")["orderID"]
    response = bob.request("DELETE", "/order", {"orderId": oid})  # the rs client's key spelling
    assert response.status_code == 200
    assert response.json() == {"canceled": [], "not_canceled": {oid: "not authorized to cancel this order"}}
    assert alice.request("GET", f"/data/order/{oid}").json()["status"] == "LIVE"
    unknown = "0x" + "ee" * 32
    result = alice.request("DELETE", "/orders", [oid.upper().replace("0X", "0x"), unknown, "nope"]).json()
    assert result["canceled"] == [oid]
    assert set(result["not_canceled"]) == {unknown, "nope"}
    again = alice.request("DELETE", "/order", {"ORDERID": oid}).json()  # a retry answers as the first try
    assert again == {"canceled": [oid], "not_canceled": {}}


def test_cancel_all_and_cancel_market_orders(world: World) -> None:
    alice, bob = world.alice, world.bob
    create_market(world.client, OTHER_CONDITION, 3333, 4444)
    a1 = _place(alice, YES, Side.BUY, "0.40", "10")["orderID"]
    a2 = _place(alice, NO, Side.BUY, "0.30", "10")["orderID"]
    a3 = _place(alice, 3333, Side.BUY, "0.20", "10")["orderID"]
    b1 = _place(bob, YES, Side.BUY, "0.30", "10")["orderID"]

    result = alice.request("DELETE", "/cancel-market-orders", {"market": "", "asset_id": str(NO)}).json()
    assert result == {"canceled": [a2], "not_canceled": {}}
    result = alice.request("DELETE", "/cancel-market-orders", {"market": OTHER_CONDITION, "asset_id": ""}).json()
    assert result["canceled"] == [a3]
    result = alice.request("DELETE", "/cancel-all").json()
    assert result["canceled"] == [a1]
    assert bob.request("GET", f"/data/order/{b1}").json()["status"] == "LIVE"
    assert alice.request("GET", "/data/orders").json()["data"] == []


def test_open_orders_filters_and_pages(world: World) -> None:
    alice = world.alice
    ids = [_place(alice, YES, Side.BUY, f"0.{10 + i}", "5")["orderID"] for i in range(3)]
    _place(alice, NO, Side.BUY, "0.10", "5")
    page = alice.request("GET", "/data/orders", query="next_cursor=MA==").json()
    assert page["count"] == 4
    assert page["next_cursor"] == "LTE="
    assert page["limit"] >= 4
    by_asset = alice.request("GET", "/data/orders", query=f"asset_id={YES}").json()["data"]
    assert [o["id"] for o in by_asset] == ids
    one = alice.request("GET", "/data/orders", query=f"id={ids[1]}").json()["data"]
    assert [o["id"] for o in one] == [ids[1]]
    end = alice.request("GET", "/data/orders", query="next_cursor=LTE=").json()
    assert end == {"limit": end["limit"], "count": 0, "next_cursor": "LTE=", "data": []}
    bad = alice.request("GET", "/data/orders", query="next_cursor=%%%")
    assert bad.status_code == 400


def test_orders_page_cursor(world: World, monkeypatch: Any) -> None:
    from clob.api.routers import data

    monkeypatch.setattr(data, "PAGE_LIMIT", 2)
    alice = world.alice
    ids = [_place(alice, YES, Side.BUY, f"0.{10 + i}", "5")["orderID"] for i in range(3)]
    first = alice.request("GET", "/data/orders").json()
    assert first["count"] == 2
    assert first["next_cursor"] == "Mg=="
    second = alice.request("GET", "/data/orders", query="next_cursor=Mg==").json()
    assert second["next_cursor"] == "LTE="
    assert [o["id"] for o in first["data"] + second["data"]] == ids
