"""HTTP mapping of the service's coded errors, and the exception handlers that keep every error in Polymarket's
``{"error": "<message>"}`` shape.

Any bad input is a 4xx: request validation errors become 400, unknown paths 404, wrong methods 405. Only a bug or
an unavailable sequencer gives a 5xx. The error's stable code travels in the ``X-Error-Code`` header (the body stays
Polymarket's single ``error`` field).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from clob.api.responses import JSON
from clob.service.errors import ErrorCode, ServiceError

log = logging.getLogger(__name__)

ERROR_CODE_HEADER = "X-Error-Code"

STATUS: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INVALID_L1_HEADERS: 401,
    ErrorCode.ADMIN_UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNAVAILABLE: 503,
}
"""Status per code; every code not listed is a 400."""


def status_of(code: ErrorCode) -> int:
    return STATUS.get(code, 400)


def error_response(status: int, message: str, code: str | None = None) -> Response:
    headers = {ERROR_CODE_HEADER: code} if code else None
    return JSON({"error": message}, status_code=status, headers=headers)


async def _service_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(status_of(exc.code), exc.message, exc.code.value)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return error_response(400, "Invalid payload: " + "; ".join(parts), ErrorCode.INVALID_PAYLOAD.value)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, str(exc.detail), None)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal error", None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
