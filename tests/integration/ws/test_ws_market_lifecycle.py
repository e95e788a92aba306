"""A market followed over the WebSocket channels from its creation, through trades, to its resolution, with the
real app (sequencer, database, REST intake) on a uvicorn server: every message carries exactly the fields
Polymarket documents for its ``event_type`` (protocol doc §6), and the custom-feature messages (``new_market``,
``best_bid_ask``, ``market_resolved``) reach only subscribers that ask for them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import websockets

from clob.api import create_app
from orders import Side
from tests.support.server import serve
from tests.unit.api.conftest import KEYS, make_service
from tests.unit.api.support import ADMIN_TOKEN, CONDITION, NO, YES, Trader, create_market

BOOK = {"event_type", "asset_id", "market", "bids", "asks", "timestamp", "hash"}
PRICE_CHANGE = {"event_type", "market", "timestamp", "price_changes"}
PRICE_CHANGE_ITEM = {"asset_id", "price", "size", "side", "hash", "best_bid", "best_ask"}
LAST_TRADE = {"event_type", "asset_id", "market", "price", "size", "side", "fee_rate_bps", "timestamp"}
LAST_TRADE |= {"transaction_hash"}
BEST_BID_ASK = {"event_type", "market", "asset_id", "best_bid", "best_ask", "spread", "timestamp"}
NEW_MARKET = {"event_type", "id", "question", "market", "slug", "description", "assets_ids", "outcomes"}
NEW_MARKET |= {"event_message", "timestamp"}
EVENT_MESSAGE = {"id", "ticker", "slug", "title", "description"}
MARKET_RESOLVED = NEW_MARKET | {"winning_asset_id", "winning_outcome"}
ORDER = {"event_type", "type", "id", "owner", "order_owner", "market", "asset_id", "side", "price", "original_size"}
ORDER |= {"size_matched", "associate_trades", "outcome", "created_at", "expiration", "order_type", "status"}
ORDER |= {"maker_address", "timestamp"}
TRADE = {"event_type", "type", "id", "taker_order_id", "market", "asset_id", "side", "size", "price", "fee_rate_bps"}
TRADE |= {"status", "match_time", "last_update", "outcome", "owner", "trade_owner", "transaction_hash"}
TRADE |= {"trader_side", "timestamp", "maker_orders"}
MAKER_ORDER = {"asset_id", "matched_amount", "order_id", "outcome", "owner", "price", "maker_address", "side"}
MAKER_ORDER |= {"fee_rate_bps"}
FIELDS = {
    "book": BOOK,
    "price_change": PRICE_CHANGE,
    "last_trade_price": LAST_TRADE,
    "best_bid_ask": BEST_BID_ASK,
    "new_market": NEW_MARKET,
    "market_resolved": MARKET_RESOLVED,
    "order": ORDER,
    "trade": TRADE,
}
CUSTOM = {"best_bid_ask", "new_market", "market_resolved"}


def check_fields(msg: dict[str, Any]) -> None:
    """The message has exactly the documented fields of its event type, timestamps as ms strings."""
    kind = msg["event_type"]
    assert set(msg) == FIELDS[kind], kind
    assert msg["timestamp"].isdigit()
    assert len(msg["timestamp"]) == 13
    if kind == "price_change":
        assert all(set(c) == PRICE_CHANGE_ITEM for c in msg["price_changes"])
    elif kind in ("new_market", "market_resolved"):
        assert set(msg["event_message"]) == EVENT_MESSAGE
    elif kind == "trade":
        assert msg["maker_orders"]
        assert all(set(m) == MAKER_ORDER for m in msg["maker_orders"])


@pytest.fixture
def server(db_url: str) -> Iterator[tuple[str, httpx.Client]]:
    service = make_service(db_url, None)
    try:
        with serve(create_app(service)) as base, httpx.Client(base_url=base) as http:
            yield base, http
    finally:
        service.db.dispose()


class Feed:
    """One WebSocket connection; every message read is checked against the documented fields."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def read(self, timeout: float = 5.0) -> Any:
        data = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        for msg in data if isinstance(data, list) else [data]:
            check_fields(msg)
            self.seen.append(msg)
        return data

    async def until(self, *kinds: str) -> list[dict[str, Any]]:
        """Messages up to and including one of each of ``kinds``."""
        start, wanted = len(self.seen), set(kinds)
        while wanted - {m["event_type"] for m in self.seen[start:]}:
            await self.read()
        return self.seen[start:]

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives within ``seconds`` more."""
        start = len(self.seen)
        try:
            while True:
                await self.read(seconds)
        except TimeoutError:
            return self.seen[start:]


def of(msgs: list[dict[str, Any]], kind: str, **match: Any) -> list[dict[str, Any]]:
    return [m for m in msgs if m["event_type"] == kind and all(m.get(k) == v for k, v in match.items())]


def test_market_followed_from_creation_through_trades_to_resolution(server: tuple[str, httpx.Client]) -> None:
    base, http = server
    url = base.replace("http://", "ws://")
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    alice, bob = (Trader(http, key).login() for key in KEYS[:2])  # type: ignore[arg-type]
    yes, no = str(YES), str(NO)

    def place(trader: Trader, side: Side, price: str, size: str) -> dict[str, Any]:
        response = trader.place(trader.order(YES, side, price, size))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def user_feed(stack: Any, trader: Trader) -> Feed:
        ws = await stack.enter_async_context(websockets.connect(url + "/ws/user"))
        await ws.send(json.dumps({"type": "user", "markets": [], "auth": trader.creds}))
        return Feed(ws)

    async def scenario() -> None:
        from contextlib import AsyncExitStack

        async with AsyncExitStack() as stack:
            custom = Feed(await stack.enter_async_context(websockets.connect(url + "/ws/market")))
            await custom.ws.send(json.dumps({"type": "market", "assets_ids": [], "custom_feature_enabled": True}))
            assert await custom.read() == []
            plain = Feed(await stack.enter_async_context(websockets.connect(url + "/ws/market")))
            await plain.ws.send(json.dumps({"type": "market", "assets_ids": [yes, no]}))
            assert await plain.read() == []  # the market does not exist yet
            alice_feed, bob_feed = await user_feed(stack, alice), await user_feed(stack, bob)

            # --- creation: new_market to custom-feature subscribers --------------------------------------------
            await asyncio.to_thread(create_market, http, description="Resolves by the test's own hand.")  # type: ignore[arg-type]
            (created,) = of(await custom.until("new_market"), "new_market")
            assert (created["id"], created["market"], created["question"]) == (
                CONDITION,
                CONDITION,
                "Will the tests pass?",
            )
            assert (created["slug"], created["description"]) == ("tests-pass", "Resolves by the test's own hand.")
            assert (created["assets_ids"], created["outcomes"]) == ([yes, no], ["Yes", "No"])
            assert created["event_message"]["title"] == "Will the tests pass?"
            await custom.ws.send(json.dumps({"operation": "subscribe", "assets_ids": [yes, no]}))
            books = await custom.read()
            assert [b["asset_id"] for b in books] == [yes, no]

            # --- bob's ask: price_change, and the top of both books moves -------------------------------------
            ask = await asyncio.to_thread(place, bob, Side.SELL, "0.55", "10")
            msgs = await custom.until("price_change", "best_bid_ask")
            msgs += [m for m in await custom.quiet() if m["event_type"] == "best_bid_ask"]
            tops = {m["asset_id"]: (m["best_bid"], m["best_ask"], m["spread"]) for m in of(msgs, "best_bid_ask")}
            assert tops == {yes: ("0", "0.55", "0"), no: ("0.45", "0", "0")}
            placed = of(await bob_feed.until("order"), "order")[0]
            assert (placed["type"], placed["status"], placed["id"]) == ("PLACEMENT", "LIVE", ask["orderID"])
            assert (placed["outcome"], placed["original_size"], placed["side"]) == ("Yes", "10", "SELL")

            # --- a bid below: best_bid_ask with a spread --------------------------------------------------------
            await asyncio.to_thread(place, alice, Side.BUY, "0.5", "5")
            msgs = await custom.until("best_bid_ask")
            msgs += await custom.quiet()
            yes_top = of(msgs, "best_bid_ask", asset_id=yes)[-1]
            assert (yes_top["best_bid"], yes_top["best_ask"]) == ("0.5", "0.55")
            assert Decimal(yes_top["spread"]) == Decimal("0.05")

            # --- alice lifts 5 of bob's 10: last_trade_price, book after the trade, no top change --------------
            taker = await asyncio.to_thread(place, alice, Side.BUY, "0.55", "5")
            assert taker["status"] == "matched"
            msgs = await custom.until("last_trade_price", "book")
            msgs += await custom.quiet()
            (last,) = of(msgs, "last_trade_price")
            assert (last["asset_id"], last["price"], last["size"], last["side"]) == (yes, "0.55", "5", "BUY")
            yes_book = of(msgs, "book", asset_id=yes)[-1]
            assert yes_book["asks"] == [{"price": "0.55", "size": "5"}]
            assert of(msgs, "book", asset_id=no), "the mirrored NO book is sent too"
            assert of(msgs, "best_bid_ask") == []  # best bid 0.5, best ask 0.55: unchanged
            alice_trade = of(await alice_feed.until("trade"), "trade")[0]
            assert (alice_trade["trader_side"], alice_trade["status"], alice_trade["outcome"]) == (
                "TAKER",
                "MATCHED",
                "Yes",
            )
            assert alice_trade["maker_orders"][0]["order_id"] == ask["orderID"]
            assert alice_trade["maker_orders"][0]["outcome"] == "Yes"
            bob_msgs = await bob_feed.until("trade", "order")
            assert of(bob_msgs, "trade")[0]["trader_side"] == "MAKER"
            update = of(bob_msgs, "order", type="UPDATE")[0]
            assert (update["size_matched"], update["status"], update["outcome"]) == ("5", "LIVE", "Yes")

            # --- resolution: YES wins; resting orders cancelled; market_resolved names the winner --------------
            response = await asyncio.to_thread(
                http.post, f"/admin/markets/{CONDITION}/resolve", json={"winning_asset_id": yes}, headers=admin
            )
            assert response.status_code == 200, response.text
            tokens = response.json()["tokens"]
            assert [(t["outcome"], t["winner"]) for t in tokens] == [("Yes", True), ("No", False)]
            msgs = await custom.until("market_resolved")
            msgs += await custom.quiet()
            (resolved,) = of(msgs, "market_resolved")
            assert (resolved["winning_asset_id"], resolved["winning_outcome"]) == (yes, "Yes")
            assert resolved["assets_ids"] == [yes, no]
            yes_top = of(msgs, "best_bid_ask", asset_id=yes)[-1]
            assert (yes_top["best_bid"], yes_top["best_ask"]) == ("0", "0")
            cancel = of(await bob_feed.until("order"), "order")[-1]
            assert (cancel["type"], cancel["status"], cancel["id"]) == (
                "CANCELLATION",
                "CANCELED_MARKET_RESOLVED",
                ask["orderID"],
            )
            market = (await asyncio.to_thread(http.get, f"/markets/{CONDITION}")).json()
            assert [t["winner"] for t in market["tokens"]] == [True, False]
            assert market["closed"] is True

            # --- the plain subscriber saw the public events, never the custom-feature ones ----------------------
            await plain.quiet()
            kinds = {m["event_type"] for m in plain.seen}
            assert {"book", "price_change", "last_trade_price"} <= kinds
            assert not kinds & CUSTOM

    asyncio.run(scenario())
