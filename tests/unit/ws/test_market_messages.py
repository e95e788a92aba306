"""The custom-feature market messages: ``best_bid_ask`` from a book, ``new_market`` / ``market_resolved``."""

from __future__ import annotations

from typing import Any

from clob.ws.market_messages import best_bid_ask, market_event, top_of

REF: dict[str, Any] = {
    "question": "Q?",
    "slug": "q",
    "description": "d",
    "assets_ids": ["11", "12"],
    "outcomes": ["Yes", "No"],
}


def test_top_of_book_and_spread() -> None:
    book = {"bids": [{"price": "0.4", "size": "1"}, {"price": "0.45", "size": "2"}], "asks": [{"price": "0.5"}]}
    assert top_of(book) == ("0.45", "0.5")
    assert top_of({"bids": [], "asks": []}) == ("0", "0")
    assert top_of(None) == ("0", "0")
    msg = best_bid_ask("0xm", "11", ("0.45", "0.5"), "1700000000000")
    assert (msg["event_type"], msg["best_bid"], msg["best_ask"], msg["spread"]) == (
        "best_bid_ask",
        "0.45",
        "0.5",
        "0.05",
    )
    assert best_bid_ask("0xm", "11", ("0", "0.5"), "1")["spread"] == "0"  # one side empty: no spread
    assert best_bid_ask("0xm", "11", ("0.1", "0.9"), "1")["spread"] == "0.8"


def test_market_events_name_the_winner_only_if_it_is_the_markets() -> None:
    created = market_event("new_market", "0xm", REF, "5")
    assert "winning_asset_id" not in created
    assert created["event_message"] == {"id": "0xm", "ticker": "q", "slug": "q", "title": "Q?", "description": "d"}
    resolved = market_event("market_resolved", "0xm", REF, "5", "12")
    assert (resolved["winning_asset_id"], resolved["winning_outcome"]) == ("12", "No")
    unknown = market_event("market_resolved", "0xm", REF, "5", "99")
    assert (unknown["winning_asset_id"], unknown["winning_outcome"]) == ("", "")
    assert market_event("market_resolved", "0xm", REF, "5")["winning_outcome"] == ""
