"""The WebSocket endpoints ``/ws/market`` and ``/ws/user`` (protocol doc §6).

Market channel: the first message ``{"type": "market", "assets_ids": [...], "initial_dump": true}`` subscribes
and, unless ``initial_dump`` is false, is answered with an array of ``book`` snapshots.
``"custom_feature_enabled": true`` adds ``best_bid_ask``, ``new_market`` and ``market_resolved``;
``"trade_status": true`` adds the hub's ``trade_status`` events (our extension, for the console).

User channel: the first message ``{"type": "user", "markets": [...], "auth": {"apiKey", "secret", "passphrase"}}``
authenticates with the raw API credentials (as Polymarket's clients send them) and subscribes to the key owner's
``order`` and ``trade`` events.

Later ``{"operation": "subscribe"|"unsubscribe", "assets_ids"|"markets": [...]}`` change the subscription. The
text ``PING`` is answered ``PONG``. Errors are sent as ``{"error": "..."}``; an unauthenticated user channel is
closed with code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from clob.ws.hub import RESYNC, Subscriber, WsHub

router = APIRouter()

CredsCheck = Callable[[str, str, str], str | None]
"""(api key, secret, passphrase) → the key owner's lower-case address, or None if they do not match."""


def check_creds_with(resolver: Callable[[str], Any]) -> CredsCheck:
    """A ``CredsCheck`` over ``clob.auth.CredentialResolver`` (api key → L2Credentials or None)."""

    def check(api_key: str, secret: str, passphrase: str) -> str | None:
        creds = resolver(api_key)
        if creds is None:
            return None
        ok = hmac.compare_digest(str(creds.secret), secret) and hmac.compare_digest(str(creds.passphrase), passphrase)
        return str(creds.address).lower() if ok else None

    return check


def _hub(ws: WebSocket) -> WsHub:
    hub: WsHub = ws.app.state.ws_hub
    return hub


async def _sender(ws: WebSocket, hub: WsHub, sub: Subscriber) -> None:
    while True:
        msg = await sub.queue.get()
        if msg is RESYNC:
            if sub.channel == "user":
                await ws.close(code=1013, reason="slow consumer: reconnect and resync over REST")
                return
            books = [b for a in sorted(sub.assets) if (b := hub.book_message(a)) is not None]
            if books:
                await ws.send_text(json.dumps(books))
            continue
        await ws.send_text(json.dumps(msg))


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str | int)]


async def _session(ws: WebSocket, channel: str) -> None:
    await ws.accept()
    hub = _hub(ws)
    sub = hub.new_subscriber(channel)
    sender: asyncio.Task[None] | None = None
    try:
        while True:
            text = await ws.receive_text()
            if text.strip().upper() == "PING":
                await ws.send_text("PONG")
                continue
            try:
                msg = json.loads(text)
                if not isinstance(msg, dict):
                    raise ValueError("expected a JSON object")
            except ValueError as exc:
                await ws.send_text(json.dumps({"error": f"invalid message: {exc}"}))
                continue
            if sender is None:
                if not await _first_message(ws, hub, sub, msg):
                    return
                hub.add(sub)
                sender = asyncio.create_task(_sender(ws, hub, sub))
            else:
                await _change(ws, hub, sub, msg)
    except WebSocketDisconnect:
        pass
    finally:
        hub.remove(sub)
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender


async def _first_message(ws: WebSocket, hub: WsHub, sub: Subscriber, msg: dict[str, Any]) -> bool:
    kind = str(msg.get("type", "")).lower()
    if kind != sub.channel:
        await ws.send_text(json.dumps({"error": f"first message must have type {sub.channel!r}"}))
        await ws.close(code=1008)
        return False
    if sub.channel == "user":
        auth = msg.get("auth") if isinstance(msg.get("auth"), dict) else {}
        assert isinstance(auth, dict)
        check: CredsCheck = ws.app.state.ws_check_creds
        address = check(str(auth.get("apiKey", "")), str(auth.get("secret", "")), str(auth.get("passphrase", "")))
        if address is None:
            await ws.send_text(json.dumps({"error": "Unauthorized/Invalid api key"}))
            await ws.close(code=1008)
            return False
        sub.address = address
        # The signer's smart wallets (app.state.ws_wallets_of, when the deployment has wallet factories).
        wallets_of: Callable[[str], frozenset[str]] | None = getattr(ws.app.state, "ws_wallets_of", None)
        sub.wallets = frozenset() if wallets_of is None else wallets_of(address)
        sub.api_key = str(auth.get("apiKey", ""))
        sub.markets = set(_str_list(msg.get("markets")))
        return True
    sub.assets = set(_str_list(msg.get("assets_ids")))
    sub.trade_status = msg.get("trade_status") is True
    sub.custom = msg.get("custom_feature_enabled") is True
    hub.add(sub)  # before the snapshot: a change applied meanwhile is queued, not lost
    if msg.get("initial_dump", True):
        books = [b for a in sorted(sub.assets) if (b := hub.book_message(a)) is not None]
        await ws.send_text(json.dumps(books))
    return True


async def _change(ws: WebSocket, hub: WsHub, sub: Subscriber, msg: dict[str, Any]) -> None:
    op = str(msg.get("operation", "")).lower()
    if op not in ("subscribe", "unsubscribe"):
        await ws.send_text(json.dumps({"error": "operation must be subscribe or unsubscribe"}))
        return
    target = sub.assets if sub.channel == "market" else sub.markets
    values = set(_str_list(msg.get("assets_ids" if sub.channel == "market" else "markets")))
    if op == "unsubscribe":
        target -= values
        hub.subscriptions_changed()
        return
    new = values - target
    target |= values
    hub.subscriptions_changed()  # before the snapshot, as on the first subscription
    if sub.channel == "market" and new and msg.get("initial_dump", True):
        books = [b for a in sorted(new) if (b := hub.book_message(a)) is not None]
        await ws.send_text(json.dumps(books))


@router.websocket("/ws/market")
async def market_channel(ws: WebSocket) -> None:
    """Public market data: book snapshots and deltas for the subscribed asset ids."""
    await _session(ws, "market")


@router.websocket("/ws/user")
async def user_channel(ws: WebSocket) -> None:
    """Authenticated user data: the API key owner's order and trade events."""
    await _session(ws, "user")
