"""``GET /audit/settlements``: every operator transaction with the journal head hash of the trades it settles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from clob.api.deps import Service
from clob.api.pagination import decode_cursor, end_page, page_json
from clob.api.responses import JSON
from clob.service.audit import settlement_batches

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/settlements", summary="Settlement batches with the journal head hash that produced them")
def list_settlements(
    service: Service,
    next_cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    offset = decode_cursor(next_cursor)
    if offset is None:
        return JSON(end_page(limit))
    page = settlement_batches(service.db, offset, limit)
    items = [
        {
            "batch_id": b.batch_id,
            "transaction_hash": b.transaction_hash,
            "status": b.status,
            "block_number": b.block_number,
            "trade_ids": list(b.trade_ids),
            "journal_seq": b.journal_seq,
            "journal_hash": b.journal_hash,
        }
        for b in page.items
    ]
    return JSON(page_json(page, items))
