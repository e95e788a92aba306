"""POST /v1/heartbeats (L2): keep the user's dead man's switch alive (see `clob.service.heartbeats`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from clob.api.deps import L2User, SwitchPart
from clob.api.responses import JSON, json_body
from clob.service.errors import ErrorCode, ServiceError

router = APIRouter(prefix="/v1", tags=["heartbeats"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"heartbeat_id": {"type": ["string", "null"]}}}
            }
        },
    }
}


@router.post("/heartbeats", summary="Send a heartbeat; null starts a session. 10 s without one cancels all orders",
             openapi_extra=_BODY)  # fmt: skip
async def post_heartbeat(request: Request, creds: L2User, switch: SwitchPart) -> Response:
    body = await json_body(request, required=False) or {}
    heartbeat_id = body.get("heartbeat_id") if isinstance(body, dict) else None
    if heartbeat_id is not None and not isinstance(heartbeat_id, str):
        raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid payload: heartbeat_id must be a string or null")
    return JSON({"heartbeat_id": await asyncio.to_thread(switch.heartbeat, creds, heartbeat_id)})
