"""Liveness, server time and protocol version (GET /, /time, /version)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import ReadsPart
from clob.api.responses import JSON

router = APIRouter(tags=["health"])


@router.get("/", summary='Liveness: "OK"')
def ok() -> Response:
    return JSON("OK")


@router.get("/time", summary="Server time, unix seconds (a bare integer)")
def server_time(reads: ReadsPart) -> Response:
    return JSON(reads.now())


@router.get("/version", summary="Order protocol version: 1 (V2 clients then sign V1 orders)")
def version() -> Response:
    return JSON({"version": 1})
