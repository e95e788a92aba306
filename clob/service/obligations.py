"""Obligations: what a trader still has to give on chain for fills the book matched and the chain has not settled.

The reservation rule (checked by the sequencer before it journals a new order): what the maker can spend of the
asset the order gives (on-chain balance, capped by the allowance to the exchange, read at block ``b``) must cover

    the maker's resting orders' reservations (the engine's `reserved`)
  + the maker's obligations that the read at ``b`` does not already reflect
  + this order's maker amount.

A fill moves an order's reservation to an obligation in the same engine command: a resting maker's ``making``
leaves its reservation (`clob.engine.matching`) and becomes its obligation here, the taker's ``taker_fill`` never
rests. Every side of a fill gives its maker asset — a BUY collateral, a SELL its token — so a COMPLEMENTARY fill
obliges the buyer's collateral and the seller's tokens, a MINT both buyers' collateral, a MERGE both sellers'
tokens. Fees are kept from what a side receives (``taking``), never from what it gives, so they add nothing here.

An obligation counts against every balance read taken before the chain reflects the settlement. It is released

- when its trade FAILED (nothing moved on chain), for every read;
- when its settlement transaction is CONFIRMED in block ``M``, for reads at a block ``>= M`` only: a balance read
  at ``b < M`` still holds what the settlement took, so the obligation keeps counting against it. A MINED block
  does not release anything yet: a reorg can drop it before the batcher notices, and a read on the new branch at
  the same height would then free tokens that are still owed.

The ledger is written by the sequencer thread only: fills as the engine emits them (`record`, before the batch is
durable; a failed commit rebuilds the ledger with the engine, `load`), settlement progress by polling the database
(`poll`: at most every ``poll_s``, and again before refusing an order, so a refusal never rests on a stale view).
The settlement rows are read through `store.queries.obligations`; the ledger follows each open or recently CONFIRMED
transaction and fetches a transaction's trades only when it is CONFIRMED (or stops being).

CONFIRMED trades are kept ``retention_s`` after the ledger saw them confirmed — longer than a cached balance is
used (``Settings.balance_cache_s``) — then forgotten. A read started after the ledger saw a confirmation reflects
it (its transaction was mined before), so the ledger refuses (``STALE_BALANCE``) only a read started before the
latest confirmation it forgot: one older than the retention, which no cache serves. Staleness goes by the read's
wall-clock time, not its block, so a chain that rolls back (a restored dump) does not make fresh reads look old.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clob.engine import Engine, Side, TokenId, Trade
from clob.engine.types import Address
from clob.service.chain_view import COLLATERAL
from store.db import Database
from store.queries.obligations import OpenTrade, SettlementProgress, TxState, TxStatus

log = logging.getLogger(__name__)

NOT_ENOUGH_BALANCE = "not enough balance / allowance"
STALE_BALANCE = "not enough balance / allowance: the balance read is too old, send the order again"
"""A refusal because the read predates settlements the ledger no longer holds (the API drops its cached value)."""

Key = tuple[str, int]
"""(owner address as the engine has it, asset id: `COLLATERAL` or a token id)."""
Legs = tuple[tuple[Key, int], ...]


@dataclass(frozen=True, slots=True)
class Reservation:
    """What a new order needs, checked by the sequencer: ``amount`` more of ``asset`` from ``owner``, whose
    spendable amount of it was ``spendable`` at block ``block``, read from the chain from ``read_ms`` (Unix ms)."""

    owner: Address
    asset: int
    amount: int
    spendable: int
    block: int
    read_ms: int


def reservation_of(
    owner: Address, buy: bool, token: TokenId, amount: int, spendable: int, block: int, read_ms: int
) -> Reservation:
    """The reservation of an order on ``token`` that gives ``amount`` (collateral if ``buy``, else the token)."""
    return Reservation(owner, COLLATERAL if buy else int(token), amount, spendable, block, read_ms)


def trade_legs(trade: Trade) -> Legs:
    """What each side of ``trade`` gives: the taker its ``taker_fill``, each maker its ``making``."""
    taker = ((trade.taker, COLLATERAL if trade.side == Side.BUY else int(trade.token_id)), int(trade.taker_fill))
    return (
        taker,
        *(((m.maker, COLLATERAL if m.side == Side.BUY else int(m.token_id)), int(m.making)) for m in trade.makers),
    )


def payload_legs(payload: Mapping[str, Any]) -> Legs:
    """`trade_legs` of a stored trade (``trades.payload``, `clob.service.projections.trade_to_json`)."""

    def key(who: Any, side: Any, token: Any) -> Key:
        return (str(who), COLLATERAL if side == "BUY" else int(token))

    taker = (key(payload["taker"], payload["side"], payload["token_id"]), int(payload["taker_fill"]))
    makers = payload["makers"]
    return (taker, *((key(m["maker"], m["side"], m["token_id"]), int(m["making"])) for m in makers))


class SettlementFeed(Protocol):
    """The settlement progress the ledger reads (`store.queries.obligations.SettlementProgress`)."""

    def transactions(self, ids: Collection[int], after_id: int) -> list[TxState]: ...

    def members(self, tx_ids: Sequence[int]) -> dict[int, tuple[str, ...]]: ...

    def failed(self, from_seq: int) -> list[str]: ...

    def open_trades(self, confirmed_since_ms: int) -> tuple[list[OpenTrade], int, list[TxState]]: ...

    def last_tx_id(self) -> int: ...


class _Open:
    """One trade's obligations: unsettled (``block`` None) or CONFIRMED in ``block`` by transaction ``tx``."""

    __slots__ = ("block", "legs", "seq", "tx")

    def __init__(self, legs: Legs, seq: int) -> None:
        self.legs = legs
        self.seq = seq
        self.block: int | None = None
        self.tx = 0


@dataclass(frozen=True, slots=True)
class _Followed:
    status: TxStatus
    block: int | None
    confirmed_at: float


class Obligations:
    """The ledger of the module docstring for one stream."""

    def __init__(
        self,
        feed: SettlementFeed | None,
        retention_s: float = 60.0,
        poll_s: float = 0.1,
        repoll_s: float = 0.01,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.feed = feed
        """None: nothing settles (a stream without settlement); obligations stay until a FAILED never comes."""
        self.retention_s = retention_s
        self.poll_s = poll_s
        self.repoll_s = repoll_s
        self._clock = clock
        self._trades: dict[str, _Open] = {}
        self._unsettled: dict[str, int] = {}  # trade id -> journal seq
        self._pending: dict[Key, int] = {}
        self._confirmed: dict[Key, dict[int, int]] = {}  # key -> block -> amount
        self._retiring: deque[tuple[float, str, int, int]] = deque()  # (confirmed at, trade id, tx, block)
        self._follow: dict[int, _Followed] = {}
        self._after_id = 0
        self._stale_before_ms = 0
        self._polled_at = float("-inf")
        self._failing = False

    # --- the sequencer's calls -----------------------------------------------------------------------------------
    def load(self) -> None:
        """Rebuild from the database: every trade not settled, and those CONFIRMED within the retention."""
        self._trades.clear()
        self._unsettled.clear()
        self._pending.clear()
        self._confirmed.clear()
        self._retiring.clear()
        self._follow.clear()
        self._stale_before_ms = 0
        self._after_id = 0
        if self.feed is None:
            return
        now = self._clock()
        since_ms = int((now - self.retention_s) * 1000)
        open_trades, forgotten_ms, follow = self.feed.open_trades(since_ms)
        self._stale_before_ms = forgotten_ms
        self._after_id = self.feed.last_tx_id()
        for tx in follow:
            at = tx.updated_ms / 1000 if tx.status == TxStatus.CONFIRMED else 0.0
            self._follow[tx.tx_id] = _Followed(tx.status, tx.block, at)
        for t in open_trades:
            self._add(t.trade_id, payload_legs(t.payload), t.journal_seq)
            if t.tx is not None and t.tx.block is not None:
                self._confirm(t.trade_id, t.tx.tx_id, t.tx.block, t.tx.updated_ms / 1000)
        self._polled_at = now

    def record(self, trade_id: str, trade: Trade, seq: int) -> None:
        """A fill the engine just emitted (journal seq ``seq``)."""
        self._add(trade_id, trade_legs(trade), seq)

    def poll(self, force: bool = False) -> None:
        """Catch up with settlement, if ``poll_s`` has passed (``force``: ``repoll_s``). Never raises."""
        if self.feed is None or (not self._trades and not self._follow):
            return
        now = self._clock()
        if now - self._polled_at < (self.repoll_s if force else self.poll_s):
            return
        self._polled_at = now
        try:
            self._catch_up(self.feed, now)
        except Exception:
            if not self._failing:
                log.exception("obligations: cannot read the settlement progress; obligations stay counted")
            self._failing = True
            return
        if self._failing:
            log.info("obligations: settlement progress readable again")
        self._failing = False

    def check(self, engine: Engine, r: Reservation) -> str | None:
        """None if ``r`` fits (module docstring), else the refusal (`NOT_ENOUGH_BALANCE`, `STALE_BALANCE`)."""
        reserved = engine.reserved(r.owner)
        held = reserved.collateral if r.asset == COLLATERAL else reserved.tokens.get(TokenId(r.asset), 0)
        verdict = self._verdict(held, r)
        if verdict is not None and self.feed is not None:
            self.poll(force=True)
            verdict = self._verdict(held, r)
        return verdict

    # --- reads ---------------------------------------------------------------------------------------------------
    def outstanding(self, owner: str, asset: int, block: int) -> int:
        """What ``owner`` owes of ``asset`` that a balance read at ``block`` does not reflect."""
        key = (owner, asset)
        owed = self._pending.get(key, 0)
        per_block = self._confirmed.get(key)
        if per_block:
            for settled_in, amount in per_block.items():
                if settled_in > block:
                    owed += amount
        return owed

    def tracked(self) -> int:
        """How many trades the ledger holds (unsettled, or CONFIRMED within the retention)."""
        return len(self._trades)

    def stale(self, read_ms: int) -> bool:
        """A read started at ``read_ms`` may miss a settlement the ledger has forgotten."""
        return read_ms < self._stale_before_ms

    def _verdict(self, held: int, r: Reservation) -> str | None:
        if r.read_ms < self._stale_before_ms:
            return STALE_BALANCE
        owed = self.outstanding(r.owner, r.asset, r.block)
        return None if held + owed + r.amount <= r.spendable else NOT_ENOUGH_BALANCE

    # --- bookkeeping ---------------------------------------------------------------------------------------------
    def _add(self, trade_id: str, legs: Legs, seq: int) -> None:
        self._trades[trade_id] = _Open(legs, seq)
        self._unsettled[trade_id] = seq
        self._count(legs, None, 1)

    def _count(self, legs: Legs, block: int | None, sign: int) -> None:
        if block is None:
            pending = self._pending
            for key, amount in legs:
                value = pending.get(key, 0) + sign * amount
                if value:
                    pending[key] = value
                else:
                    del pending[key]
            return
        for key, amount in legs:
            per_block = self._confirmed.setdefault(key, {})
            value = per_block.get(block, 0) + sign * amount
            if value:
                per_block[block] = value
            else:
                del per_block[block]
                if not per_block:
                    del self._confirmed[key]

    def _confirm(self, trade_id: str, tx: int, block: int, at: float) -> None:
        t = self._trades.get(trade_id)
        if t is None or tx < t.tx:
            return  # not ours, or an older transaction than the one that holds it now
        if t.block is None:
            self._unsettled.pop(trade_id, None)
        self._count(t.legs, t.block, -1)
        t.block, t.tx = block, tx
        self._count(t.legs, block, 1)
        self._retiring.append((at, trade_id, tx, block))

    def _unconfirm(self, trade_id: str, tx: int) -> None:
        t = self._trades.get(trade_id)
        if t is None or t.tx != tx or t.block is None:
            return
        self._count(t.legs, t.block, -1)
        t.block = None
        self._count(t.legs, None, 1)
        self._unsettled[trade_id] = t.seq

    def _drop(self, trade_id: str) -> None:
        t = self._trades.pop(trade_id, None)
        if t is not None:
            self._unsettled.pop(trade_id, None)
            self._count(t.legs, t.block, -1)

    def _catch_up(self, feed: SettlementFeed, now: float) -> None:
        confirmed: list[TxState] = []
        unconfirmed: list[TxState] = []
        for tx in feed.transactions(self._follow.keys(), self._after_id):
            self._after_id = max(self._after_id, tx.tx_id)
            before = self._follow.get(tx.tx_id)
            was = before is not None and before.status == TxStatus.CONFIRMED
            if tx.status == TxStatus.CONFIRMED and tx.block is not None:
                same = was and before is not None and before.block == tx.block
                if not same:
                    if was:
                        unconfirmed.append(tx)
                    confirmed.append(tx)
                at = before.confirmed_at if same and before is not None else now
                self._follow[tx.tx_id] = _Followed(tx.status, tx.block, at)
                continue
            if was:
                unconfirmed.append(tx)
            if tx.status == TxStatus.ABANDONED:
                self._follow.pop(tx.tx_id, None)
            else:
                self._follow[tx.tx_id] = _Followed(tx.status, tx.block, 0.0)
        if confirmed or unconfirmed:
            members = feed.members(sorted({tx.tx_id for tx in confirmed + unconfirmed}))
            for tx in unconfirmed:
                for trade_id in members.get(tx.tx_id, ()):
                    self._unconfirm(trade_id, tx.tx_id)
            for tx in confirmed:
                assert tx.block is not None
                for trade_id in members.get(tx.tx_id, ()):
                    self._confirm(trade_id, tx.tx_id, tx.block, now)
        if self._unsettled:
            for trade_id in feed.failed(min(self._unsettled.values())):
                if trade_id in self._unsettled:
                    self._drop(trade_id)
        self._retire(now)

    def _retire(self, now: float) -> None:
        """Forget what was CONFIRMED more than the retention ago; reads below its block are refused from now."""
        cutoff = now - self.retention_s
        retiring = self._retiring
        while retiring and retiring[0][0] <= cutoff:
            at, trade_id, tx, block = retiring.popleft()
            t = self._trades.get(trade_id)
            if t is not None and t.tx == tx and t.block == block:
                self._count(t.legs, block, -1)
                del self._trades[trade_id]
                self._stale_before_ms = max(self._stale_before_ms, math.ceil(at * 1000))
        for tx_id in [
            i for i, f in self._follow.items() if f.status == TxStatus.CONFIRMED and f.confirmed_at <= cutoff
        ]:
            del self._follow[tx_id]


RETENTION_MARGIN_S = 30.0
"""How much longer than a cached balance is used the ledger keeps what was CONFIRMED (a read's way to the
sequencer: a thread hop, or a bus in the distributed mode)."""


def settlement_obligations(db: Database, balance_cache_s: float = 30.0) -> Obligations:
    """The ledger over this database's settlement tables, for balances cached up to ``balance_cache_s``."""
    return Obligations(SettlementProgress(db), balance_cache_s + RETENTION_MARGIN_S)
