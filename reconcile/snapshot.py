"""The rules' input: one ``Snapshot`` of the book and the indexed chain, and the traders' holdings.

Read order, book first (trades with their settlement attempts and mined block, LIVE orders), then the chain
(cursor, fills, matches, cancellations, nonces, and the orders those name), then the holdings of every trader with
LIVE orders. Book first matters: a fill is only *confirmed* several blocks after its transaction was sent, and the
batcher records every attempt hash before sending, so a confirmed fill of ours always finds its claim. The rows
come from ``store.queries.reconcile`` (on PostgreSQL in one REPEATABLE READ transaction).

Holdings come from a ``HoldingsSource``: ``IndexedHoldings`` (collateral transfers and ``chain_positions``: right
when the indexer follows the collateral from its deployment, as locally) or ``ViewHoldings`` over the service's
``CachedChainView`` (balance and allowance from the node: right on Polygon; a pair that looks short in the cache
is re-read before it counts).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, Engine

from reconcile.rules import (
    LIVE,
    BookOrder,
    BookTrade,
    ChainCancel,
    ChainFill,
    ChainMatch,
    ChainNonce,
    MakerLeg,
    Snapshot,
    reservations,
)
from store.db import Database
from store.queries import reconcile as q

log = logging.getLogger(__name__)


class ReconcileError(Exception):
    """Reconciliation cannot run (e.g. the indexer has not run yet)."""


# --- holdings ----------------------------------------------------------------------------------------------------


class HoldingsSource(Protocol):
    """What traders hold on chain, for the balance rule."""

    name: str

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Holdings of each (address, asset id) the book reserves (asset 0 = collateral); ``reserved`` says how
        much, so a source may re-read the pairs that look short."""
        ...


class IndexedHoldings:
    """Holdings from the index: collateral = transfers in − out, tokens = ``chain_positions`` (unconfirmed blocks
    included: what settlement would find now). Balances only: allowances are not indexed."""

    name = "index"

    def __init__(self, db: Database | Engine) -> None:
        self._engine = q.engine_of(db)

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        held = q.indexed_holdings(self._engine, sorted({owner for owner, _ in reserved}))
        return {key: held.get(key, 0) for key in reserved}


class _Holding(Protocol):
    @property
    def spendable(self) -> int: ...


class HoldingView(Protocol):
    """The service's ``CachedChainView`` (balance and allowance to the exchange, from the node)."""

    def holding(self, address: str, asset_id: int, refresh: bool = False) -> _Holding: ...


class ViewHoldings:
    """Holdings from a chain view: min(balance, allowance). Cached values first; a pair that looks short of what
    is reserved is re-read from the node before it counts (a stale cache must not cancel good orders)."""

    name = "chain"

    def __init__(self, view: HoldingView) -> None:
        self._view = view

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        out = {}
        for (owner, asset), amount in sorted(reserved.items()):
            held = int(self._view.holding(owner, asset).spendable)
            if held < amount:
                held = int(self._view.holding(owner, asset, True).spendable)
            out[(owner, asset)] = held
        return out


# --- the snapshot ------------------------------------------------------------------------------------------------


def _book_trades(conn: Connection) -> list[BookTrade]:
    attempts = q.settle_attempts(conn)
    blocks = q.mined_blocks(conn)
    out = []
    for r in q.trade_rows(conn):
        p = orjson.loads(r.payload)
        tx = (r.transaction_hash or "").lower()
        out.append(
            BookTrade(
                trade_id=r.trade_id,
                seq=int(r.journal_seq),
                status=r.status,
                tx_hash=tx,
                attempt_txs=frozenset(h.lower() for h in attempts.get(r.trade_id, ())),
                block_number=blocks.get(tx) if tx else None,
                taker_order_id=str(p["taker_order_id"]).lower(),
                taker=str(p["taker"]).lower(),
                side=str(p["side"]),
                token_id=int(p["token_id"]),
                taker_fill=int(p["taker_fill"]),
                taker_taking=int(p["taker_taking"]),
                taker_fee=int(p["taker_fee"]),
                makers=tuple(
                    MakerLeg(
                        str(m["order_id"]).lower(),
                        str(m["maker"]).lower(),
                        str(m["side"]),
                        int(m["token_id"]),
                        int(m["making"]),
                        int(m["taking"]),
                        int(m["fee"]),
                    )
                    for m in p["makers"]
                ),
            )
        )
    return out


def _book_order(r: Any) -> BookOrder | None:
    try:
        signed = orjson.loads(r.signed_order)
        maker_amount, nonce = int(signed["makerAmount"]), int(signed.get("nonce", 0))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("order %s: no usable signed order, not reconciled", r.order_id)
        return None
    return BookOrder(
        r.order_id.lower(), r.maker.lower(), r.side, int(r.asset_id), maker_amount, nonce, r.status, r.journal_seq
    )


def _orders(rows: Any) -> list[BookOrder]:
    return [o for r in rows if (o := _book_order(r)) is not None]


def load_snapshot(
    db: Database | Engine, holdings: HoldingsSource | None = None, cursor: str = "main"
) -> tuple[Snapshot, dict[str, int]]:
    """The rules' input from the database (see the module docstring for the read order), and counts of what it
    holds. Raises ``ReconcileError`` before the indexer's first step."""
    with q.reading(db) as conn:
        book_trades = _book_trades(conn)
        live = _orders(q.orders_with_status(conn, LIVE))
        confirmed = q.confirmed_block(conn, cursor)
        if confirmed is None:
            raise ReconcileError(f"the indexer {cursor!r} has not run yet: nothing to reconcile against")
        fills = [ChainFill(*values) for values in q.confirmed_fills(conn, confirmed)]
        matches = [ChainMatch(*values) for values in q.confirmed_matches(conn, confirmed)]
        cancels = [ChainCancel(*values) for values in q.confirmed_cancellations(conn, confirmed)]
        nonces = [ChainNonce(*values) for values in q.confirmed_nonce_bumps(conn, confirmed)]
        known = {o.order_id for o in live}
        named = sorted(({x.order_hash for x in fills} | {x.order_hash for x in cancels}) - known)
        others = _orders(q.orders_by_id(conn, named))
    snapshot = Snapshot(
        confirmed,
        tuple(book_trades),
        tuple(live) + tuple(o for o in others if o.order_id not in known),
        tuple(fills),
        tuple(matches),
        tuple(cancels),
        tuple(nonces),
    )
    reserved = {key: sum(r for _, r in rows) for key, rows in reservations(snapshot).items()}
    if holdings is not None:
        snapshot = replace(snapshot, holdings=holdings.holdings(reserved), holdings_source=holdings.name)
    stats = {
        "trades": len(book_trades),
        "orders": len(snapshot.orders),
        "fills": len(fills),
        "matches": len(matches),
        "cancellations": len(cancels),
        "owners": len({owner for owner, _ in reserved}) if holdings is not None else 0,
    }
    return snapshot, stats
