"""The batcher's core: one ``step()`` reconciles the in-flight transactions with the chain, then flushes.

It is single-threaded by design (``settlement.service`` runs it on one scheduler thread) and keeps nothing in
memory that the database does not also hold, except caches it can rebuild (the next nonce) and a counter of
rejected broadcasts. See docs/settlement.md for the state machine and the crash-safety argument; in short:

- **Intent before effect.** A transaction (nonce, signed raw bytes, hash, trade ids) is committed before its
  first broadcast, and a replacement attempt before its broadcast. After a crash every hash that can be on chain
  is in the database.
- **One nonce per trade at a time.** A trade is owned by one transaction (``trades.settlement_batch``). All of
  a transaction's attempts share its nonce, so at most one is ever mined. A trade is released for another
  transaction only when its owner's nonce has been consumed, at the confirmation depth, by something that did
  not settle it (a revert, our cancel, a foreign transaction) — then no attempt of the owner can be mined ever.
- **Reconcile by nonce and hash.** Receipt of any attempt → MINED/REVERTED (→ CONFIRMED/ABANDONED at depth,
  block hash checked). No receipt and the nonce still free → re-broadcast the same bytes (replace with bumped
  fees when stuck). No receipt and the nonce used → someone else's transaction; released once that is final.
- **Isolation.** A batch is simulated before signing; the first failing match is found by bisection and dropped
  (FAILED with the decoded error, offending orders diagnosed, ``on_trade_failed`` hooks called), unless it may
  only fail because a not-yet-mined transaction of ours has not run yet (shared party): then it waits.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from settlement.chain import ChainClient, SendOutcome, SendResult
from settlement.config import SettlementConfig
from settlement.diagnose import Diagnoser
from settlement.errors import OrderDataError
from settlement.fees import Fees, initial_fees, replacement_fees
from settlement.grouping import GasModel
from settlement.matches import calldata, prepare
from settlement.model import (
    OPEN_TX_STATUSES,
    Attempt,
    AttemptKind,
    FailedHook,
    FailedTrade,
    Listener,
    PendingTrade,
    PreparedTrade,
    Receipt,
    RowListener,
    StatusChange,
    StoredTx,
    TradeStatus,
    TxStatus,
    restore_amounts,
)
from settlement.orderstate import OrderState
from settlement.signer import CANCEL_GAS, OperatorSigner
from settlement.simulate import Simulator
from settlement.store import ClaimConflictError, SettlementStore, TxUpdate
from store.db import Database

log = logging.getLogger(__name__)

CRASH_EXIT_CODE = 77


@dataclass
class BatcherStats:
    """Counters since start (observability and the benchmark)."""

    steps: int = 0
    rpc_errors: int = 0
    txs_sent: int = 0
    trades_sent: int = 0
    fills_sent: int = 0
    trades_confirmed: int = 0
    fills_confirmed: int = 0
    gas_confirmed: int = 0
    trades_failed: int = 0
    trades_deferred: int = 0
    replacements: int = 0
    rebroadcasts: int = 0
    reorged: int = 0
    rollbacks: int = 0
    reverted: int = 0
    reconcile_seconds: float = 0.0
    flush_seconds: float = 0.0
    send_seconds: float = 0.0
    last_error: str = ""


@dataclass
class _FlushState:
    blockers: set[str] = field(default_factory=set)
    """parties of trades in transactions not mined yet (including the ones sent during this flush)"""
    deferred: set[str] = field(default_factory=set)
    """parties of trades held back during this flush"""


class Batcher:
    """Settles the trade store's MATCHED trades through one operator key. Call ``recover()`` once, then
    ``step()`` repeatedly (``settlement.service.SettlementService`` does both on a schedule)."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        signer: OperatorSigner,
        exchange: str,
        config: SettlementConfig | None = None,
        *,
        collateral: str = "",
        ctf: str = "",
        gas_model: GasModel | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or SettlementConfig()
        self.chain = chain
        self.signer = signer
        self.exchange = exchange
        self.operator = signer.address
        self.chain_id = signer.chain_id
        self.store = SettlementStore(db, self.chain_id, self.operator)
        self.gas_model = gas_model or GasModel()
        self.clock = clock
        self.diagnoser = Diagnoser(chain, self.operator, exchange, collateral, ctf) if collateral and ctf else None
        self.simulator = Simulator(chain, self.operator, exchange, self.gas_model, self.config.gas_margin)
        self.order_state = OrderState(chain, self.store, self.operator, exchange)
        self.stats = BatcherStats()
        self._listeners: list[Listener] = []
        self._row_listeners: list[RowListener] = []
        self._failed_hooks: list[FailedHook] = []
        self._next_nonce: int | None = None
        self._last_flush = 0.0
        self._rejections: dict[int, int] = {}
        self._lock = threading.Lock()
        self._prepared: dict[str, PreparedTrade] = {}
        """matches built from the signed orders, by trade id, until sent or failed (building costs ~1 ms)"""
        self._block_hashes: dict[int, str | None] = {}
        self._updates: list[TxUpdate] = []
        """what the current reconcile pass observed, written in one database transaction at its end"""
        self._unsent: set[int] = set()
        self._released: list[tuple[StoredTx, str]] = []
        """transactions of the current reconcile pass whose nonce something without a receipt consumed for good"""
        """PENDING transactions whose last broadcast got no answer (or none yet after a restart)"""
        self._last_head: int | None = None
        self._last_check = float("-inf")
        self._gap_since: float | None = None
        self._flush_fees: Fees | None = None
        """the fees of the transactions signed in the current flush (read from the node once per flush)"""

    # -- hooks --------------------------------------------------------------------------------------------
    def add_listener(self, fn: Listener) -> None:
        """``fn(trade_id, status, tx_hash)`` after every durable trade status change (batcher thread)."""
        self._listeners.append(fn)

    def add_row_listener(self, fn: RowListener) -> None:
        """``fn(trade_row, status, tx_hash)``, the row merged with its maker fills (``WsHub.on_trade_status``)."""
        self._row_listeners.append(fn)

    def add_failure_hook(self, fn: FailedHook) -> None:
        """``fn(trade, offending_order_ids)`` for every trade that became FAILED (see docs, failed-trade policy)."""
        self._failed_hooks.append(fn)

    def _emit(self, changes: Sequence[StatusChange]) -> None:
        if not changes:
            return
        rows = self.store.trade_rows([c.trade_id for c in changes]) if self._row_listeners else {}
        for c in changes:
            for fn in self._listeners:
                try:
                    fn(c.trade_id, c.status.value, c.tx_hash)
                except Exception:
                    log.exception("settlement listener failed on %s", c.trade_id)
            row = rows.get(c.trade_id)
            if row is not None:
                for rfn in self._row_listeners:
                    try:
                        rfn(row, c.status.value, c.tx_hash)
                    except Exception:
                        log.exception("settlement row listener failed on %s", c.trade_id)

    def _crash_point(self, name: str) -> None:
        """Test hook (``SettlementConfig.crash_at``): die here like ``kill -9`` — no cleanup, no flush."""
        if self.config.crash_at == name:
            log.warning("crash point %s: exiting", name)
            os._exit(CRASH_EXIT_CODE)

    # -- driving ------------------------------------------------------------------------------------------
    def idle(self) -> bool:
        """Nothing pending and nothing in flight (every trade is CONFIRMED or FAILED)."""
        return self.store.pending_count() == 0 and not self.store.open_txs()

    def recover(self) -> None:
        """After a (re)start: forget cached nonces and reconcile every open transaction with the chain."""
        with self._lock:
            self._next_nonce = None
            self._rejections.clear()
            self._unsent = {t.id for t in self.store.open_txs() if t.status == TxStatus.PENDING}
            self._reconcile(self._check_chain(force=True))

    def step(self, force_flush: bool = False) -> None:
        """Reconcile, then flush if due (interval elapsed, enough trades pending, or forced)."""
        with self._lock:
            self.stats.steps += 1
            started = time.perf_counter()
            open_txs = self._reconcile(self._check_chain())
            reconciled = time.perf_counter()
            self.stats.reconcile_seconds += reconciled - started
            now = self.clock()
            due = force_flush or now - self._last_flush >= self.config.flush_interval
            if not due:
                due = self.store.has_pending(self.config.flush_size)
            if due:
                self._last_flush = now
                self._flush(open_txs)
                self.stats.flush_seconds += time.perf_counter() - reconciled

    # -- rollback -----------------------------------------------------------------------------------------
    def _check_chain(self, force: bool = False) -> int:
        """Notice a chain that no longer has transactions the database saw consume their nonces (a deep reorg,
        a node restored from an older state) and put them back in flight at the same nonces.

        Runs every ``chain_check_interval``, at (re)start and whenever the head moved backwards. Signals: the
        operator's on-chain nonce at or below a nonce recorded as mined (the chain lost everything from there),
        and the newest CONFIRMED transaction's block no longer canonical (then the newest CONFIRMED ones are
        looked up by hash: one without a settling receipt is lost even if something else took its nonce). Also
        fills nonce gaps below our transactions that nothing will take (``_fill_gaps``). Returns the head."""
        head = self.chain.head()
        moved_back = self._last_head is not None and head < self._last_head
        self._last_head = head
        now = self.clock()
        if not (force or moved_back or now - self._last_check >= self.config.chain_check_interval):
            return head
        self._last_check = now
        latest = self.chain.nonce(self.operator, "latest")
        lost = {t.id: t for t in self.store.consumed_from(latest)}
        if not any(t.block_number is not None for t in lost.values()):
            lost = {}
        for tx in self._confirmed_gone(head):
            lost.setdefault(tx.id, tx)
        if lost:
            self._resend_lost(sorted(lost.values(), key=lambda t: t.nonce), head, latest)
            return head
        filled = self._fill_gaps(latest, None)
        if filled:
            self._next_nonce = None
            log.warning(
                "operator nonces %s are held by nothing of ours nor by the node's pool (operator nonce on chain %d, "
                "head %d): filled with cancels so the transactions above them can be mined",
                ",".join(map(str, filled)),
                latest,
                head,
            )
        return head

    def _confirmed_gone(self, head: int) -> list[StoredTx]:
        """The newest CONFIRMED transactions without a settling receipt, if the newest one's block changed; but for
        those with no receipt at all that settled all the same (``_settled_by_state``): they stay CONFIRMED."""
        top = self.store.newest_confirmed_block()
        if top is None or (top[0] <= head and self.chain.block_hash(top[0]) == top[1]):
            return []
        recent = self.store.newest_confirmed(self.config.rollback_check_depth)
        receipts = self.chain.receipts([a.tx_hash for t in recent for a in t.attempts])
        gone: list[StoredTx] = []
        unexplained: list[StoredTx] = []  # no receipt at all: lost, unless the order state shows it settled
        for tx in recent:
            found = [receipts[a.tx_hash] for a in tx.attempts if a.tx_hash in receipts]
            settled = [r for r in found if r.status == 1 and self._attempt_kind(tx, r.tx_hash) == AttemptKind.SETTLE]
            if not settled:
                (gone if found else unexplained).append(tx)
            elif settled[0].block_hash != tx.block_hash:
                self.store.rehome(tx.id, settled[0])
        kept = self._settled_by_state(sorted(unexplained, key=lambda t: t.nonce), head)
        return gone + [tx for tx in unexplained if tx.id not in kept]

    def _final_block(self, head: int) -> tuple[int, int] | None:
        """(the newest block at the confirmation depth, the operator's nonce there), or None if there is none."""
        final_block = head - self.config.confirmations
        if final_block < 0:
            return None
        return final_block, self.chain.nonce(self.operator, final_block)

    def _settled_by_state(self, txs: list[StoredTx], head: int) -> set[int]:
        """Of these transactions (lowest nonce first; none of their attempts has a receipt), the ids of those that
        settled the trades they own nonetheless, recorded CONFIRMED at the final block: their nonce is consumed at
        the confirmation depth and the exchange's order state has their fills (``settlement.orderstate``). A chain
        restored from a state dump written while blocks were mined can have such settlements without their blocks."""
        final = self._final_block(head) if txs else None
        if final is None:
            return set()
        final_block, consumed = final
        groups = [(tx, self.store.owned_trades(tx.id)) for tx in txs if tx.nonce < consumed]
        groups = [(tx, g) for tx, g in groups if g]
        if not groups:
            return set()
        verdicts = self.order_state.on_chain([g for _tx, g in groups])
        block_hash = self.chain.block_hash(final_block) or ""
        done: set[int] = set()
        for (tx, g), ok in zip(groups, verdicts, strict=True):
            if not ok:
                continue
            changes = self.store.confirm_by_state(tx, final_block, block_hash, self._settle_hash(tx))
            self.stats.trades_confirmed += sum(1 for c in changes if c.status == TradeStatus.CONFIRMED)
            done.add(tx.id)
            log.warning(
                "tx %d (nonce %d): no receipt on this chain, but its nonce is used and the exchange's order state "
                "has the fills of its %d trades: CONFIRMED without a receipt",
                tx.id,
                tx.nonce,
                len(g),
            )
            self._emit(changes)
        return done

    @staticmethod
    def _settle_hash(tx: StoredTx) -> str:
        """The hash of the transaction's newest settling attempt."""
        return next((a.tx_hash for a in reversed(tx.attempts) if a.kind == AttemptKind.SETTLE), tx.tx_hash)

    def _resend_lost(self, lost: list[StoredTx], head: int, latest: int) -> None:
        """Reopen the lost transactions (PENDING, trades RETRYING), fill the nonces between the chain's and ours
        that no transaction of ours holds with cancels, and broadcast them all in nonce order this pass."""
        fees = initial_fees(self.chain.base_fee(), self._tip(), self.config.max_fee_cap_wei)
        now_ms = int(self.clock() * 1000)
        reopen: list[tuple[StoredTx, Attempt | None, str]] = []
        for tx in lost:
            attempt = None
            if tx.status == TxStatus.ABANDONED:  # its trades were released: it may only fill its nonce
                signed = self.signer.sign_cancel(nonce=tx.nonce, fees=fees)
                attempt = Attempt(
                    len(tx.attempts) + 1,
                    AttemptKind.CANCEL,
                    signed.tx_hash,
                    signed.raw_tx,
                    fees.max_fee_per_gas,
                    fees.max_priority_fee_per_gas,
                    now_ms,
                )
            reopen.append((tx, attempt, f"settlement tx {tx.tx_hash} lost: the chain rolled back; resubmitting"))
        lowest = min((t.block_number for t in lost if t.block_number is not None), default=None)
        changes = self.store.reopen(reopen)
        gaps = self._fill_gaps(latest, fees)
        self._unsent |= {t.id for t in lost}
        self._next_nonce = None
        self._prepared.clear()
        self.stats.rollbacks += 1
        trades = sum(len(t.trade_ids) for t in lost if t.status != TxStatus.ABANDONED)
        log.warning(
            "chain rolled back below block %s (head now %d, operator nonce on chain %d): %d settlement txs lost "
            "(nonces %d-%d), resending %d trades at their nonces, %d nonces filled with cancels",
            "?" if lowest is None else lowest,
            head,
            latest,
            len(lost),
            lost[0].nonce,
            lost[-1].nonce,
            trades,
            len(gaps),
        )
        self._emit(changes)

    def _fill_gaps(self, latest: int, fees: Fees | None) -> list[int]:
        """Fill with cancels the nonces below our highest one that nothing will take: neither a transaction of
        ours nor one the node's pool holds (the pool's run of consecutive nonces from ``latest``, e.g. another
        sender's). Without this, our transactions above such a gap would wait forever. ``fees`` None: only once
        the gap has been there ``gap_fill_after`` seconds (a pool or a node may lag). Returns those nonces."""
        held = self.store.nonces_from(latest)
        if not held or all(n in held for n in range(latest, max(held))):
            self._gap_since = None
            return []
        pooled = self.chain.nonce(self.operator, "pending")
        gaps = [n for n in range(max(latest, pooled), max(held)) if n not in held]
        if not gaps:
            self._gap_since = None
            return []
        if fees is None:
            now = self.clock()
            if self._gap_since is None:
                self._gap_since = now
            if now - self._gap_since < self.config.gap_fill_after:
                return []
            fees = initial_fees(self.chain.base_fee(), self._tip(), self.config.max_fee_cap_wei)
        self._gap_since = None
        now_ms = int(self.clock() * 1000)
        for nonce in gaps:
            signed = self.signer.sign_cancel(nonce=nonce, fees=fees)
            attempt = Attempt(
                1,
                AttemptKind.CANCEL,
                signed.tx_hash,
                signed.raw_tx,
                fees.max_fee_per_gas,
                fees.max_priority_fee_per_gas,
                now_ms,
            )
            tx_id = self.store.record_intent(
                nonce=nonce,
                kind="cancel",
                to=self.operator,
                data=b"",
                gas_limit=CANCEL_GAS,
                trade_ids=[],
                fill_count=0,
                attempt=attempt,
            )
            self._unsent.add(tx_id)
        return gaps

    # -- reconcile ----------------------------------------------------------------------------------------
    def _reconcile(self, head: int) -> list[StoredTx]:
        """One pass over the open transactions at chain head ``head``; return those still open (statuses as
        updated)."""
        txs = self.store.open_txs()
        if not txs:
            return []
        self._block_hashes = {}
        latest_nonce = self.chain.nonce(self.operator, "latest")
        receipts = self.chain.receipts([a.tx_hash for t in txs for a in t.attempts])
        self._updates = []
        self._released = []
        for tx in txs:
            receipt = next((receipts[a.tx_hash] for a in reversed(tx.attempts) if a.tx_hash in receipts), None)
            if receipt is not None:
                self._on_receipt(tx, receipt, head)
            else:
                self._on_no_receipt(tx, head, latest_nonce)
        status = {t.id: t.status for t in txs}
        status.update(self._apply_updates())
        status.update(self._release(head))
        return [replace(t, status=status[t.id]) for t in txs if status[t.id] in OPEN_TX_STATUSES]

    def _apply_updates(self) -> dict[int, TxStatus]:
        """Write the pass's observations in one database transaction, then tell the listeners."""
        updates, self._updates = self._updates, []
        if self.config.crash_at == "before_confirm" and any(u.kind == "confirm" for u in updates):
            self._emit(self.store.apply([u for u in updates if u.kind != "confirm"]))
            self._crash_point("before_confirm")
        changes = self.store.apply(updates)
        final: dict[int, TxStatus] = {}
        for u in updates:
            if u.kind == "mined":
                final[u.tx_id] = TxStatus.MINED if u.settled else TxStatus.REVERTED
            elif u.kind == "unmined":
                final[u.tx_id] = TxStatus.PENDING
            elif u.kind == "confirm":
                final[u.tx_id] = TxStatus.CONFIRMED
            elif u.kind == "abandon":
                final[u.tx_id] = TxStatus.ABANDONED
        self.stats.trades_confirmed += sum(1 for c in changes if c.status == TradeStatus.CONFIRMED)
        self._emit(changes)
        return final

    def _release(self, head: int) -> dict[int, TxStatus]:
        """The pass's transactions whose nonce was consumed for good by no attempt of theirs with a receipt: those
        that settled their trades all the same (the exchange's order state says so) are CONFIRMED, the others
        ABANDONED and their trades released. Judged after the pass's updates are written, so the trades whose
        receipts this pass saw count as on chain."""
        released, self._released = self._released, []
        if not released:
            return {}
        confirmed = self._settled_by_state([tx for tx, _e in released], head)
        self._updates = [TxUpdate("abandon", tx.id, error=error) for tx, error in released if tx.id not in confirmed]
        final = self._apply_updates()
        final.update(dict.fromkeys(confirmed, TxStatus.CONFIRMED))
        return final

    def _canonical_hash(self, number: int) -> str | None:
        """The canonical block hash at ``number``, read once per reconcile pass."""
        if number not in self._block_hashes:
            self._block_hashes[number] = self.chain.block_hash(number)
        return self._block_hashes[number]

    def _attempt_kind(self, tx: StoredTx, tx_hash: str) -> AttemptKind:
        return next((a.kind for a in tx.attempts if a.tx_hash == tx_hash), AttemptKind.SETTLE)

    def _on_receipt(self, tx: StoredTx, receipt: Receipt, head: int) -> None:
        settled = receipt.status == 1 and self._attempt_kind(tx, receipt.tx_hash) == AttemptKind.SETTLE
        self._crash_point("after_receipt")
        self._rejections.pop(tx.id, None)
        self._unsent.discard(tx.id)
        if tx.status == TxStatus.PENDING or tx.block_hash != receipt.block_hash or tx.tx_hash != receipt.tx_hash:
            if settled:
                error = ""
            elif receipt.status == 1:
                error = "nonce filled by a cancel transaction"
            elif receipt.gas_used >= tx.gas_limit:
                error = "transaction ran out of gas"
            else:
                error = "transaction reverted on chain"
            if not settled:
                self.stats.reverted += 1
            self._updates.append(TxUpdate("mined", tx.id, receipt, settled, error))
        if head - receipt.block_number < self.config.confirmations:
            return
        if self._canonical_hash(receipt.block_number) != receipt.block_hash:
            return  # a reorg is under way; the next step sees the new receipt (or none)
        if settled:
            self.stats.gas_confirmed += receipt.gas_used
            self.stats.fills_confirmed += tx.fill_count
            self._updates.append(TxUpdate("confirm", tx.id))
        else:
            reason = "reverted on chain" if receipt.status == 0 else "nonce filled by a cancel transaction"
            self._updates.append(TxUpdate("abandon", tx.id, error=f"{reason} (tx {receipt.tx_hash}); to be retried"))

    def _on_no_receipt(self, tx: StoredTx, head: int, latest_nonce: int) -> None:
        if tx.status in (TxStatus.MINED, TxStatus.REVERTED):
            self.stats.reorged += 1
            log.warning("tx %s (nonce %d) left the canonical chain; re-broadcasting", tx.tx_hash, tx.nonce)
            error = f"transaction {tx.tx_hash} reorged out; resubmitting"
            self._updates.append(TxUpdate("unmined", tx.id, error=error))
            tx = replace(tx, status=TxStatus.PENDING, block_number=None, block_hash=None, sent_at_ms=0, error=error)
        if latest_nonce > tx.nonce:
            # The nonce is used, by none of our attempts: a foreign transaction. Release once that is final.
            final_block = head - self.config.confirmations
            if final_block >= 0 and self.chain.nonce(self.operator, final_block) > tx.nonce:
                self._released.append((tx, f"nonce {tx.nonce} used by another transaction; to be retried"))
            return
        now_ms = int(self.clock() * 1000)
        stuck = now_ms - tx.replaced_at_ms >= self.config.replace_after * 1000 and tx.id not in self._unsent
        underpriced = tx.error.startswith("underpriced")
        rejected = self._rejections.get(tx.id, 0) >= self.config.cancel_after_rejections
        if stuck or underpriced or rejected:
            self._replace(tx, AttemptKind.CANCEL if rejected else tx.latest.kind)
        elif tx.id in self._unsent or now_ms - tx.sent_at_ms >= self.config.rebroadcast_after * 1000:
            self.stats.rebroadcasts += tx.id not in self._unsent
            self._broadcast(tx.id, tx.latest.raw_tx)

    def _broadcast(self, tx_id: int, raw_tx: str, record: bool = True) -> SendResult:
        """Send raw bytes. Until a broadcast of this transaction gets an answer it counts as unsent (re-sent on
        the next pass); an exception (node unreachable) propagates and ends the step."""
        self._unsent.add(tx_id)
        result = self.chain.send_raw(raw_tx)
        self._unsent.discard(tx_id)
        if result.in_pool:
            self._rejections.pop(tx_id, None)
            if record:  # (a first broadcast is already recorded by its intent)
                self._updates.append(TxUpdate("sent", tx_id, at_ms=int(self.clock() * 1000)))
        elif result.outcome == SendOutcome.UNDERPRICED:
            self.store.note_error(tx_id, f"underpriced: {result.message}")
        elif result.outcome == SendOutcome.REJECTED:
            self._rejections[tx_id] = self._rejections.get(tx_id, 0) + 1
            self._unsent.add(tx_id)
            self.store.note_error(tx_id, f"rejected: {result.message}")
            log.warning("node rejected tx %d: %s", tx_id, result.message)
        return result

    def _tip(self) -> int:
        if self.config.priority_fee_wei is not None:
            return self.config.priority_fee_wei
        return self.chain.priority_fee()

    def _replace(self, tx: StoredTx, kind: AttemptKind) -> None:
        """Re-sign the nonce with bumped fees (or as a cancel), durably, then broadcast."""
        prev = tx.latest
        fees = replacement_fees(
            Fees(prev.max_fee_per_gas, prev.max_priority_fee_per_gas),
            self.chain.base_fee(),
            self._tip(),
            self.config.fee_bump,
            self.config.max_fee_cap_wei,
        )
        if fees is None:
            log.warning("tx %d (nonce %d): cannot outbid %s under the fee cap", tx.id, tx.nonce, prev.tx_hash)
            self.store.note_error(tx.id, "fee cap reached; waiting")
            return
        if kind == AttemptKind.CANCEL:
            signed = self.signer.sign_cancel(nonce=tx.nonce, fees=fees)
        else:
            data = bytes.fromhex(tx.data[2:])
            signed = self.signer.sign(nonce=tx.nonce, to=self.exchange, data=data, gas=tx.gas_limit, fees=fees)
        attempt = Attempt(
            len(tx.attempts) + 1,
            kind,
            signed.tx_hash,
            signed.raw_tx,
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas,
            int(self.clock() * 1000),
        )
        self.store.add_attempt(tx.id, attempt)
        self.stats.replacements += 1
        self._rejections.pop(tx.id, None)
        log.info(
            "tx %d nonce %d: %d trades, attempt %d (%s) %s",
            tx.id,
            tx.nonce,
            len(tx.trade_ids),
            attempt.attempt,
            kind,
            signed.tx_hash,
        )
        self._broadcast(tx.id, signed.raw_tx)

    # -- flush --------------------------------------------------------------------------------------------
    def _flush(self, open_txs: list[StoredTx]) -> None:
        """Fill the free in-flight slots with new transactions, oldest trades first.

        Groups are built greedily in trade order under the gas model's cap, preparing (loading, re-hashing and
        encoding the signed orders of) only as many trades as the free slots can take; their first simulations
        run together, then each group is judged, signed and sent in order, so a failure in a later group is
        judged knowing the transactions sent before it."""
        self._flush_fees = None
        in_flight = [t for t in open_txs if t.status == TxStatus.PENDING]
        free = self.config.max_in_flight - len(in_flight)
        if free <= 0:
            return
        per_tx = self.config.max_trades_per_tx if self.config.use_batch else 1
        cheapest = self.gas_model.per_match + min(self.gas_model.per_maker.values())
        fit = max(1, (self.config.max_gas_per_tx - self.gas_model.tx_base) // cheapest)
        candidates = self.store.pending_trades(free * min(per_tx, fit) + 1)
        if not candidates:
            self._prepared.clear()
            return
        if len(self._prepared) > 50 * len(candidates):
            self._prepared.clear()  # trades settled or failed elsewhere leave entries behind; rebuild lazily
        state = _FlushState()
        if in_flight:
            stored = self.store.stored_trades([tid for t in in_flight for tid in t.trade_ids])
            for trade in stored.values():
                state.blockers |= trade.parties
        signed = self.store.signed_orders(
            oid for t in candidates if t.trade_id not in self._prepared for oid in t.order_ids
        )
        retrying = [t.trade_id for t in candidates if t.status.value == "RETRYING"]
        abandoned = self.store.abandoned_counts(retrying)
        cap, base = self.config.max_gas_per_tx, self.gas_model.tx_base
        groups: list[list[PreparedTrade]] = []
        group: list[PreparedTrade] = []
        used = base
        for t in candidates:
            if len(groups) >= free:
                break
            if abandoned.get(t.trade_id, 0) >= self.config.max_settle_attempts:
                error = f"not settled after {abandoned[t.trade_id]} transactions"
                if not self._settled_earlier(t, error):
                    self._fail(t, error, None)
                continue
            prepared = self._prepared.get(t.trade_id)
            if prepared is None:
                try:
                    prepared = prepare(t, signed, self.chain_id, self.exchange, self.gas_model)
                except OrderDataError as exc:
                    self._fail(t, str(exc), None, offending=exc.order_ids)
                    continue
                self._prepared[t.trade_id] = prepared
            if group and (used + prepared.gas > cap or len(group) >= per_tx):
                groups.append(group)
                group, used = [], base
                if len(groups) >= free:
                    break
            group.append(prepared)
            used += prepared.gas
        if group and len(groups) < free:
            groups.append(group)
        self.simulator.prefetch(groups)
        for group in groups:
            if not self._settle_group(group, state):
                return

    def _settle_group(self, group: list[PreparedTrade], state: _FlushState) -> bool:
        """Simulate, drop failures, sign and send one group. False: stop this flush (order must be kept).

        The flush forms all its groups first (and simulates them together, ``Simulator.prefetch``); a trade
        whose party an earlier group of this flush deferred is left out here, for a later flush."""
        kept = [p for p in group if not (p.parties & state.deferred)]
        self.stats.trades_deferred += len(group) - len(kept)
        group = kept
        ready = self._simulate(group, state)
        if ready is None:
            return True
        sendable, gas_limit, cut = ready
        if sendable:
            started = time.perf_counter()
            self._send_new(sendable, gas_limit)
            self.stats.send_seconds += time.perf_counter() - started
            for p in sendable:
                state.blockers |= p.parties
                self._prepared.pop(p.trade_id, None)
        return not cut

    def _data(self, group: Sequence[PreparedTrade]) -> bytes:
        return calldata(group, batch=len(group) > 1)

    def _simulate(self, group: list[PreparedTrade], state: _FlushState) -> tuple[list[PreparedTrade], int, bool] | None:
        """Drop failing matches until the group simulates (``settlement.simulate``); return (group, gas limit,
        cut short) or None. A failing match is FAILED, or deferred if a transaction of ours not mined yet (or a
        trade held back in this flush) shares a party with it: it may fail only because that has not run yet. A match
        that succeeds on its own and fails only after the matches before it in the group is left out (MATCHED) and
        tried again later."""
        while group:
            sim = self.simulator.check(group)
            if sim.ok:
                if sim.estimated:
                    log.info("gas model too low for %d matches: limit %d from the node", len(group), sim.gas_limit)
                    if sim.gas_limit > self.config.max_gas_per_tx and len(group) > 1:
                        ready = self._simulate(group[: len(group) // 2], state)
                        return None if ready is None else (ready[0], ready[1], True)
                return group, sim.gas_limit, False
            bad = group[sim.failing]
            if self._settled_earlier(bad.trade, sim.error):
                pass
            elif sim.alone_ok:
                self.stats.trades_deferred += 1
                log.info("trade %s deferred (%s): fails only after the matches before it", bad.trade_id, sim.error)
            elif bad.parties & (state.blockers | state.deferred):
                state.deferred |= bad.parties
                self.stats.trades_deferred += 1
                log.info("trade %s deferred (%s): shares a party with an unmined transaction", bad.trade_id, sim.error)
            else:
                self._fail(bad.trade, sim.error, bad)
            self._prepared.pop(bad.trade_id, None)
            group = [p for i, p in enumerate(group) if i != sim.failing and not (p.parties & state.deferred)]
        return None

    def _settled_earlier(self, trade: PendingTrade, error: str) -> bool:
        """Before a RETRYING trade is FAILED: did a transaction that held it settle it after all (on the canonical
        chain now)? A trade is released only when its transaction's nonce is consumed without settling it, but a
        chain that rolls back and forth can bring that transaction back. Then the trade goes back to it (MINED or
        CONFIRMED) instead of FAILED: the failure is only the order already filled by that very settlement."""
        if trade.status != TradeStatus.RETRYING:
            return False
        txs = self.store.txs_of_trade(trade.trade_id)
        hashes = [a.tx_hash for t in txs for a in t.attempts if a.kind == AttemptKind.SETTLE]
        if not hashes:
            return False
        receipts = self.chain.receipts(hashes)
        for tx in txs:
            for a in tx.attempts:
                receipt = receipts.get(a.tx_hash)
                if receipt is None or receipt.status != 1 or a.kind != AttemptKind.SETTLE:
                    continue
                changes = self.store.readopt(tx, receipt)
                log.warning(
                    "trade %s settled on chain by tx %s (nonce %d, block %d) that had released it; not FAILED (%s): "
                    "%d trades of that tx taken back",
                    trade.trade_id,
                    receipt.tx_hash,
                    tx.nonce,
                    receipt.block_number,
                    error,
                    len(changes),
                )
                self._prepared.clear()
                self._emit(changes)
                return True
        # No receipt settled it. A transaction that held it, whose nonce something without a receipt consumed, may
        # have settled it all the same (a chain restored without the blocks of its last settlements): the
        # exchange's order state decides, newest such transaction first.
        silent = [t for t in txs if not any(a.tx_hash in receipts for a in t.attempts)]
        final = self._final_block(self.chain.head()) if silent else None
        if final is None:
            return False
        final_block, consumed = final
        for tx in sorted(silent, key=lambda t: -t.nonce):
            if tx.nonce >= consumed or tx.status not in (TxStatus.ABANDONED, TxStatus.PENDING):
                continue
            group = self.store.free_trades(list(tx.trade_ids))
            if trade.trade_id not in group or not self.order_state.on_chain([group])[0]:
                continue
            changes = self.store.confirm_by_state(
                tx, final_block, self.chain.block_hash(final_block) or "", self._settle_hash(tx)
            )
            self.stats.trades_confirmed += sum(1 for c in changes if c.status == TradeStatus.CONFIRMED)
            log.warning(
                "trade %s settled on chain by tx %d (nonce %d) that had released it, by the exchange's order state "
                "(no receipt on this chain); not FAILED (%s): %d trades of that tx CONFIRMED",
                trade.trade_id,
                tx.id,
                tx.nonce,
                error,
                len(changes),
            )
            self._prepared.clear()
            self._emit(changes)
            return True
        return False

    def _fail(
        self, trade: PendingTrade, error: str, prepared: PreparedTrade | None, offending: Sequence[str] = ()
    ) -> None:
        found = list(offending)
        if prepared is not None and self.diagnoser is not None and not found:
            findings = self.diagnoser.offending_orders(prepared.match, trade.stored)
            found = [f.order_id for f in findings]
            if findings:
                error = f"{error}; " + ", ".join(f"{f.order_id}: {f.reason}" for f in findings)
        changes = self.store.fail_trades([(trade.trade_id, error)])
        if not changes:
            return
        self.stats.trades_failed += 1
        log.warning("trade %s FAILED: %s", trade.trade_id, error)
        self._emit(changes)
        failed = FailedTrade(trade.trade_id, trade.stored, error, tuple(found), restore_amounts(trade.stored, found))
        for hook in self._failed_hooks:
            try:
                hook(failed, failed.offending_order_ids)
            except Exception:
                log.exception("on_trade_failed hook failed on %s", trade.trade_id)

    def _allocate_nonce(self) -> int:
        if self._next_nonce is None:
            stored = self.store.max_nonce()
            pending = self.chain.nonce(self.operator, "pending")
            self._next_nonce = max(pending, -1 if stored is None else stored + 1)
        nonce = self._next_nonce
        self._next_nonce += 1
        return nonce

    def _send_new(self, group: list[PreparedTrade], gas_limit: int) -> None:
        kind = "matchOrdersBatch" if len(group) > 1 else "matchOrders"
        data = self._data(group)
        if self._flush_fees is None:
            self._flush_fees = initial_fees(self.chain.base_fee(), self._tip(), self.config.max_fee_cap_wei)
        fees = self._flush_fees
        nonce = self._allocate_nonce()
        signed = self.signer.sign(nonce=nonce, to=self.exchange, data=data, gas=gas_limit, fees=fees)
        attempt = Attempt(
            1,
            AttemptKind.SETTLE,
            signed.tx_hash,
            signed.raw_tx,
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas,
            int(self.clock() * 1000),
        )
        try:
            tx_id = self.store.record_intent(
                nonce=nonce,
                kind=kind,
                to=self.exchange,
                data=data,
                gas_limit=gas_limit,
                trade_ids=[p.trade_id for p in group],
                fill_count=sum(p.trade.fill_count for p in group),
                attempt=attempt,
            )
        except ClaimConflictError:
            self._next_nonce = None
            log.warning("nonce %d: trades were claimed concurrently; skipped", nonce)
            return
        except Exception:
            self._next_nonce = None  # the nonce was not used: resynchronise before the next one
            raise
        self.stats.txs_sent += 1
        self.stats.trades_sent += len(group)
        self.stats.fills_sent += sum(p.trade.fill_count for p in group)
        self._crash_point("before_send")
        log.info(
            "batch tx %d nonce %d: %d trades, %d fills, gas limit %d, %s",
            tx_id,
            nonce,
            len(group),
            sum(p.trade.fill_count for p in group),
            gas_limit,
            signed.tx_hash,
        )
        result = self._broadcast(tx_id, signed.raw_tx, record=False)
        self._crash_point("after_send")
        if result.outcome == SendOutcome.NONCE_TOO_LOW:
            # Never accepted anywhere and its nonce is taken: nothing of it can be mined. Release at once.
            self._next_nonce = None
            self._emit(self.store.abandon(tx_id, f"nonce {nonce} already used on chain; to be retried"))
