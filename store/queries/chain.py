"""Read queries over the indexed chain (the ``chain_*`` tables ``indexer`` writes), for every reader outside the
indexer: the ``/chain`` API (``reconcile.api``), the reconciler, the operator console and the market wiring.

Plain functions taking a ``Database`` or an ``Engine``; results are frozen dataclasses with integers (uint256 values
come back as ``int``). Lists are newest first and paginate with ``before=(block_number, log_index)`` of the last
item seen. ``confirmed_only=True`` drops rows above the cursor's ``confirmed_block`` (head − confirmations at the
indexer's last step); every row also says whether it is ``confirmed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, Row, Select, and_, or_, select

from store import Database
from store.schema.indexer import (
    chain_cancellations,
    chain_conditions,
    chain_cursor,
    chain_fills,
    chain_matches,
    chain_positions,
    chain_token_registrations,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Fill:
    """One OrderFilled event. Asset id 0 is collateral; amounts in base units."""

    block_number: int
    log_index: int
    tx_hash: str
    exchange: str
    order_hash: str
    maker: str
    taker: str
    maker_asset_id: int
    taker_asset_id: int
    maker_amount_filled: int
    taker_amount_filled: int
    fee: int
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Match:
    """One OrdersMatched event (the taker order's side of a ``matchOrders``)."""

    block_number: int
    log_index: int
    tx_hash: str
    exchange: str
    taker_order_hash: str
    taker_order_maker: str
    maker_asset_id: int
    taker_asset_id: int
    maker_amount_filled: int
    taker_amount_filled: int
    confirmed: bool


@dataclass(frozen=True, slots=True)
class OrderChainState:
    """What the chain says about one order hash: its fills, totals and whether it was cancelled."""

    order_hash: str
    fills: tuple[Fill, ...]
    making_filled: int
    taking_filled: int
    fees: int
    cancelled: bool
    cancelled_tx: str | None


@dataclass(frozen=True, slots=True)
class Position:
    """An ERC1155 balance, with the market it belongs to when the token is registered on the exchange."""

    address: str
    token_id: int
    balance: int
    condition_id: str | None


@dataclass(frozen=True, slots=True)
class Resolution:
    """A condition's state on chain: prepared, and if resolved, the payout vector."""

    condition_id: str
    prepared: bool
    resolved: bool
    oracle: str | None
    question_id: str | None
    outcome_slot_count: int | None
    payout_numerators: tuple[int, ...] | None
    payout_denominator: int | None
    resolved_block: int | None
    resolved_tx: str | None


@dataclass(frozen=True, slots=True)
class IndexerStatus:
    name: str
    chain_id: int
    last_indexed_block: int
    confirmed_block: int
    head_block: int
    lag_blocks: int
    updated_at_ms: int


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def _confirmed_block(engine: Engine, name: str = "main") -> int:
    with engine.connect() as conn:
        row = conn.execute(select(chain_cursor.c.confirmed_block).where(chain_cursor.c.name == name)).first()
    return int(row[0]) if row is not None else -1


def _page(q: Select[Any], table: Any, limit: int, before: tuple[int, int] | None, confirmed: int | None) -> Select[Any]:
    if before is not None:
        b, i = before
        q = q.where(or_(table.c.block_number < b, and_(table.c.block_number == b, table.c.log_index < i)))
    if confirmed is not None:
        q = q.where(table.c.block_number <= confirmed)
    return q.order_by(table.c.block_number.desc(), table.c.log_index.desc()).limit(max(1, min(limit, MAX_LIMIT)))


FillValues = tuple[int, int, str, str, str, str, str, int, int, int, int, int]


def fill_values(r: Row[Any]) -> FillValues:
    """A ``chain_fills`` row as the ``OrderFilled`` fields, typed: position (block, log index, transaction),
    exchange, order hash, maker, taker, maker and taker asset ids, amounts filled, fee (``Fill`` without
    ``confirmed``; the reconciler's ``ChainFill``)."""
    return (
        r.block_number,
        r.log_index,
        r.tx_hash,
        r.exchange,
        r.order_hash,
        r.maker,
        r.taker,
        int(r.maker_asset_id),
        int(r.taker_asset_id),
        int(r.maker_amount_filled),
        int(r.taker_amount_filled),
        int(r.fee),
    )


def _fill(r: Row[Any], confirmed: int) -> Fill:
    return Fill(*fill_values(r), r.block_number <= confirmed)


def _fills(
    db: Database | Engine,
    where: ColumnElement[bool],
    limit: int,
    before: tuple[int, int] | None,
    confirmed_only: bool,
    cursor: str,
) -> list[Fill]:
    engine = _engine(db)
    confirmed = _confirmed_block(engine, cursor)
    q = _page(select(chain_fills).where(where), chain_fills, limit, before, confirmed if confirmed_only else None)
    with engine.connect() as conn:
        return [_fill(r, confirmed) for r in conn.execute(q)]


def fills_by_tx(db: Database | Engine, tx_hash: str, *, cursor: str = "main") -> list[Fill]:
    """Every fill of one transaction, in log order."""
    out = _fills(db, chain_fills.c.tx_hash == tx_hash.lower(), MAX_LIMIT, None, False, cursor)
    return out[::-1]


def fills_by_order(db: Database | Engine, order_hash: str, *, cursor: str = "main") -> list[Fill]:
    """Every fill of one order hash, oldest first."""
    out = _fills(db, chain_fills.c.order_hash == order_hash.lower(), MAX_LIMIT, None, False, cursor)
    return out[::-1]


def fills_by_user(
    db: Database | Engine,
    address: str,
    *,
    limit: int = DEFAULT_LIMIT,
    before: tuple[int, int] | None = None,
    confirmed_only: bool = False,
    cursor: str = "main",
) -> list[Fill]:
    """Fills where ``address`` is the maker or the taker, newest first."""
    a = address.lower()
    where = or_(chain_fills.c.maker == a, chain_fills.c.taker == a)
    return _fills(db, where, limit, before, confirmed_only, cursor)


def market_token_ids(db: Database | Engine, condition_id: str) -> list[int]:
    """The outcome token ids registered on the exchange for a condition."""
    t = chain_token_registrations.c
    q = select(t.token0).where(t.condition_id == condition_id.lower()).distinct()
    with _engine(db).connect() as conn:
        return sorted(int(r[0]) for r in conn.execute(q))


def fills_by_market(
    db: Database | Engine,
    condition_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    before: tuple[int, int] | None = None,
    confirmed_only: bool = False,
    cursor: str = "main",
) -> list[Fill]:
    """Fills whose maker or taker asset is one of the market's registered tokens, newest first."""
    ids = [str(i) for i in market_token_ids(db, condition_id)]
    if not ids:
        return []
    where = or_(chain_fills.c.maker_asset_id.in_(ids), chain_fills.c.taker_asset_id.in_(ids))
    return _fills(db, where, limit, before, confirmed_only, cursor)


def matches_by_tx(db: Database | Engine, tx_hash: str, *, cursor: str = "main") -> list[Match]:
    """Every OrdersMatched event of one transaction, in log order."""
    engine = _engine(db)
    confirmed = _confirmed_block(engine, cursor)
    m = chain_matches.c
    q = select(chain_matches).where(m.tx_hash == tx_hash.lower()).order_by(m.block_number, m.log_index)
    with engine.connect() as conn:
        return [
            Match(
                r.block_number,
                r.log_index,
                r.tx_hash,
                r.exchange,
                r.taker_order_hash,
                r.taker_order_maker,
                int(r.maker_asset_id),
                int(r.taker_asset_id),
                int(r.maker_amount_filled),
                int(r.taker_amount_filled),
                r.block_number <= confirmed,
            )
            for r in conn.execute(q)
        ]


def order_state(db: Database | Engine, order_hash: str, *, cursor: str = "main") -> OrderChainState:
    """An order's fills, filled totals (maker and taker units), fees and cancellation, as the chain has them."""
    fills = fills_by_order(db, order_hash, cursor=cursor)
    c = chain_cancellations.c
    q = select(c.tx_hash).where(c.order_hash == order_hash.lower()).order_by(c.block_number, c.log_index).limit(1)
    with _engine(db).connect() as conn:
        cancel = conn.execute(q).first()
    return OrderChainState(
        order_hash.lower(),
        tuple(fills),
        sum(f.maker_amount_filled for f in fills),
        sum(f.taker_amount_filled for f in fills),
        sum(f.fee for f in fills),
        cancel is not None,
        cancel[0] if cancel is not None else None,
    )


def positions_by_user(db: Database | Engine, address: str) -> list[Position]:
    """Non-zero ERC1155 balances of ``address`` (including unconfirmed blocks), by token id."""
    p, t = chain_positions.c, chain_token_registrations.c
    a = address.lower()
    q = select(chain_positions).where(p.address == a).order_by(p.token_id)
    with _engine(db).connect() as conn:
        rows = list(conn.execute(q))
        tokens = [r.token_id for r in rows]
        markets: dict[str, str] = {}
        if tokens:
            mq = select(t.token0, t.condition_id).where(t.token0.in_(tokens))
            markets = {str(tok): str(cond) for tok, cond in conn.execute(mq)}
    out = [Position(r.address, int(r.token_id), int(r.balance), markets.get(r.token_id)) for r in rows]
    return sorted(out, key=lambda x: x.token_id)


def resolution_status(db: Database | Engine, condition_id: str) -> Resolution:
    """Whether a condition was prepared and resolved, with its payout numerators and denominator."""
    c = chain_conditions.c
    q = select(chain_conditions).where(c.condition_id == condition_id.lower()).order_by(c.block_number, c.log_index)
    with _engine(db).connect() as conn:
        rows = list(conn.execute(q))
    prepared = next((r for r in rows if r.kind == "prepared"), None)
    resolved = next((r for r in rows if r.kind == "resolved"), None)
    first = prepared or resolved
    payouts: tuple[int, ...] | None = None
    if resolved is not None and resolved.payout_numerators is not None:
        payouts = tuple(int(v) for v in orjson.loads(resolved.payout_numerators))
    return Resolution(
        condition_id.lower(),
        prepared is not None,
        resolved is not None,
        first.oracle if first is not None else None,
        first.question_id if first is not None else None,
        first.outcome_slot_count if first is not None else None,
        payouts,
        sum(payouts) if payouts is not None else None,
        resolved.block_number if resolved is not None else None,
        resolved.tx_hash if resolved is not None else None,
    )


def indexer_status(db: Database | Engine, name: str = "main", chain_head: int | None = None) -> IndexerStatus | None:
    """Last indexed block, confirmed block and lag (``chain_head`` if given, else the head seen at the last step,
    minus the last indexed block). ``None`` before the indexer's first step."""
    with _engine(db).connect() as conn:
        r = conn.execute(select(chain_cursor).where(chain_cursor.c.name == name)).first()
    if r is None:
        return None
    head = r.head_block if chain_head is None else chain_head
    return IndexerStatus(
        r.name, r.chain_id, r.last_block, r.confirmed_block, head, max(0, head - r.last_block), r.updated_at_ms
    )


def last_indexed_block(db: Database | Engine, name: str = "main") -> int | None:
    status = indexer_status(db, name)
    return status.last_indexed_block if status is not None else None


__all__: Sequence[str] = (
    "Fill",
    "IndexerStatus",
    "Match",
    "OrderChainState",
    "Position",
    "Resolution",
    "fills_by_market",
    "fills_by_order",
    "fills_by_tx",
    "fills_by_user",
    "indexer_status",
    "last_indexed_block",
    "market_token_ids",
    "matches_by_tx",
    "order_state",
    "positions_by_user",
    "resolution_status",
)
