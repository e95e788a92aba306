"""Service results → Polymarket's JSON shapes (protocol doc §1). Amounts leave as decimal strings of shares or USDC.

The few JSON numbers Polymarket uses for prices and sizes (`/tick-size`, the Market shape) are rendered from exact
decimals at this edge only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clob.auth import ApiCreds
from clob.engine import MarketStatus
from clob.service.markets import OUTCOMES, MarketRecord, tick_string
from clob.service.outcomes import CancelResult, Placement
from clob.service.queries import OrderRecord, TradeRecord
from clob.service.units import format_pips, format_units
from orders import checksum_address


def number(text: str) -> int | float:
    """A decimal string as the JSON number Polymarket sends (int when whole)."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def creds_json(creds: ApiCreds) -> dict[str, str]:
    return {"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}


def placement_json(p: Placement) -> dict[str, Any]:
    if p.error is not None:
        return {
            "success": False,
            "errorMsg": p.error.message,
            "orderID": p.order_id,
            "transactionsHashes": [],
            "tradeIDs": [],
            "status": "",
            "makingAmount": "",
            "takingAmount": "",
        }
    return {
        "success": True,
        "errorMsg": "",
        "orderID": p.order_id,
        "transactionsHashes": [],
        "tradeIDs": list(p.trade_ids),
        "status": p.status,
        "makingAmount": format_units(p.making),
        "takingAmount": format_units(p.taking),
    }


def placements_json(placements: list[Placement]) -> list[dict[str, Any]]:
    """POST /orders' answer: one result per order, in order."""
    return [placement_json(p) for p in placements]


def cancel_json(result: CancelResult) -> dict[str, Any]:
    return {"canceled": result.canceled, "not_canceled": result.not_canceled}


def order_json(o: OrderRecord) -> dict[str, Any]:
    return {
        "id": o.order_id,
        "status": o.status,
        "owner": o.owner,
        "maker_address": checksum_address(o.maker),
        "market": o.market,
        "asset_id": o.asset_id,
        "side": o.side,
        "original_size": format_units(o.original_size),
        "size_matched": format_units(o.size_matched),
        "price": o.price,
        "associate_trades": list(o.associate_trades),
        "outcome": o.outcome,
        "created_at": o.created_at,
        "expiration": str(o.expiration),
        "order_type": o.order_type,
    }


def trade_json(t: TradeRecord) -> dict[str, Any]:
    return {
        "id": t.trade_id,
        "taker_order_id": t.taker_order_id,
        "market": t.market,
        "asset_id": t.asset_id,
        "side": t.side,
        "size": format_units(t.size),
        "fee_rate_bps": str(t.fee_rate_bps),
        "price": t.price,
        "status": t.status,
        "match_time": str(t.match_time),
        "last_update": str(t.last_update),
        "outcome": t.outcome,
        "bucket_index": t.bucket_index,
        "owner": t.owner,
        "maker_address": checksum_address(t.maker_address),
        "maker_orders": [
            {
                "order_id": m.order_id,
                "owner": m.owner,
                "maker_address": checksum_address(m.maker),
                "matched_amount": format_units(m.matched_amount),
                "price": m.price,
                "fee_rate_bps": str(m.fee_rate_bps),
                "asset_id": m.asset_id,
                "outcome": m.outcome,
                "side": m.side,
            }
            for m in t.maker_orders
        ],
        "transaction_hash": t.transaction_hash,
        "trader_side": t.trader_side,
    }


def pips(value: int) -> str:
    return format_pips(value)


def tick_json(tick_decimals: int) -> dict[str, Any]:
    return {"minimum_tick_size": number(tick_string(tick_decimals))}


def market_json(m: MarketRecord, prices: dict[str, str]) -> dict[str, Any]:
    open_ = m.status == MarketStatus.OPEN.value
    resolved = m.status == MarketStatus.RESOLVED.value
    return {
        "enable_order_book": True,
        "active": not resolved,
        "closed": resolved,
        "archived": False,
        "accepting_orders": open_,
        "accepting_order_timestamp": None,
        "minimum_order_size": number(format_units(m.min_order_size)),
        "minimum_tick_size": number(m.tick_size),
        "condition_id": m.condition_id,
        "question_id": m.question_id,
        "question": m.question,
        "description": m.description,
        "market_slug": m.market_slug,
        "end_date_iso": m.end_date_iso or None,
        "game_start_time": None,
        "seconds_delay": 0,
        "fpmm": "",
        "maker_base_fee": m.fee_rate_bps,
        "taker_base_fee": m.fee_rate_bps,
        "notifications_enabled": False,
        "neg_risk": False,
        "neg_risk_market_id": "",
        "neg_risk_request_id": "",
        "icon": "",
        "image": "",
        "rewards": {"rates": None, "min_size": 0, "max_spread": 0},
        "tokens": [
            {
                "token_id": token,
                "outcome": OUTCOMES[i],
                "price": number(prices.get(token) or "0"),
                "winner": token == m.winning_asset_id,
            }
            for i, token in enumerate((m.yes_token, m.no_token))
        ],
        "tags": [],
    }


def simplified_market_json(m: MarketRecord, prices: dict[str, str]) -> dict[str, Any]:
    full = market_json(m, prices)
    keys = ("condition_id", "rewards", "tokens", "active", "closed", "archived", "accepting_orders")
    return {k: full[k] for k in keys}
