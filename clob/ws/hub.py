"""WebSocket fan-out: the sequencer's durable events become Polymarket's market and user channel messages.

Threads: the sequencer calls ``on_applied`` on its own thread after each durable command. The hub turns the events
into messages there (cheap dict building) and hands them to the event loop with ``call_soon_threadsafe`` — the
sequencer never waits for a socket. On the loop, each subscriber has a bounded queue; a subscriber whose queue is
full is a slow consumer: its queue is dropped and it is resynchronised (market channel: fresh ``book`` snapshots of
its assets; user channel: the connection is closed with code 1013 so the client reconnects and re-reads its orders
over REST). Order intake never slows down because of a stalled client.

Message shapes follow the protocol doc §6: market ``book``, ``price_change`` (2025-09 schema), ``last_trade_price``,
``tick_size_change``; user ``order`` (PLACEMENT / UPDATE / CANCELLATION) and ``trade`` (at MATCHED and at every
settlement status change). Timestamps are milliseconds as strings. A frame is one JSON object or an array.

With ``"custom_feature_enabled": true`` in a market subscription (Polymarket's gate), also ``best_bid_ask`` (the top
of a followed asset's book changed), ``new_market`` and ``market_resolved`` (any market: `clob.ws.market_messages`).
A trade also sends a fresh ``book`` of each followed asset of its market, as Polymarket does after trades. User
``order`` and ``trade`` messages name the outcome ("Yes"/"No") of their assets.

Our one addition, opt-in (``"trade_status": true`` in a market subscription, as the operator console sends it):
``trade_status`` events — trade id, asset, price, size, status and transaction hash of every trade of a subscribed
asset, at MATCHED and at every settlement status change; no owners or keys. Subscribers that do not ask never see it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clob.engine import (
    BookDelta,
    CancelReason,
    MarketCreated,
    MarketStatus,
    MarketStatusChanged,
    OrderAccepted,
    OrderCancelled,
    OrderUpdated,
    PlaceOrder,
    Side,
    TickSizeChanged,
    Trade,
)
from clob.service.applied import Applied
from clob.service.trades import fill_shares, trade_key, trade_price_pips
from clob.service.units import format_pips, format_units
from clob.ws.market_messages import MarketRef, best_bid_ask, market_event, top_of

log = logging.getLogger(__name__)

EVERYONE = "*"
"""Market message key: every ``custom_feature_enabled`` subscriber (``new_market``, ``market_resolved``)."""
CUSTOM_ONLY = frozenset({"best_bid_ask", "new_market", "market_resolved"})

RESYNC = object()
"""Queue sentinel: the subscriber overflowed and must be resynchronised."""

OrderLookup = Callable[[str], dict[str, Any] | None]
"""order id → {owner, maker, market, asset_id, side, price, original_size, size_matched, created_at, expiration,
order_type} for orders the hub has not seen placed (e.g. placed before a restart)."""


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection's subscription and outbound queue."""

    channel: str
    queue: asyncio.Queue[Any]
    assets: set[str] = field(default_factory=set)
    markets: set[str] = field(default_factory=set)
    address: str = ""
    wallets: frozenset[str] = frozenset()
    """User channel: the subscriber's proxy wallet and Safe (lower-case); their orders and trades are its own."""
    api_key: str = ""
    dropped: int = 0
    trade_status: bool = False
    """Market channel: also send ``trade_status`` events (opt-in)."""
    custom: bool = False
    """Market channel: ``custom_feature_enabled``: also ``best_bid_ask``, ``new_market``, ``market_resolved``."""


class WsHub:
    """Routes messages to subscribers; the only state shared with the sequencer thread is the loop handle."""

    def __init__(
        self,
        summary_of: Callable[[str], dict[str, Any] | None],
        assets_of_market: Callable[[str], list[str]],
        order_lookup: OrderLookup,
        stream: str = "main",
        max_queue: int = 1000,
        clock_ms: Callable[[], int] | None = None,
        outcome_of: Callable[[str], str] | None = None,
        market_ref: MarketRef | None = None,
    ) -> None:
        self._summary_of = summary_of
        self._assets_of_market = assets_of_market
        self._order_lookup = order_lookup
        self._outcome_of = outcome_of or (lambda _asset: "")
        self._market_ref = market_ref or (lambda _market: None)
        self._outcomes: dict[str, str] = {}
        self._tops: dict[str, tuple[str, str]] = {}
        """Last top of book sent per asset in ``best_bid_ask`` (sequencer thread only)."""
        self.stream = stream
        self.max_queue = max_queue
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: set[Subscriber] = set()
        self._watched: frozenset[str] = frozenset()
        """Assets some market subscriber follows: read on the sequencer thread, replaced (never mutated) on the
        loop. Market messages of other assets are not rendered at all (a book summary and hash per change)."""
        self._status_watched: frozenset[str] = frozenset()
        """Assets some market subscriber follows with ``trade_status``."""
        self._custom_watched: frozenset[str] = frozenset()
        """Assets some ``custom_feature_enabled`` market subscriber follows."""
        self._custom_any = False
        self._users: frozenset[str] = frozenset()
        """Addresses (lower case) some user subscriber follows: order messages of others are not rendered."""
        self._orders: dict[str, dict[str, Any]] = {}

    # --- wiring ------------------------------------------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def add(self, sub: Subscriber) -> None:
        """Start delivering to ``sub``; call it before taking the snapshot it is sent first (a change applied in
        between is then delivered, possibly twice, never lost: price changes carry absolute level sizes)."""
        self._subs.add(sub)
        self.subscriptions_changed()

    def remove(self, sub: Subscriber) -> None:
        self._subs.discard(sub)
        self.subscriptions_changed()

    def subscriptions_changed(self) -> None:
        self._watched = frozenset(a for s in self._subs if s.channel == "market" for a in s.assets)
        self._status_watched = frozenset(
            a for s in self._subs if s.channel == "market" and s.trade_status for a in s.assets
        )
        self._custom_watched = frozenset(a for s in self._subs if s.channel == "market" and s.custom for a in s.assets)
        self._custom_any = any(s.channel == "market" and s.custom for s in self._subs)
        self._users = frozenset(a for s in self._subs if s.channel != "market" for a in (s.address, *s.wallets))

    def new_subscriber(self, channel: str) -> Subscriber:
        return Subscriber(channel, asyncio.Queue(maxsize=self.max_queue))

    # --- snapshots ---------------------------------------------------------------------------------------------
    def book_message(self, asset_id: str) -> dict[str, Any] | None:
        """The ``book`` event of one asset: the same OrderBookSummary (and hash) as REST ``/book``."""
        summary = self._summary_of(asset_id)
        if summary is None:
            return None
        return {
            "event_type": "book",
            "asset_id": asset_id,
            "market": summary["market"],
            "bids": summary["bids"],
            "asks": summary["asks"],
            "timestamp": summary["timestamp"],
            "hash": summary["hash"],
        }

    # --- sequencer thread ------------------------------------------------------------------------------------
    def on_applied(self, item: Applied) -> None:
        """Build the messages of one durable command and hand them to the loop (never blocks)."""
        try:
            market_msgs, user_msgs = self._build(item)
        except Exception:  # a rendering bug must never reach the sequencer
            log.exception("ws: cannot render seq %d", item.seq)
            return
        if (market_msgs or user_msgs) and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._dispatch, market_msgs, user_msgs)

    def on_trade_status(self, trade: Mapping[str, Any], status: str, tx_hash: str) -> None:
        """Settlement moved a trade (row of ``trades`` + its payload) to ``status``: tell its parties."""
        msgs = self._trade_messages(trade, status, tx_hash)
        public = self._status_message(trade, status, tx_hash)
        if (msgs or public) and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._dispatch, public, msgs)

    def _order_info(self, order_id: str) -> dict[str, Any] | None:
        info = self._orders.get(order_id)
        if info is None:
            info = self._order_lookup(order_id)
            if info is not None:
                self._orders[order_id] = info
        return info

    def _build(self, item: Applied) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
        now = str(self._clock_ms())
        market_msgs: list[tuple[str, dict[str, Any]]] = []
        user_msgs: list[tuple[str, dict[str, Any]]] = []
        cmd = item.command
        watched, users = self._watched, self._users
        deltas: dict[str, list[BookDelta]] = defaultdict(list)
        traded: dict[str, None] = {}
        for ev in item.events:
            if isinstance(ev, OrderAccepted) and isinstance(cmd, PlaceOrder):
                shares = cmd.taker_amount if cmd.side == Side.BUY else cmd.maker_amount
                self._orders[ev.order_id] = {
                    "owner": item.meta.get("owner", ""),
                    "maker": cmd.maker,
                    "market": ev.market,
                    "asset_id": str(cmd.token_id),
                    "side": cmd.side.name,
                    "price": item.meta.get("price", ""),
                    "original_size": shares,
                    "size_matched": 0,
                    "created_at": int(cmd.now),
                    "expiration": int(cmd.expiration),
                    "order_type": str(cmd.order_type),
                }
                if cmd.maker.lower() in users:
                    user_msgs.append((cmd.maker, self._order_msg(ev.order_id, "PLACEMENT", "LIVE", now)))
            elif isinstance(ev, Trade):
                self._on_trade(ev, item, now, market_msgs, user_msgs)
                traded[ev.market] = None
            elif isinstance(ev, MarketCreated | MarketStatusChanged):
                market_msgs += self._lifecycle(ev, item, now)
            elif isinstance(ev, OrderUpdated):
                status = "MATCHED" if ev.status.value == "MATCHED" else "LIVE"
                if ev.owner.lower() in users:
                    user_msgs.append((ev.owner, self._order_msg(ev.order_id, "UPDATE", status, now)))
            elif isinstance(ev, OrderCancelled):
                status = "CANCELED_MARKET_RESOLVED" if ev.reason == CancelReason.MARKET_RESOLVED else "CANCELED"
                if ev.owner.lower() in users:
                    user_msgs.append((ev.owner, self._order_msg(ev.order_id, "CANCELLATION", status, now)))
                self._orders.pop(ev.order_id, None)
            elif isinstance(ev, BookDelta):
                if str(ev.token_id) in watched:
                    deltas[ev.market].append(ev)
            elif isinstance(ev, TickSizeChanged):
                old = format_pips(10 ** (4 - ev.old_tick_decimals))
                new = format_pips(10 ** (4 - ev.new_tick_decimals))
                for asset in self._assets_of_market(ev.market):
                    if asset not in watched:
                        continue
                    market_msgs.append(
                        (
                            asset,
                            {
                                "event_type": "tick_size_change",
                                "asset_id": asset,
                                "market": ev.market,
                                "old_tick_size": old,
                                "new_tick_size": new,
                                "timestamp": now,
                            },
                        )
                    )
        books: dict[str, dict[str, Any] | None] = {}  # rendered once per command: price changes, books, tops
        for market_id, evs in deltas.items():
            market_msgs += self._price_changes(market_id, evs, now, books)
        market_msgs += self._after_trades(traded, deltas, now, books)
        return market_msgs, user_msgs

    def _after_trades(
        self,
        traded: dict[str, None],
        deltas: dict[str, list[BookDelta]],
        now: str,
        books: dict[str, dict[str, Any] | None],
    ) -> list[tuple[str, dict[str, Any]]]:
        """A ``book`` of each followed asset of a traded market, then ``best_bid_ask`` of each custom-followed
        asset whose top of book moved."""
        out: list[tuple[str, dict[str, Any]]] = []
        for market_id in traded:
            for asset in self._assets_of_market(market_id):
                if asset in self._watched:
                    book = books[asset] if asset in books else self.book_message(asset)
                    books[asset] = book
                    if book is not None:
                        out.append((asset, book))
        custom = self._custom_watched
        if not custom:
            return out
        touched = {str(ev.token_id): m for m, evs in deltas.items() for ev in evs} | {
            a: m for m in traded for a in self._assets_of_market(m)
        }
        for asset, market_id in sorted(touched.items()):
            if asset not in custom:
                continue
            if asset not in books:
                books[asset] = self.book_message(asset)
            top = top_of(books[asset])
            if self._tops.get(asset) != top:
                self._tops[asset] = top
                out.append((asset, best_bid_ask(market_id, asset, top, now)))
        return out

    def _lifecycle(
        self, ev: MarketCreated | MarketStatusChanged, item: Applied, now: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """``new_market`` / ``market_resolved`` for every custom-feature subscriber."""
        if not self._custom_any:
            return []
        if isinstance(ev, MarketStatusChanged) and ev.status != MarketStatus.RESOLVED:
            return []
        ref = self._market_ref(str(ev.market))
        if ref is None:
            return []
        if isinstance(ev, MarketCreated):
            return [(EVERYONE, market_event("new_market", str(ev.market), ref, now))]
        winner = str(item.meta.get("winning_asset_id", ""))
        return [(EVERYONE, market_event("market_resolved", str(ev.market), ref, now, winner))]

    def _outcome(self, asset_id: str) -> str:
        outcome = self._outcomes.get(asset_id)
        if outcome is None:
            outcome = self._outcome_of(asset_id)
            if outcome:
                self._outcomes[asset_id] = outcome
        return outcome

    def _price_changes(
        self, market_id: str, evs: list[BookDelta], now: str, books: dict[str, dict[str, Any] | None]
    ) -> list[tuple[str, dict[str, Any]]]:
        changes = []
        hashes: dict[str, tuple[str, str, str]] = {}
        for ev in evs:
            asset = str(ev.token_id)
            if asset not in hashes:
                book = books[asset] = self.book_message(asset)
                bids = book["bids"] if book else []
                asks = book["asks"] if book else []
                hashes[asset] = (
                    book["hash"] if book else "",
                    bids[-1]["price"] if bids else "0",
                    asks[-1]["price"] if asks else "0",
                )
            digest, best_bid, best_ask = hashes[asset]
            changes.append(
                {
                    "asset_id": asset,
                    "price": format_pips(ev.price),
                    "size": format_units(ev.size),
                    "side": ev.side.name,
                    "hash": digest,
                    "best_bid": best_bid,
                    "best_ask": best_ask,
                }
            )
        msg = {"event_type": "price_change", "market": market_id, "timestamp": now, "price_changes": changes}
        return [(asset, msg) for asset in sorted(hashes)]

    def _on_trade(
        self,
        ev: Trade,
        item: Applied,
        now: str,
        market_msgs: list[tuple[str, dict[str, Any]]],
        user_msgs: list[tuple[str, dict[str, Any]]],
    ) -> None:
        taker_shares = fill_shares(ev.side, ev.taker_fill, ev.taker_taking)
        taker_info = self._order_info(ev.taker_order_id)
        if taker_info is not None:
            taker_info["size_matched"] += taker_shares
        for m in ev.makers:
            info = self._order_info(m.order_id)
            if info is not None:
                info["size_matched"] += fill_shares(m.side, m.making, m.taking)
        price = format_pips(trade_price_pips(ev))
        asset = str(ev.token_id)
        fee_rate = int(getattr(item.command, "fee_rate_bps", 0))
        if asset in self._watched:
            market_msgs.append(
                (
                    asset,
                    {
                        "event_type": "last_trade_price",
                        "asset_id": asset,
                        "market": ev.market,
                        "price": price,
                        "size": format_units(taker_shares),
                        "side": ev.side.name,
                        "fee_rate_bps": str(fee_rate),
                        "timestamp": now,
                        "transaction_hash": "",
                    },
                )
            )
        row = {
            "trade_id": trade_key(item.stream or self.stream, ev),
            "market": ev.market,
            "asset_id": asset,
            "taker_order_id": ev.taker_order_id,
            "taker": ev.taker,
            "side": ev.side.name,
            "size": taker_shares,
            "price": price,
            "fee_rate_bps": fee_rate,
            "match_time": int(item.command.now),
            "makers": [
                {
                    "order_id": m.order_id,
                    "maker": m.maker,
                    "token_id": str(m.token_id),
                    "side": m.side.name,
                    "price": format_pips(m.price),
                    "matched_amount": fill_shares(m.side, m.making, m.taking),
                }
                for m in ev.makers
            ],
        }
        user_msgs += self._trade_messages(row, "MATCHED", "")
        market_msgs += self._status_message(row, "MATCHED", "")

    def _status_message(self, trade: Mapping[str, Any], status: str, tx_hash: str) -> list[tuple[str, dict[str, Any]]]:
        """The public ``trade_status`` event of a trade, for opted-in subscribers of its asset."""
        asset = str(trade["asset_id"])
        if asset not in self._status_watched:
            return []
        msg = {
            "event_type": "trade_status",
            "trade_id": trade["trade_id"],
            "market": trade["market"],
            "asset_id": asset,
            "side": trade["side"],
            "price": trade["price"],
            "size": format_units(int(trade["size"])),
            "status": status,
            "transaction_hash": tx_hash,
            "match_time": str(trade.get("match_time", "")),
            "timestamp": str(self._clock_ms()),
        }
        return [(asset, msg)]

    def _trade_messages(self, trade: Mapping[str, Any], status: str, tx_hash: str) -> list[tuple[str, dict[str, Any]]]:
        now = str(self._clock_ms())
        maker_orders = []
        for m in trade.get("makers", []):
            info = self._order_info(m["order_id"]) or {}
            maker_orders.append(
                {
                    "order_id": m["order_id"],
                    "owner": info.get("owner", ""),
                    "maker_address": m["maker"],
                    "matched_amount": format_units(int(m["matched_amount"])),
                    "price": m["price"],
                    "fee_rate_bps": str(trade.get("fee_rate_bps", 0)),
                    "asset_id": m["token_id"],
                    "outcome": self._outcome(str(m["token_id"])),
                    "side": m["side"],
                }
            )
        taker_info = self._order_info(trade["taker_order_id"]) or {}
        base = {
            "event_type": "trade",
            "type": "TRADE",
            "id": trade["trade_id"],
            "taker_order_id": trade["taker_order_id"],
            "market": trade["market"],
            "asset_id": trade["asset_id"],
            "side": trade["side"],
            "size": format_units(int(trade["size"])),
            "price": trade["price"],
            "fee_rate_bps": str(trade.get("fee_rate_bps", 0)),
            "status": status,
            "match_time": str(trade.get("match_time", "")),
            "last_update": now,
            "outcome": self._outcome(str(trade["asset_id"])),
            "owner": taker_info.get("owner", ""),
            "trade_owner": taker_info.get("owner", ""),
            "transaction_hash": tx_hash,
            "maker_orders": maker_orders,
            "timestamp": now,
        }
        out = [(str(trade["taker"]), {**base, "trader_side": "TAKER"})]
        for maker in sorted({m["maker"] for m in trade.get("makers", [])} - {trade["taker"]}):
            out.append((maker, {**base, "trader_side": "MAKER"}))
        return out

    def _order_msg(self, order_id: str, kind: str, status: str, now: str) -> dict[str, Any]:
        info = self._order_info(order_id) or {}
        return {
            "event_type": "order",
            "type": kind,
            "id": order_id,
            "owner": info.get("owner", ""),
            "order_owner": info.get("owner", ""),
            "market": info.get("market", ""),
            "asset_id": info.get("asset_id", ""),
            "side": info.get("side", ""),
            "price": info.get("price", ""),
            "original_size": format_units(int(info.get("original_size", 0))),
            "size_matched": format_units(int(info.get("size_matched", 0))),
            "associate_trades": [],
            "outcome": self._outcome(str(info.get("asset_id", ""))) if info else "",
            "created_at": str(info.get("created_at", "")),
            "expiration": str(info.get("expiration", 0)),
            "order_type": info.get("order_type", ""),
            "status": status,
            "maker_address": info.get("maker", ""),
            "timestamp": now,
        }

    # --- event loop ----------------------------------------------------------------------------------------------
    def _dispatch(
        self, market_msgs: list[tuple[str, dict[str, Any]]], user_msgs: list[tuple[str, dict[str, Any]]]
    ) -> None:
        for sub in list(self._subs):
            if sub.channel == "market":
                picked = [
                    m
                    for asset, m in market_msgs
                    if (asset in sub.assets or asset == EVERYONE)
                    and (sub.trade_status or m["event_type"] != "trade_status")
                    and (sub.custom or m["event_type"] not in CUSTOM_ONLY)
                ]
                # one price_change message covers several assets: send it once per subscriber
                unique = list({id(m): m for m in picked}.values())
            else:
                unique = [
                    m
                    for who, m in user_msgs
                    if (who.lower() == sub.address or who.lower() in sub.wallets)
                    and (not sub.markets or m.get("market") in sub.markets)
                ]
            for msg in unique:
                self._offer(sub, msg)

    def _offer(self, sub: Subscriber, msg: Any) -> None:
        try:
            sub.queue.put_nowait(msg)
        except asyncio.QueueFull:
            sub.dropped += 1
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(RESYNC)
