"""The JSON response class (orjson) and request-body decoding shared by the routers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.responses import JSONResponse

from clob.service.errors import ErrorCode, ServiceError


class JSON(JSONResponse):
    """JSON rendered by orjson (several times faster than the standard library on our payloads)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The request body decoded as JSON; ``INVALID_PAYLOAD`` if it is not. An empty body is None."""
    return decode_json(await request.body(), required=required)


def decode_json(raw: bytes, *, required: bool = True) -> Any:
    """`json_body` of raw bytes."""
    if not raw.strip():
        if required:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: a JSON body is required")
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: the body is not valid JSON") from None


def order_bodies(raw: bytes) -> list[Any]:
    """The body of POST /orders: a JSON array of signed orders (each checked by the order desk)."""
    body = decode_json(raw)
    if not isinstance(body, list):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: expected a JSON array of orders")
    return body
