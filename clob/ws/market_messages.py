"""Market channel messages sent only to subscribers that ask with ``"custom_feature_enabled": true`` (as
Polymarket gates them): ``best_bid_ask`` when the top of an asset's book changes, ``new_market`` when a market is
created and ``market_resolved`` when it is resolved (protocol doc §6).

``best_bid_ask``: ``market, asset_id, best_bid, best_ask, spread, timestamp`` (prices as decimal strings; an empty
side is "0" as in ``price_change``; ``spread`` is "0" unless both sides exist). ``new_market``: ``id, question,
market, slug, description, assets_ids, outcomes, event_message{id, ticker, slug, title, description}, timestamp``;
a binary market here is its own event, so ``event_message`` repeats the market's id, slug, question and
description. ``market_resolved``: the same plus ``winning_asset_id`` and ``winning_outcome`` (empty strings when
the resolution did not name a winner).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

MarketRef = Callable[[str], dict[str, Any] | None]
"""condition id → {question, slug, description, assets_ids, outcomes} of a created market, or None."""


def top_of(book: dict[str, Any] | None) -> tuple[str, str]:
    """Best bid and best ask of a ``book`` message (best levels are last); "0" for an empty side."""
    if book is None:
        return "0", "0"
    bids, asks = book["bids"], book["asks"]
    return (bids[-1]["price"] if bids else "0", asks[-1]["price"] if asks else "0")


def best_bid_ask(market: str, asset_id: str, top: tuple[str, str], now: str) -> dict[str, Any]:
    bid, ask = top
    spread = Decimal(ask) - Decimal(bid) if bid != "0" and ask != "0" else Decimal(0)
    return {
        "event_type": "best_bid_ask",
        "market": market,
        "asset_id": asset_id,
        "best_bid": bid,
        "best_ask": ask,
        "spread": _decimal(spread),
        "timestamp": now,
    }


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def market_event(kind: str, market: str, ref: dict[str, Any], now: str, winning_asset_id: str = "") -> dict[str, Any]:
    """A ``new_market`` or ``market_resolved`` message of a market described by ``ref`` (a `MarketRef` value)."""
    msg: dict[str, Any] = {
        "event_type": kind,
        "id": market,
        "question": ref.get("question", ""),
        "market": market,
        "slug": ref.get("slug", ""),
        "description": ref.get("description", ""),
        "assets_ids": list(ref.get("assets_ids", [])),
        "outcomes": list(ref.get("outcomes", [])),
        "event_message": {
            "id": market,
            "ticker": ref.get("slug", ""),
            "slug": ref.get("slug", ""),
            "title": ref.get("question", ""),
            "description": ref.get("description", ""),
        },
        "timestamp": now,
    }
    if kind == "market_resolved":
        assets, outcomes = msg["assets_ids"], msg["outcomes"]
        index = assets.index(winning_asset_id) if winning_asset_id in assets else -1
        msg["winning_asset_id"] = winning_asset_id if index >= 0 else ""
        msg["winning_outcome"] = outcomes[index] if 0 <= index < len(outcomes) else ""
    return msg
