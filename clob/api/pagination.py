"""Polymarket's cursors: base64 of a decimal offset. ``MA==`` ("0") is the first page, ``LTE=`` ("-1") the end."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from clob.service.errors import ErrorCode, ServiceError
from clob.service.queries import Page

FIRST = "MA=="
END = "LTE="


def encode_cursor(offset: int | None) -> str:
    return END if offset is None else base64.b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """The offset of a cursor; None for the end cursor. Raises ``INVALID_CURSOR``."""
    if not cursor:
        return 0
    if cursor == END:
        return None
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not (0 < len(text) <= 12 and text.isdigit()):
        raise ServiceError(ErrorCode.INVALID_CURSOR, "invalid next_cursor")
    return int(text)


def page_json(page: Page[Any], items: list[Any]) -> dict[str, Any]:
    return {"limit": page.limit, "count": len(items), "next_cursor": encode_cursor(page.next_offset), "data": items}


def end_page(limit: int) -> dict[str, Any]:
    return {"limit": limit, "count": 0, "next_cursor": END, "data": []}
