"""Market data in Polymarket's shapes, rendered from the engine's per-token books.

``OrderBookSummary`` (REST ``/book`` and the WebSocket ``book`` event): bids ascending and asks descending, so the
best level is the LAST element of each list (Polymarket's clients walk the lists in reverse). ``hash`` is the SHA-1
of the compact JSON of the summary with ``hash`` set to "" and the keys in Polymarket's order:
``market, asset_id, timestamp, hash, bids, asks, min_order_size, tick_size, neg_risk, last_trade_price``.

Sizes are shares as decimal strings ("100", "12.5"), prices decimal strings ("0.55").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from clob.engine import TokenBook
from clob.service.units import format_pips, format_units


def levels(entries: tuple[tuple[int, int], ...], best_last: bool = True) -> list[dict[str, str]]:
    """Engine levels (best first) as [{price, size}] with the best level last."""
    ordered = reversed(entries) if best_last else iter(entries)
    return [{"price": format_pips(p), "size": format_units(s)} for p, s in ordered]


def summary_hash(summary: dict[str, Any]) -> str:
    """SHA-1 over the compact JSON of the summary with ``hash`` = "" (Polymarket's rule)."""
    keys = (
        "market",
        "asset_id",
        "timestamp",
        "hash",
        "bids",
        "asks",
        "min_order_size",
        "tick_size",
        "neg_risk",
        "last_trade_price",
    )
    ordered = {k: ("" if k == "hash" else summary.get(k)) for k in keys}
    return hashlib.sha1(json.dumps(ordered, separators=(",", ":")).encode(), usedforsecurity=False).hexdigest()


def book_summary(
    book: TokenBook | None,
    *,
    market: str,
    asset_id: str,
    tick_size: str,
    min_order_size: str,
    last_trade_price: str,
    timestamp_ms: int,
    neg_risk: bool = False,
) -> dict[str, Any]:
    """An OrderBookSummary with its hash."""
    summary: dict[str, Any] = {
        "market": market,
        "asset_id": asset_id,
        "timestamp": str(timestamp_ms),
        "hash": "",
        "bids": levels(book.bids) if book else [],
        "asks": levels(book.asks) if book else [],
        "min_order_size": min_order_size,
        "tick_size": tick_size,
        "neg_risk": neg_risk,
        "last_trade_price": last_trade_price,
    }
    summary["hash"] = summary_hash(summary)
    return summary
