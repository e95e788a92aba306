"""The reconciler's reads: the book (trades with the batcher's settlement attempts, orders), the indexed chain
(confirmed fills, matches, cancellations, nonce bumps, holdings) and, for explorers, the book's trades a
transaction settles. ``reconcile.snapshot`` turns these rows into the rules' frozen input.

``reading`` gives one connection for a whole snapshot: on PostgreSQL one REPEATABLE READ transaction, so the book
and the chain are read at one point in time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, or_, select

from store.db import Database
from store.queries.chain import FillValues, fill_values
from store.schema.book import orders, trades
from store.schema.indexer import (
    chain_cancellations,
    chain_collateral_transfers,
    chain_cursor,
    chain_fills,
    chain_logs,
    chain_matches,
    chain_positions,
)
from store.schema.settlement import settlement_attempts, settlement_tx_trades, settlement_txs

CHUNK = 500
"""Keys per ``IN (...)`` list."""


def engine_of(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


@contextmanager
def reading(db: Database | Engine) -> Iterator[Connection]:
    """One connection for the whole snapshot; on PostgreSQL one REPEATABLE READ transaction."""
    with engine_of(db).connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


# --- the book ----------------------------------------------------------------------------------------------------


def settle_attempts(conn: Connection) -> dict[str, set[str]]:
    """Trade id → the hashes of every ``settle`` attempt the batcher signed for it."""
    out: dict[str, set[str]] = defaultdict(set)
    q = (
        select(settlement_tx_trades.c.trade_id, settlement_attempts.c.tx_hash)
        .join(settlement_attempts, settlement_attempts.c.tx_id == settlement_tx_trades.c.tx_id)
        .where(settlement_attempts.c.kind == "settle")
    )
    for trade_id, tx_hash in conn.execute(q):
        out[trade_id].add(tx_hash)
    return out


def mined_blocks(conn: Connection) -> dict[str, int]:
    """Settlement transaction hash → the block the batcher saw it mined in."""
    q = select(settlement_txs.c.tx_hash, settlement_txs.c.block_number).where(
        settlement_txs.c.block_number.is_not(None)
    )
    return {str(h): int(b) for h, b in conn.execute(q)}


def trade_rows(conn: Connection) -> Sequence[Any]:
    """Every book trade: ``trade_id``, ``status``, ``transaction_hash``, ``journal_seq``, ``payload`` (JSON)."""
    t = trades.c
    return conn.execute(select(t.trade_id, t.status, t.transaction_hash, t.journal_seq, t.payload)).all()


_ORDER_COLUMNS = (
    orders.c.order_id,
    orders.c.maker,
    orders.c.side,
    orders.c.asset_id,
    orders.c.status,
    orders.c.journal_seq,
    orders.c.signed_order,
)


def orders_with_status(conn: Connection, status: str) -> Sequence[Any]:
    """Book orders in ``status``: ``order_id``, ``maker``, ``side``, ``asset_id``, ``status``, ``journal_seq``,
    ``signed_order`` (JSON)."""
    return conn.execute(select(*_ORDER_COLUMNS).where(orders.c.status == status)).all()


def orders_by_id(conn: Connection, order_ids: Sequence[str]) -> list[Any]:
    """Book orders by id, the columns of ``orders_with_status``."""
    out: list[Any] = []
    for part in chunks(order_ids):
        out += conn.execute(select(*_ORDER_COLUMNS).where(orders.c.order_id.in_(part))).all()
    return out


# --- the indexed chain -------------------------------------------------------------------------------------------


def confirmed_block(conn: Connection, cursor: str) -> int | None:
    """The indexer ``cursor``'s confirmed block; None before its first step."""
    row = conn.execute(select(chain_cursor.c.confirmed_block).where(chain_cursor.c.name == cursor)).first()
    return None if row is None else int(row[0])


def confirmed_fills(conn: Connection, confirmed: int) -> list[FillValues]:
    """``OrderFilled`` events at or below block ``confirmed``, as ``chain.fill_values``."""
    q = select(chain_fills).where(chain_fills.c.block_number <= confirmed)
    return [fill_values(r) for r in conn.execute(q)]


MatchValues = tuple[int, int, str, str, str, int, int, int, int]


def confirmed_matches(conn: Connection, confirmed: int) -> list[MatchValues]:
    """``OrdersMatched`` events at or below block ``confirmed``: position (block, log index, transaction), taker
    order hash and maker, maker and taker asset ids, amounts filled."""
    q = select(chain_matches).where(chain_matches.c.block_number <= confirmed)
    return [
        (
            r.block_number,
            r.log_index,
            r.tx_hash,
            r.taker_order_hash,
            r.taker_order_maker,
            int(r.maker_asset_id),
            int(r.taker_asset_id),
            int(r.maker_amount_filled),
            int(r.taker_amount_filled),
        )
        for r in conn.execute(q)
    ]


def confirmed_cancellations(conn: Connection, confirmed: int) -> list[tuple[int, int, str, str]]:
    """``OrderCancelled`` events at or below block ``confirmed``: block, log index, transaction, order hash."""
    c = chain_cancellations.c
    q = select(c.block_number, c.log_index, c.tx_hash, c.order_hash).where(c.block_number <= confirmed)
    return [(int(b), int(i), str(tx), str(h)) for b, i, tx, h in conn.execute(q)]


def confirmed_nonce_bumps(conn: Connection, confirmed: int) -> list[tuple[int, int, str, int]]:
    """``NonceIncremented`` events at or below block ``confirmed``: block, log index, lower-case maker, new nonce."""
    q = select(chain_logs.c.block_number, chain_logs.c.log_index, chain_logs.c.args).where(
        and_(chain_logs.c.event == "NonceIncremented", chain_logs.c.block_number <= confirmed)
    )
    out = []
    for r in conn.execute(q):
        args = orjson.loads(r.args)
        out.append((int(r.block_number), int(r.log_index), str(args["maker"]).lower(), int(args["newNonce"])))
    return out


def indexed_holdings(db: Database | Engine, owners: Sequence[str]) -> dict[tuple[str, int], int]:
    """What the index says ``owners`` hold, unconfirmed blocks included: (address, 0) → collateral transfers in
    minus out, (address, token id) → ``chain_positions``. Pairs never seen are absent (zero)."""
    out: dict[tuple[str, int], int] = defaultdict(int)
    c, p = chain_collateral_transfers.c, chain_positions.c
    with engine_of(db).connect() as conn:
        for part in chunks(sorted(owners)):
            q = select(c.from_address, c.to_address, c.amount).where(
                or_(c.from_address.in_(part), c.to_address.in_(part))
            )
            for frm, to, amount in conn.execute(q):
                out[(to, 0)] += int(amount)
                out[(frm, 0)] -= int(amount)
            q2 = select(p.address, p.token_id, p.balance).where(p.address.in_(part))
            for address, token, balance in conn.execute(q2):
                out[(address, int(token))] = int(balance)
    return dict(out)


# --- for explorers -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookTradeRef:
    """A book trade that names a transaction (for explorers)."""

    trade_id: str
    status: str
    market: str
    asset_id: str
    side: str
    size: int
    price: str


def book_trades_by_tx(db: Database | Engine, tx_hash: str) -> list[BookTradeRef]:
    """The book's trades whose settlement transaction is ``tx_hash`` (through the batcher's attempts, indexed)."""
    t, stt, sa = trades.c, settlement_tx_trades.c, settlement_attempts.c
    h = tx_hash.lower()
    q = (
        select(t.trade_id, t.status, t.market, t.asset_id, t.side, t.size, t.price)
        .select_from(trades.join(settlement_tx_trades, stt.trade_id == t.trade_id))
        .join(settlement_attempts, sa.tx_id == stt.tx_id)
        .where(sa.tx_hash == h, t.transaction_hash == h)  # attempt hashes are unique: one row per trade
        .order_by(t.journal_seq)
    )
    with engine_of(db).connect() as conn:
        return [BookTradeRef(*r) for r in conn.execute(q)]
