"""Read API over the indexed chain next to the book, for explorers and reconciliation dashboards: ``router`` (FastAPI,
``/chain``). It reads the chain through ``store.queries.chain``, the book's trades a transaction settles through
``store.queries.reconcile`` and the stored reconciliation results through ``store.queries.reconciliation``.

| path | answer |
|---|---|
| ``GET /chain/trades/tx/{tx_hash}`` | the transaction's fills and ``OrdersMatched``, and the book's trades it settles |
| ``GET /chain/trades/user/{address}`` | fills where the address is maker or taker, newest first (paged) |
| ``GET /chain/trades/market/{condition_id}`` | fills of the market's registered tokens, newest first (paged) |
| ``GET /chain/orders/{order_hash}`` | an order's fills, filled totals, fees and cancellation |
| ``GET /chain/positions/{address}`` | non-zero ERC1155 balances, with their market |
| ``GET /chain/markets/{condition_id}/resolution`` | prepared / resolved, payout numerators and denominator |
| ``GET /chain/status`` | last indexed and confirmed block, head, lag; the last reconciliation run |
| ``GET /chain/discrepancies`` | stored reconciliation discrepancies (``status=open|resolved|all``, ``kind``, paged) |

Conventions: success is 200 with a JSON body; an error is ``{"error": "<message>"}`` (400 for bad input, 404 when
there is nothing to show), rendered here so the router behaves the same in any app. Addresses and hashes are
lower-case ``0x`` hex; uint256 values (token ids, amounts) are decimal strings. Paged lists answer
``{"data": [...], "next_before": "block:log_index" | null}``; pass ``before=<next_before>`` for the next page;
``confirmed_only=true`` drops rows above the indexer's confirmed block.

The database is ``app.state.indexer_db`` if set, else the exchange service's (``app.state.service.db``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from reconcile.rules import Kind
from store.db import Database
from store.queries import chain as queries
from store.queries.reconcile import book_trades_by_tx
from store.queries.reconciliation import last_run, list_discrepancies

router = APIRouter(prefix="/chain", tags=["chain"])

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
_BEFORE = re.compile(r"^(\d{1,18}):(\d{1,9})$")  # fits BIGINT and INTEGER
DEFAULT_LIMIT = 100


class _RequestError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(message: str, status: int) -> Response:
    return _JSON({"error": message}, status_code=status)


def get_db(request: Request) -> Database:
    db = getattr(request.app.state, "indexer_db", None)
    if db is None:
        db = request.app.state.service.db
    assert isinstance(db, Database)
    return db


Db = Annotated[Database, Depends(get_db)]


# --- parsing -----------------------------------------------------------------------------------------------------


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise _RequestError(f"invalid address {value!r}: expected 0x and 40 hex digits")
    return value.lower()


def _hash(value: str, what: str) -> str:
    if not _HASH.match(value):
        raise _RequestError(f"invalid {what} {value!r}: expected 0x and 64 hex digits")
    return value.lower()


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= queries.MAX_LIMIT):
        raise _RequestError(f"limit must be an integer from 1 to {queries.MAX_LIMIT}")
    return int(value)


def _offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise _RequestError("offset must be a non-negative integer")
    return int(value)


def _before(value: str | None) -> tuple[int, int] | None:
    if value is None or value == "":
        return None
    m = _BEFORE.match(value)
    if m is None:
        raise _RequestError("before must be block:log_index (the next_before of the previous page)")
    return int(m.group(1)), int(m.group(2))


def _flag(name: str, value: str | None) -> bool:
    if value is None or value == "" or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise _RequestError(f"{name} must be true or false")


# --- rendering ---------------------------------------------------------------------------------------------------


def _fill(f: queries.Fill) -> dict[str, Any]:
    return {
        "block_number": f.block_number,
        "log_index": f.log_index,
        "tx_hash": f.tx_hash,
        "exchange": f.exchange,
        "order_hash": f.order_hash,
        "maker": f.maker,
        "taker": f.taker,
        "maker_asset_id": str(f.maker_asset_id),
        "taker_asset_id": str(f.taker_asset_id),
        "maker_amount_filled": str(f.maker_amount_filled),
        "taker_amount_filled": str(f.taker_amount_filled),
        "fee": str(f.fee),
        "confirmed": f.confirmed,
    }


def _match(m: queries.Match) -> dict[str, Any]:
    return {
        "block_number": m.block_number,
        "log_index": m.log_index,
        "tx_hash": m.tx_hash,
        "taker_order_hash": m.taker_order_hash,
        "taker_order_maker": m.taker_order_maker,
        "maker_asset_id": str(m.maker_asset_id),
        "taker_asset_id": str(m.taker_asset_id),
        "maker_amount_filled": str(m.maker_amount_filled),
        "taker_amount_filled": str(m.taker_amount_filled),
        "confirmed": m.confirmed,
    }


def _page(fills: list[queries.Fill], limit: int) -> dict[str, Any]:
    last = fills[-1] if len(fills) == limit else None
    return {
        "data": [_fill(f) for f in fills],
        "next_before": f"{last.block_number}:{last.log_index}" if last is not None else None,
    }


def _answer(build: Any) -> Response:
    """Run ``build()`` and render it, or the ``{"error"}`` of a bad request."""
    try:
        return _JSON(build())
    except _RequestError as exc:
        return _error(str(exc), exc.status)


# --- routes ------------------------------------------------------------------------------------------------------


@router.get("/trades/tx/{tx_hash}", summary="A transaction's fills and matches, and the book trades it settles")
def trades_by_tx(tx_hash: str, db: Db) -> Response:
    def build() -> dict[str, Any]:
        h = _hash(tx_hash, "transaction hash")
        return {
            "tx_hash": h,
            "fills": [_fill(f) for f in queries.fills_by_tx(db, h)],
            "matches": [_match(m) for m in queries.matches_by_tx(db, h)],
            "trades": [asdict(t) for t in book_trades_by_tx(db, h)],
        }

    return _answer(build)


def _fills_page(
    db: Database,
    fetch: Callable[..., list[queries.Fill]],
    subject: Callable[[], str],
    limit: str | None,
    before: str | None,
    confirmed_only: str | None,
) -> Response:
    """A page of ``fetch(db, subject(), ...)`` fills, newest first; the parameters are checked in this order."""

    def build() -> dict[str, Any]:
        n = _limit(limit)
        fills = fetch(
            db, subject(), limit=n, before=_before(before), confirmed_only=_flag("confirmed_only", confirmed_only)
        )
        return _page(fills, n)

    return _answer(build)


@router.get("/trades/user/{address}", summary="Fills where the address is maker or taker, newest first")
def trades_by_user(
    address: str,
    db: Db,
    limit: str | None = None,
    before: str | None = None,
    confirmed_only: str | None = None,
) -> Response:
    return _fills_page(db, queries.fills_by_user, lambda: _address(address), limit, before, confirmed_only)


@router.get("/trades/market/{condition_id}", summary="Fills of the market's tokens, newest first")
def trades_by_market(
    condition_id: str,
    db: Db,
    limit: str | None = None,
    before: str | None = None,
    confirmed_only: str | None = None,
) -> Response:
    return _fills_page(
        db, queries.fills_by_market, lambda: _hash(condition_id, "condition id"), limit, before, confirmed_only
    )


@router.get("/orders/{order_hash}", summary="An order's fills, totals and cancellation on chain")
def order_state(order_hash: str, db: Db) -> Response:
    def build() -> dict[str, Any]:
        s = queries.order_state(db, _hash(order_hash, "order hash"))
        return {
            "order_hash": s.order_hash,
            "fills": [_fill(f) for f in s.fills],
            "making_filled": str(s.making_filled),
            "taking_filled": str(s.taking_filled),
            "fees": str(s.fees),
            "cancelled": s.cancelled,
            "cancelled_tx": s.cancelled_tx,
        }

    return _answer(build)


@router.get("/positions/{address}", summary="Non-zero outcome token balances of an address")
def positions(address: str, db: Db) -> Response:
    def build() -> dict[str, Any]:
        a = _address(address)
        return {
            "address": a,
            "positions": [
                {"token_id": str(p.token_id), "balance": str(p.balance), "condition_id": p.condition_id}
                for p in queries.positions_by_user(db, a)
            ],
        }

    return _answer(build)


@router.get("/markets/{condition_id}/resolution", summary="A market's preparation and resolution on chain")
def resolution(condition_id: str, db: Db) -> Response:
    def build() -> dict[str, Any]:
        r = queries.resolution_status(db, _hash(condition_id, "condition id"))
        if not r.prepared and not r.resolved:
            raise _RequestError("condition not found on chain", 404)
        return {
            "condition_id": r.condition_id,
            "prepared": r.prepared,
            "resolved": r.resolved,
            "oracle": r.oracle,
            "question_id": r.question_id,
            "outcome_slot_count": r.outcome_slot_count,
            "payout_numerators": None if r.payout_numerators is None else [str(v) for v in r.payout_numerators],
            "payout_denominator": None if r.payout_denominator is None else str(r.payout_denominator),
            "resolved_block": r.resolved_block,
            "resolved_tx": r.resolved_tx,
        }

    return _answer(build)


@router.get("/status", summary="Indexer progress and lag; the last reconciliation run")
def indexer_progress(db: Db, name: str = "main") -> Response:
    def build() -> dict[str, Any]:
        s = queries.indexer_status(db, name)
        if s is None:
            raise _RequestError(f"indexer {name!r} has not run yet", 404)
        run = last_run(db)
        return asdict(s) | {"reconciliation": asdict(run) if run is not None else None}

    return _answer(build)


@router.get("/discrepancies", summary="Reconciliation discrepancies, most recently seen first")
def discrepancies(
    db: Db,
    status: str | None = None,
    kind: str | None = None,
    subject: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> Response:
    def build() -> dict[str, Any]:
        states = {"open": False, "resolved": True, "all": None, "": False, None: False}
        if status not in states:
            raise _RequestError("status must be open, resolved or all")
        if kind and kind not in Kind.__members__:
            raise _RequestError(f"unknown kind {kind!r}; one of {', '.join(Kind.__members__)}")
        n, skip = _limit(limit), _offset(offset)
        rows = list_discrepancies(
            db, resolved=states[status], kind=kind or None, subject=subject or None, limit=n, offset=skip
        )
        return {"data": [r.to_json() for r in rows], "next_offset": skip + n if len(rows) == n else None}

    return _answer(build)


__all__ = ["get_db", "router"]
