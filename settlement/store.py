"""The batcher's durable state: the ``settlement_*`` tables and its columns of ``trades``, in SQLAlchemy Core.

Every method is one database transaction. The ones that move trades return the ``StatusChange``s they made
(only trades whose status really changed), so the caller can notify listeners *after* the commit.

Ownership rule: a trade belongs to the transaction whose id is in ``trades.settlement_batch``; every update of a
transaction's trades filters on it, so a late event about an old transaction can never touch a trade that was
released and re-batched since.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, insert, select, update

from orders import StoredTrade
from settlement.model import (
    OPEN_TX_STATUSES,
    Attempt,
    AttemptKind,
    PendingTrade,
    Receipt,
    StatusChange,
    StoredTx,
    TradeStatus,
    TxStatus,
)
from store.db import Database
from store.schema import orders, trades
from store.schema.settlement import settlement_attempts, settlement_tx_trades, settlement_txs

UNSETTLED = (TradeStatus.MATCHED.value, TradeStatus.RETRYING.value)


@dataclass(frozen=True, slots=True)
class TxUpdate:
    """One observed change of a transaction, applied with others in one database transaction (``apply``).

    ``mined``: a receipt appeared (``settled``: MINED and trades MINED; else REVERTED and trades RETRYING);
    ``unmined``: its receipt vanished (reorg): PENDING, trades RETRYING; ``confirm``: CONFIRMED, trades
    CONFIRMED; ``abandon``: ABANDONED, trades released (RETRYING, owned by none); ``sent``: broadcast accepted."""

    kind: Literal["mined", "unmined", "confirm", "abandon", "sent"]
    tx_id: int
    receipt: Receipt | None = None
    settled: bool = False
    error: str = ""
    at_ms: int = 0


class ClaimConflictError(Exception):
    """Some trades of an intent were no longer free (another batcher, or a concurrent status change)."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def trade_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``trades`` row merged with its payload's maker fills: the shape the WebSocket hub renders."""
    out = {k: v for k, v in row.items() if k != "payload"}
    payload = json.loads(row["payload"]) if row.get("payload") else {}
    out["makers"] = payload.get("makers", [])
    return out


class SettlementStore:
    """SQL access for one batcher (one chain id, one operator address)."""

    def __init__(self, db: Database, chain_id: int, operator: str) -> None:
        self.db = db
        self.chain_id = chain_id
        self.operator = operator.lower()

    # -- reads --------------------------------------------------------------------------------------------
    def pending_trades(self, limit: int) -> list[PendingTrade]:
        """Trades waiting for a transaction (MATCHED or RETRYING, owned by none), oldest match first.

        One range scan of ``ix_trades_settlement`` per status, each stopping after ``limit`` rows, merged here:
        the cost follows ``limit``, not the number of trades waiting."""
        cols = (trades.c.trade_id, trades.c.payload, trades.c.status, trades.c.journal_seq)
        rows: list[Any] = []
        with self.db.engine.connect() as conn:
            for status in UNSETTLED:
                stmt = (
                    select(*cols)
                    .where(trades.c.settlement_batch.is_(None), trades.c.status == status)
                    .order_by(trades.c.journal_seq, trades.c.trade_id)
                    .limit(limit)
                )
                rows += conn.execute(stmt).all()
        rows.sort(key=lambda r: (r.journal_seq, r.trade_id))
        return [
            PendingTrade(
                r.trade_id, StoredTrade.from_payload(json.loads(r.payload)), TradeStatus(r.status), int(r.journal_seq)
            )
            for r in rows[:limit]
        ]

    def pending_count(self) -> int:
        stmt = select(func.count()).where(trades.c.settlement_batch.is_(None), trades.c.status.in_(UNSETTLED))
        with self.db.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def has_pending(self, at_least: int) -> bool:
        """At least ``at_least`` trades are waiting (reads no more index entries than that)."""
        inner = (
            select(trades.c.trade_id)
            .where(trades.c.settlement_batch.is_(None), trades.c.status.in_(UNSETTLED))
            .limit(at_least)
            .subquery()
        )
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inner)).scalar_one()) >= at_least

    def signed_orders(self, order_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted(set(order_ids))
        out: dict[str, str] = {}
        with self.db.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                stmt = select(orders.c.order_id, orders.c.signed_order).where(orders.c.order_id.in_(ids[i : i + 500]))
                out.update({r.order_id: r.signed_order for r in conn.execute(stmt)})
        return out

    def abandoned_counts(self, trade_ids: Sequence[str]) -> dict[str, int]:
        """Per trade: how many of its transactions ended ABANDONED (reverted, or their nonce lost)."""
        if not trade_ids:
            return {}
        stmt = (
            select(settlement_tx_trades.c.trade_id, func.count())
            .join(settlement_txs, settlement_txs.c.id == settlement_tx_trades.c.tx_id)
            .where(
                settlement_tx_trades.c.trade_id.in_(list(trade_ids)),
                settlement_txs.c.status == TxStatus.ABANDONED.value,
            )
            .group_by(settlement_tx_trades.c.trade_id)
        )
        with self.db.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(stmt)}

    def _mine(self) -> Any:
        return and_(settlement_txs.c.chain_id == self.chain_id, settlement_txs.c.operator == self.operator)

    def max_nonce(self) -> int | None:
        with self.db.engine.connect() as conn:
            value = conn.execute(select(func.max(settlement_txs.c.nonce)).where(self._mine())).scalar()
        return None if value is None else int(value)

    def consumed_from(self, nonce: int) -> list[StoredTx]:
        """Transactions at ``nonce`` or above that the batcher saw consume their nonce (every status but
        PENDING): after a rollback of the chain to an operator nonce of ``nonce``, the ones it no longer has."""
        return self._txs(and_(settlement_txs.c.nonce >= nonce, settlement_txs.c.status != TxStatus.PENDING.value))

    def nonces_from(self, nonce: int) -> set[int]:
        """The nonces of this operator's transactions at ``nonce`` or above."""
        stmt = select(settlement_txs.c.nonce).where(self._mine(), settlement_txs.c.nonce >= nonce)
        with self.db.engine.connect() as conn:
            return {int(r[0]) for r in conn.execute(stmt)}

    def newest_confirmed_block(self) -> tuple[int, str] | None:
        """(block number, block hash) of the CONFIRMED transaction with the highest nonce (the newest)."""
        stmt = (
            select(settlement_txs.c.block_number, settlement_txs.c.block_hash)
            .where(self._mine(), settlement_txs.c.status == TxStatus.CONFIRMED.value)
            .order_by(settlement_txs.c.nonce.desc())
            .limit(1)
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None or row[0] is None else (int(row[0]), str(row[1]))

    def newest_confirmed(self, limit: int) -> list[StoredTx]:
        """The CONFIRMED transactions with the highest nonces, highest first (at most ``limit``)."""
        stmt = (
            select(settlement_txs.c.id)
            .where(self._mine(), settlement_txs.c.status == TxStatus.CONFIRMED.value)
            .order_by(settlement_txs.c.nonce.desc())
            .limit(limit)
        )
        with self.db.engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(stmt)]
        if not ids:
            return []
        return sorted(self._txs(settlement_txs.c.id.in_(ids)), key=lambda t: -t.nonce)

    def open_txs(self) -> list[StoredTx]:
        """PENDING, MINED and REVERTED transactions, by nonce, with their attempts and trade ids."""
        return self._txs(settlement_txs.c.status.in_([s.value for s in OPEN_TX_STATUSES]))

    def all_txs(self) -> list[StoredTx]:
        return self._txs(None)

    def _txs(self, where: Any) -> list[StoredTx]:
        stmt = select(settlement_txs).where(self._mine())
        if where is not None:
            stmt = stmt.where(where)
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(settlement_txs.c.nonce)).all()
            ids = [r.id for r in rows]
            attempts: dict[int, list[Attempt]] = {i: [] for i in ids}
            members: dict[int, list[str]] = {i: [] for i in ids}
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for a in conn.execute(
                    select(settlement_attempts)
                    .where(settlement_attempts.c.tx_id.in_(chunk))
                    .order_by(settlement_attempts.c.tx_id, settlement_attempts.c.attempt)
                ):
                    attempts[a.tx_id].append(
                        Attempt(
                            a.attempt,
                            AttemptKind(a.kind),
                            a.tx_hash,
                            a.raw_tx,
                            int(a.max_fee_per_gas),
                            int(a.max_priority_fee_per_gas),
                            int(a.created_at_ms),
                        )
                    )
                for m in conn.execute(
                    select(settlement_tx_trades.c.tx_id, settlement_tx_trades.c.trade_id)
                    .where(settlement_tx_trades.c.tx_id.in_(chunk))
                    .order_by(settlement_tx_trades.c.tx_id, settlement_tx_trades.c.position)
                ):
                    members[m.tx_id].append(m.trade_id)
        return [
            StoredTx(
                id=int(r.id),
                nonce=int(r.nonce),
                kind=r.kind,
                status=TxStatus(r.status),
                to_address=r.to_address,
                data=r.data,
                gas_limit=int(r.gas_limit),
                tx_hash=r.tx_hash,
                raw_tx=r.raw_tx,
                block_number=None if r.block_number is None else int(r.block_number),
                block_hash=r.block_hash,
                created_at_ms=int(r.created_at_ms),
                sent_at_ms=int(r.sent_at_ms),
                replaced_at_ms=int(r.replaced_at_ms),
                error=r.error or "",
                fill_count=int(r.fill_count),
                attempts=tuple(attempts[r.id]),
                trade_ids=tuple(members[r.id]),
            )
            for r in rows
        ]

    def stored_trades(self, trade_ids: Sequence[str]) -> dict[str, StoredTrade]:
        out: dict[str, StoredTrade] = {}
        with self.db.engine.connect() as conn:
            for i in range(0, len(trade_ids), 500):
                stmt = select(trades.c.trade_id, trades.c.payload).where(
                    trades.c.trade_id.in_(list(trade_ids[i : i + 500]))
                )
                out.update({r.trade_id: StoredTrade.from_payload(json.loads(r.payload)) for r in conn.execute(stmt)})
        return out

    def trade_rows(self, trade_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with self.db.engine.connect() as conn:
            for i in range(0, len(trade_ids), 500):
                stmt = select(trades).where(trades.c.trade_id.in_(list(trade_ids[i : i + 500])))
                out.update({r.trade_id: trade_row(dict(r._mapping)) for r in conn.execute(stmt)})
        return out

    # -- writes -------------------------------------------------------------------------------------------
    def record_intent(
        self,
        *,
        nonce: int,
        kind: str,
        to: str,
        data: bytes,
        gas_limit: int,
        trade_ids: Sequence[str],
        fill_count: int,
        attempt: Attempt,
    ) -> int:
        """Write-ahead: the transaction, its first signed attempt and its trades, before the first broadcast.

        Claims the trades (``settlement_batch``); raises ``ClaimConflictError`` (nothing written) if any of
        them is no longer free."""
        now = attempt.created_at_ms
        with self.db.engine.begin() as conn:
            tx_id = int(
                conn.execute(
                    insert(settlement_txs)
                    .values(
                        chain_id=self.chain_id,
                        operator=self.operator,
                        nonce=nonce,
                        kind=kind,
                        status=TxStatus.PENDING.value,
                        to_address=to.lower(),
                        data="0x" + data.hex(),
                        gas_limit=gas_limit,
                        trade_count=len(trade_ids),
                        fill_count=fill_count,
                        tx_hash=attempt.tx_hash,
                        raw_tx=attempt.raw_tx,
                        attempts=1,
                        error="",
                        created_at_ms=now,
                        sent_at_ms=now,  # broadcast right after this commit; a failed one is retried at once
                        replaced_at_ms=now,
                        updated_at_ms=now,
                    )
                    .returning(settlement_txs.c.id)
                ).scalar_one()
            )
            self._insert_attempt(conn, tx_id, attempt)
            if trade_ids:
                conn.execute(
                    insert(settlement_tx_trades),
                    [{"tx_id": tx_id, "trade_id": t, "position": i} for i, t in enumerate(trade_ids)],
                )
            claimed = conn.execute(
                update(trades)
                .where(
                    trades.c.trade_id.in_(list(trade_ids)),
                    trades.c.status.in_(UNSETTLED),
                    trades.c.settlement_batch.is_(None),
                )
                .values(settlement_batch=tx_id, transaction_hash=attempt.tx_hash, error="")
            ).rowcount
            if claimed != len(trade_ids):
                raise ClaimConflictError(f"claimed {claimed} of {len(trade_ids)} trades for nonce {nonce}")
        return tx_id

    @staticmethod
    def _insert_attempt(conn: Connection, tx_id: int, attempt: Attempt) -> None:
        conn.execute(
            insert(settlement_attempts).values(
                tx_id=tx_id,
                attempt=attempt.attempt,
                kind=attempt.kind.value,
                tx_hash=attempt.tx_hash,
                raw_tx=attempt.raw_tx,
                max_fee_per_gas=attempt.max_fee_per_gas,
                max_priority_fee_per_gas=attempt.max_priority_fee_per_gas,
                created_at_ms=attempt.created_at_ms,
            )
        )

    def add_attempt(self, tx_id: int, attempt: Attempt) -> None:
        """Write-ahead for a replacement (same nonce): durable before it is broadcast."""
        with self.db.engine.begin() as conn:
            self._insert_attempt(conn, tx_id, attempt)
            conn.execute(
                update(settlement_txs)
                .where(settlement_txs.c.id == tx_id)
                .values(
                    tx_hash=attempt.tx_hash,
                    raw_tx=attempt.raw_tx,
                    attempts=attempt.attempt,
                    replaced_at_ms=attempt.created_at_ms,
                    sent_at_ms=attempt.created_at_ms,  # broadcast right after this commit
                    updated_at_ms=_now_ms(),
                )
            )

    def note_error(self, tx_id: int, error: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(
                update(settlement_txs)
                .where(settlement_txs.c.id == tx_id)
                .values(error=error[:2000], updated_at_ms=_now_ms())
            )

    def _move(
        self, conn: Connection, tx_id: int, status: TradeStatus, tx_hash: str | None, error: str
    ) -> list[StatusChange]:
        """Set the status of the trades owned by ``tx_id``; return the changes."""
        rows = conn.execute(
            select(trades.c.trade_id, trades.c.status, trades.c.transaction_hash).where(
                trades.c.settlement_batch == tx_id
            )
        ).all()
        values: dict[str, Any] = {"status": status.value, "last_update": int(time.time()), "error": error}
        if tx_hash is not None:
            values["transaction_hash"] = tx_hash
        conn.execute(update(trades).where(trades.c.settlement_batch == tx_id).values(**values))
        return [
            StatusChange(r.trade_id, status, tx_hash if tx_hash is not None else r.transaction_hash)
            for r in rows
            if r.status != status.value
        ]

    def _take_back(self, conn: Connection, tx_id: int, status: TradeStatus, tx_hash: str) -> list[StatusChange]:
        """A settling receipt of ``tx_id``: its trades that were released and are owned by no transaction now
        (a rollback reopened it as a cancel, yet the node mined its settling bytes) settled there: claim them."""
        held = select(settlement_tx_trades.c.trade_id).where(settlement_tx_trades.c.tx_id == tx_id)
        ids = [
            r.trade_id
            for r in conn.execute(
                select(trades.c.trade_id).where(
                    trades.c.trade_id.in_(held),
                    trades.c.status.in_(UNSETTLED),
                    trades.c.settlement_batch.is_(None),
                )
            )
        ]
        if not ids:
            return []
        conn.execute(
            update(trades)
            .where(trades.c.trade_id.in_(ids))
            .values(
                settlement_batch=tx_id,
                status=status.value,
                transaction_hash=tx_hash,
                error="",
                last_update=int(time.time()),
            )
        )
        return [StatusChange(tid, status, tx_hash) for tid in ids]

    def _set_tx(self, conn: Connection, tx_id: int, **values: Any) -> None:
        values["updated_at_ms"] = _now_ms()
        conn.execute(update(settlement_txs).where(settlement_txs.c.id == tx_id).values(**values))

    def apply(self, updates: Sequence[TxUpdate]) -> list[StatusChange]:
        """Apply a reconcile pass's updates in one database transaction; return the trade status changes."""
        if not updates:
            return []
        changes: list[StatusChange] = []
        with self.db.engine.begin() as conn:
            for u in updates:
                changes += self._apply_one(conn, u)
        return changes

    def _apply_one(self, conn: Connection, u: TxUpdate) -> list[StatusChange]:
        if u.kind == "mined":
            assert u.receipt is not None
            r = u.receipt
            self._set_tx(
                conn,
                u.tx_id,
                status=(TxStatus.MINED if u.settled else TxStatus.REVERTED).value,
                tx_hash=r.tx_hash,
                block_number=r.block_number,
                block_hash=r.block_hash,
                gas_used=r.gas_used,
                error=u.error,
            )
            if u.settled:
                return self._move(conn, u.tx_id, TradeStatus.MINED, r.tx_hash, "") + self._take_back(
                    conn, u.tx_id, TradeStatus.MINED, r.tx_hash
                )
            return self._move(conn, u.tx_id, TradeStatus.RETRYING, r.tx_hash, u.error)
        if u.kind == "unmined":
            self._set_tx(
                conn,
                u.tx_id,
                status=TxStatus.PENDING.value,
                block_number=None,
                block_hash=None,
                gas_used=None,
                sent_at_ms=0,
                error=u.error,
            )
            return self._move(conn, u.tx_id, TradeStatus.RETRYING, None, u.error)
        if u.kind == "confirm":
            self._set_tx(conn, u.tx_id, status=TxStatus.CONFIRMED.value)
            return self._move(conn, u.tx_id, TradeStatus.CONFIRMED, None, "")
        if u.kind == "abandon":
            self._set_tx(conn, u.tx_id, status=TxStatus.ABANDONED.value, error=u.error)
            changes = self._move(conn, u.tx_id, TradeStatus.RETRYING, None, u.error)
            conn.execute(update(trades).where(trades.c.settlement_batch == u.tx_id).values(settlement_batch=None))
            return changes
        self._set_tx(conn, u.tx_id, sent_at_ms=u.at_ms, error="")
        return []

    def reopen(self, lost: Sequence[tuple[StoredTx, Attempt | None, str]]) -> list[StatusChange]:
        """The chain no longer has these transactions (it rolled back below their nonces): each goes back to
        PENDING, to be broadcast again at the same nonce, in one database transaction.

        A transaction that still owns its trades (it settled them, or reverted and awaited finality) keeps them,
        and they go back to RETRYING (CONFIRMED and MINED included). One that released its trades (ABANDONED)
        gets ``attempt``, a cancel signed for its nonce, as its latest attempt: it only fills the nonce. The
        third item is the error the transaction and its trades show meanwhile."""
        changes: list[StatusChange] = []
        now = _now_ms()
        with self.db.engine.begin() as conn:
            for tx, attempt, error in lost:
                values: dict[str, Any] = {
                    "status": TxStatus.PENDING.value,
                    "block_number": None,
                    "block_hash": None,
                    "gas_used": None,
                    "sent_at_ms": 0,
                    "replaced_at_ms": now,
                    "error": error[:2000],
                }
                if attempt is not None:
                    self._insert_attempt(conn, tx.id, attempt)
                    values |= {"tx_hash": attempt.tx_hash, "raw_tx": attempt.raw_tx, "attempts": attempt.attempt}
                self._set_tx(conn, tx.id, **values)
                changes += self._move(conn, tx.id, TradeStatus.RETRYING, None, error)
        return changes

    def rehome(self, tx_id: int, receipt: Receipt) -> None:
        """A CONFIRMED transaction found again in another block (a reorg re-included it): record where."""
        with self.db.engine.begin() as conn:
            self._set_tx(conn, tx_id, block_number=receipt.block_number, block_hash=receipt.block_hash)

    def mark_mined(self, tx_id: int, receipt: Receipt, settled: bool, error: str = "") -> list[StatusChange]:
        return self.apply([TxUpdate("mined", tx_id, receipt, settled, error)])

    def mark_unmined(self, tx_id: int, error: str) -> list[StatusChange]:
        return self.apply([TxUpdate("unmined", tx_id, error=error)])

    def confirm(self, tx_id: int) -> list[StatusChange]:
        return self.apply([TxUpdate("confirm", tx_id)])

    def txs_of_trade(self, trade_id: str) -> list[StoredTx]:
        """Every transaction of this operator that ever held the trade, lowest nonce first."""
        held = select(settlement_tx_trades.c.tx_id).where(settlement_tx_trades.c.trade_id == trade_id)
        return self._txs(settlement_txs.c.id.in_(held))

    def readopt(self, tx: StoredTx, receipt: Receipt) -> list[StatusChange]:
        """``receipt`` shows that ``tx`` settled its trades although the batcher released them (or wrote the
        transaction off): the transaction takes back those of its trades no other transaction owns, which follow
        it (MINED, or CONFIRMED if it already is). A transaction that was ABANDONED or REVERTED becomes MINED
        with this receipt, to be confirmed at depth as any other."""
        changes: list[StatusChange] = []
        with self.db.engine.begin() as conn:
            status = TradeStatus.CONFIRMED if tx.status == TxStatus.CONFIRMED else TradeStatus.MINED
            if tx.status != TxStatus.CONFIRMED:
                self._set_tx(
                    conn,
                    tx.id,
                    status=TxStatus.MINED.value,
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    block_hash=receipt.block_hash,
                    gas_used=receipt.gas_used,
                    error="",
                )
            changes = self._take_back(conn, tx.id, status, receipt.tx_hash)
        return changes

    def owned_trades(self, tx_id: int) -> dict[str, StoredTrade]:
        """The trades ``tx_id`` owns now, by trade id."""
        stmt = select(trades.c.trade_id, trades.c.payload).where(trades.c.settlement_batch == tx_id)
        with self.db.engine.connect() as conn:
            return {r.trade_id: StoredTrade.from_payload(json.loads(r.payload)) for r in conn.execute(stmt)}

    def free_trades(self, trade_ids: Sequence[str]) -> dict[str, StoredTrade]:
        """Those of ``trade_ids`` that are unsettled and owned by no transaction, by trade id."""
        out: dict[str, StoredTrade] = {}
        with self.db.engine.connect() as conn:
            for i in range(0, len(trade_ids), 500):
                stmt = select(trades.c.trade_id, trades.c.payload).where(
                    trades.c.trade_id.in_(list(trade_ids[i : i + 500])),
                    trades.c.status.in_(UNSETTLED),
                    trades.c.settlement_batch.is_(None),
                )
                out.update({r.trade_id: StoredTrade.from_payload(json.loads(r.payload)) for r in conn.execute(stmt)})
        return out

    def settled_trades(self, order_ids: Iterable[str], exclude: Iterable[str] = ()) -> dict[str, StoredTrade]:
        """The MINED and CONFIRMED trades of these orders (their ``associate_trades``), by trade id, but for the
        trades in ``exclude``: what the database counts as on chain for those orders."""
        ids = sorted(set(order_ids))
        skip = set(exclude)
        trade_ids: set[str] = set()
        out: dict[str, StoredTrade] = {}
        with self.db.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                stmt = select(orders.c.associate_trades).where(orders.c.order_id.in_(ids[i : i + 500]))
                for r in conn.execute(stmt):
                    trade_ids.update(str(t) for t in json.loads(r.associate_trades))
            wanted = sorted(trade_ids - skip)
            for i in range(0, len(wanted), 500):
                stmt = select(trades.c.trade_id, trades.c.payload).where(
                    trades.c.trade_id.in_(wanted[i : i + 500]),
                    trades.c.status.in_([TradeStatus.MINED.value, TradeStatus.CONFIRMED.value]),
                )
                out.update({r.trade_id: StoredTrade.from_payload(json.loads(r.payload)) for r in conn.execute(stmt)})
        return out

    def confirm_by_state(self, tx: StoredTx, block_number: int, block_hash: str, tx_hash: str) -> list[StatusChange]:
        """``tx`` settled its trades although the chain has no receipt of it (the exchange's order state shows
        their fills, its nonce is consumed at ``block_number``, final): CONFIRMED, recorded at that block, with
        the trades it owns and those of its trades that are free again (taken back) CONFIRMED too."""
        with self.db.engine.begin() as conn:
            self._set_tx(
                conn,
                tx.id,
                status=TxStatus.CONFIRMED.value,
                tx_hash=tx_hash,
                block_number=block_number,
                block_hash=block_hash,
                error="settled: the exchange's order state has its fills (no receipt on this chain)",
            )
            changes = self._move(conn, tx.id, TradeStatus.CONFIRMED, tx_hash, "")
            changes += self._take_back(conn, tx.id, TradeStatus.CONFIRMED, tx_hash)
        return changes

    def abandon(self, tx_id: int, error: str) -> list[StatusChange]:
        """The nonce is consumed for good without settling: release the trades (RETRYING, owned by none)."""
        return self.apply([TxUpdate("abandon", tx_id, error=error)])

    def fail_trades(self, failures: Sequence[tuple[str, str]]) -> list[StatusChange]:
        """FAILED (terminal) for free trades, each with its error."""
        out: list[StatusChange] = []
        now = int(time.time())
        with self.db.engine.begin() as conn:
            for trade_id, error in failures:
                done = conn.execute(
                    update(trades)
                    .where(
                        trades.c.trade_id == trade_id,
                        trades.c.status.in_(UNSETTLED),
                        trades.c.settlement_batch.is_(None),
                    )
                    .values(status=TradeStatus.FAILED.value, error=error[:2000], last_update=now)
                ).rowcount
                if done:
                    out.append(StatusChange(trade_id, TradeStatus.FAILED, ""))
        return out
