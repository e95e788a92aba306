"""``GET /live-activity/events/{condition_id}``: a market's recent trades, newest first, in the shape of
Polymarket's ``MarketTradeEvent`` (the type @polymarket/clob-client reads from this endpoint).

One event per trade, seen from its taker: ``side``, ``size`` (shares) and ``price`` are the taker's, ``outcome`` and
``outcome_index`` name the taker's token, ``user.address`` is the taker's wallet (we keep no user profiles: the
profile fields are empty strings). ``timestamp`` is the match time in unix seconds, as a string;
``transaction_hash`` is empty until the trade's settlement transaction is known.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from clob.service.errors import ErrorCode, ServiceError
from clob.service.markets import OUTCOMES, MarketData
from clob.service.units import format_units
from orders import checksum_address
from store.db import Database
from store.schema import trades

LIMIT = 100


class LiveActivity:
    """Recent trades of a market over the ``trades`` table."""

    def __init__(self, db: Database, markets: MarketData) -> None:
        self._db = db
        self._markets = markets

    def events(self, condition_id: str, limit: int = LIMIT) -> list[dict[str, Any]]:
        market = self._markets.record(condition_id)
        if market is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        t = trades.c
        with self._db.engine.connect() as conn:
            rows = conn.execute(
                select(t.asset_id, t.taker, t.side, t.size, t.price, t.fee_rate_bps, t.match_time, t.transaction_hash)
                .where(t.market == market.condition_id)
                .order_by(t.journal_seq.desc())
                .limit(limit)
            ).all()
        tokens = (market.yes_token, market.no_token)
        out = []
        for r in rows:
            index = tokens.index(r.asset_id) if r.asset_id in tokens else 0
            out.append(
                {
                    "event_type": "trade",
                    "market": {
                        "condition_id": market.condition_id,
                        "asset_id": r.asset_id,
                        "question": market.question,
                        "icon": "",
                        "slug": market.market_slug,
                    },
                    "user": {
                        "address": checksum_address(r.taker),
                        "username": "",
                        "profile_picture": "",
                        "optimized_profile_picture": "",
                        "pseudonym": "",
                    },
                    "side": r.side,
                    "size": format_units(int(r.size)),
                    "fee_rate_bps": str(r.fee_rate_bps),
                    "price": r.price,
                    "outcome": OUTCOMES[index],
                    "outcome_index": index,
                    "transaction_hash": r.transaction_hash,
                    "timestamp": str(r.match_time),
                }
            )
        return out
