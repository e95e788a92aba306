"""The fast path of order placement: POST /order and POST /orders answered by a thin ASGI middleware.

At load, FastAPI's routing, request objects and dependency resolution cost about a fifth of the API process's CPU
for each placement request (py-spy, bench/api-results.md) — as much as the sequencer's work for a batch of 15
orders. This middleware sits inside FastAPI's error middleware and answers exactly those two paths itself: it reads
the body (refusing one larger than ``max_body`` with 413), authenticates the L2 headers (`clob.service.access`),
calls the order desk (`clob.service.desk.OrderDesk`) and renders its placements exactly as the routes do, so the
answers, the auth rules and the ``{"error": ...}`` refusals (`clob.api.errors`) are the routes' own. Every other
request, and every other method on those paths, goes on to the app. The routes stay registered: they document the
paths in the OpenAPI schema and serve them wherever this middleware is not installed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clob.api.deps import signed_path_of
from clob.api.errors import error_response, status_of
from clob.api.render import placement_json, placements_json
from clob.api.responses import decode_json, order_bodies
from clob.auth import L2Credentials
from clob.service.access import Access
from clob.service.desk import OrderDesk
from clob.service.errors import ServiceError

log = logging.getLogger(__name__)

MAX_ORDER_BODY = 1 << 20
"""Bytes: 15 signed orders take about 11 KB."""


async def place_one(desk: OrderDesk, creds: L2Credentials, raw: bytes) -> Any:
    """POST /order once authenticated, as JSON-ready content (the route's answer)."""
    return placement_json(await desk.place_order(creds, decode_json(raw)))


async def place_many(desk: OrderDesk, creds: L2Credentials, raw: bytes) -> Any:
    """POST /orders once authenticated, as JSON-ready content (the route's answer)."""
    return placements_json(await desk.place_orders(creds, order_bodies(raw)))


Handler = Callable[[OrderDesk, L2Credentials, bytes], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {"/order": place_one, "/orders": place_many}


_JSON = (b"content-type", b"application/json")


class BodyTooLargeError(Exception):
    """The body went past ``max_body`` (answered 413 without reading the rest)."""


class DisconnectedError(Exception):
    """The client left before its body arrived (nothing to answer)."""


class OrderPath:
    """ASGI middleware: POST /order and /orders straight to the order desk (module docstring)."""

    def __init__(self, app: ASGIApp, access: Access, desk: OrderDesk, max_body: int = MAX_ORDER_BODY) -> None:
        self.app = app
        self.access = access
        self.desk = desk
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = HANDLERS.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._body(receive)
            creds = self.access.authenticate_l2(Headers(scope=scope), "POST", signed_path_of(scope), body)
            content = orjson.dumps(await handler(self.desk, creds, body))
        except ServiceError as exc:
            response = error_response(status_of(exc.code), exc.message, exc.code.value)
        except BodyTooLargeError:
            response = error_response(413, f"Request body too large: at most {self.max_body} bytes")
        except DisconnectedError:
            return
        else:  # the JSON response, written directly (what `clob.api.responses.JSON` would send)
            length = str(len(content)).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", length), _JSON]})
            await send({"type": "http.response.body", "body": content})
            return
        await response(scope, receive, send)

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                raise DisconnectedError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyTooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
