"""Reconciliation rules: the book (orders, trades) against the chain (indexed events, balances), as pure functions.

Everything here works on plain frozen data (a ``Snapshot``) and returns ``Discrepancy`` values sorted by kind and
subject; no I/O, no clock. ``reconcile.snapshot`` loads a snapshot from the database, ``reconcile.runs`` stores
what the rules find and calls the feedback hooks; Hypothesis drives the rules directly (``tests/unit/reconcile``).

What a trade must look like on chain (``Matching.sol``): ``matchOrders`` emits, for each maker leg,
``OrderFilled(maker order, maker, taker = the taker order's maker, assets, making, taking, fee)``, then for the taker
order ``OrderFilled(taker order, taker, taker = the exchange itself, assets, taker_fill, taker_taking, taker_fee)`` and
``OrdersMatched(taker order, taker, assets, taker_fill, taker_taking)``. Asset id 0 is collateral: a BUY gives 0 and
gets its token, a SELL the reverse. Amounts are base units, in the order's maker units for ``making``.

Only **confirmed** chain facts count (block ``<= confirmed_block``, the indexer's head − confirmations): a fact
above it may still be reorged away, so it neither proves nor disproves anything yet.

The rules (each discrepancy has a stable ``Kind`` and a subject):

1. Trades (subject: trade id). A trade is *settled in* transaction T when all its expected fills and its
   ``OrdersMatched`` are among T's confirmed events; T is tried among the trade's ``transaction_hash`` and every
   attempt hash the batcher signed for it (a trade still MATCHED whose attempt is already mined is in flight, not a
   problem). Then, for a trade the book calls MINED or CONFIRMED whose block is confirmed (or unknown, for
   CONFIRMED): not settled and none of its events in its transaction → ``TRADE_NOT_ON_CHAIN``; some of its events
   there but not all equal (amounts, parties, fee, assets) → ``TRADE_EVENTS_MISMATCH``; settled in another
   transaction than the book's → ``TRADE_TX_MISMATCH``. A FAILED trade settled anyway → ``TRADE_FAILED_BUT_SETTLED``.
2. Fills (subject: ``tx_hash:log_index``). A confirmed ``OrderFilled`` that no trade accounts for (e.g. the operator
   key calling ``fillOrder`` outside the book) → ``FILL_WITHOUT_TRADE``.
3. Orders (subject: order id). Confirmed on-chain making of an order above what the book's non-FAILED trades
   consumed → ``ORDER_OVERFILLED_ON_CHAIN``; an ``OrderCancelled`` of an order LIVE in the book →
   ``ORDER_CANCELLED_ON_CHAIN``; a LIVE order whose nonce is below its maker's on-chain nonce (``incrementNonce``)
   → ``ORDER_NONCE_INVALIDATED``.
4. Balances (subject: trader address). What a trader's LIVE orders reserve per asset (remaining maker amount:
   collateral for BUYs, the token for SELLs — what ``Engine.reserved`` holds) above what the trader holds on
   chain → ``BALANCE_BELOW_RESERVED``.

Evidence is JSON-safe and a pure function of the snapshot (uint256 values as decimal strings), so an unchanged
problem has unchanged evidence from run to run. Where the book should act, the evidence carries
``"cancel": [{"order_id", "maker"}]``: the LIVE orders to cancel (for a balance shortfall, the newest orders of
the short asset until the rest fits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

COLLATERAL = 0
EXCHANGE_TAKER = "exchange"
"""The ``taker`` of a taker order's ``OrderFilled``: the exchange contract itself (whatever its address)."""

MATCHED, MINED, CONFIRMED, RETRYING, FAILED = "MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"
LIVE = "LIVE"
BUY, SELL = "BUY", "SELL"


class Kind(StrEnum):
    """Stable discrepancy codes. Values never change once published; add new ones at the end."""

    TRADE_NOT_ON_CHAIN = "TRADE_NOT_ON_CHAIN"
    TRADE_EVENTS_MISMATCH = "TRADE_EVENTS_MISMATCH"
    TRADE_TX_MISMATCH = "TRADE_TX_MISMATCH"
    TRADE_FAILED_BUT_SETTLED = "TRADE_FAILED_BUT_SETTLED"
    FILL_WITHOUT_TRADE = "FILL_WITHOUT_TRADE"
    ORDER_OVERFILLED_ON_CHAIN = "ORDER_OVERFILLED_ON_CHAIN"
    ORDER_CANCELLED_ON_CHAIN = "ORDER_CANCELLED_ON_CHAIN"
    ORDER_NONCE_INVALIDATED = "ORDER_NONCE_INVALIDATED"
    BALANCE_BELOW_RESERVED = "BALANCE_BELOW_RESERVED"


# --- the data --------------------------------------------------------------------------------------------------


def _key_json(key: FillKey | MatchKey) -> dict[str, Any]:
    """An event key's fields in order; its integers (asset ids, amounts) as decimal strings."""
    values = ((f.name, getattr(key, f.name)) for f in fields(key))
    return {name: str(v) if isinstance(v, int) else v for name, v in values}


@dataclass(frozen=True, slots=True)
class FillKey:
    """What identifies an ``OrderFilled`` for comparison: everything but its position in the chain."""

    order_hash: str
    maker: str
    taker: str  # EXCHANGE_TAKER for a taker order
    maker_asset_id: int
    taker_asset_id: int
    making: int
    taking: int
    fee: int

    def to_json(self) -> dict[str, Any]:
        return _key_json(self)


@dataclass(frozen=True, slots=True)
class MatchKey:
    """What identifies an ``OrdersMatched``."""

    taker_order_hash: str
    taker: str
    maker_asset_id: int
    taker_asset_id: int
    making: int
    taking: int

    def to_json(self) -> dict[str, Any]:
        return _key_json(self)


def assets(side: str, token_id: int) -> tuple[int, int]:
    """(maker asset, taker asset) of an order: a BUY gives collateral for the token, a SELL the reverse."""
    return (COLLATERAL, token_id) if side == BUY else (token_id, COLLATERAL)


@dataclass(frozen=True, slots=True)
class MakerLeg:
    """One maker order's fill inside a trade (the engine's payload ``makers[i]``)."""

    order_id: str
    maker: str
    side: str
    token_id: int
    making: int
    taking: int
    fee: int


@dataclass(frozen=True, slots=True)
class BookTrade:
    """A trade of the book with its settlement state.

    ``tx_hash``: the transaction the batcher says holds it ("" if none yet); ``attempt_txs``: every transaction
    hash the batcher ever signed for it; ``block_number``: the block of ``tx_hash`` as the batcher saw it mined.
    """

    trade_id: str
    seq: int
    status: str
    tx_hash: str
    attempt_txs: frozenset[str]
    block_number: int | None
    taker_order_id: str
    taker: str
    side: str
    token_id: int
    taker_fill: int
    taker_taking: int
    taker_fee: int
    makers: tuple[MakerLeg, ...]

    def candidate_txs(self) -> list[str]:
        """Where its events may be: the book's transaction first, then the other attempts."""
        rest = sorted(self.attempt_txs - {self.tx_hash})
        return ([self.tx_hash] if self.tx_hash else []) + [h for h in rest if h]

    def expected_fills(self) -> tuple[FillKey, ...]:
        """The ``OrderFilled`` events ``matchOrders`` emits for this trade: the makers', then the taker's."""
        out = [
            FillKey(m.order_id, m.maker, self.taker, *assets(m.side, m.token_id), m.making, m.taking, m.fee)
            for m in self.makers
        ]
        maker_asset, taker_asset = assets(self.side, self.token_id)
        out.append(
            FillKey(
                self.taker_order_id,
                self.taker,
                EXCHANGE_TAKER,
                maker_asset,
                taker_asset,
                self.taker_fill,
                self.taker_taking,
                self.taker_fee,
            )
        )
        return tuple(out)

    def expected_match(self) -> MatchKey:
        maker_asset, taker_asset = assets(self.side, self.token_id)
        return MatchKey(self.taker_order_id, self.taker, maker_asset, taker_asset, self.taker_fill, self.taker_taking)

    def order_ids(self) -> frozenset[str]:
        return frozenset([self.taker_order_id, *(m.order_id for m in self.makers)])

    def making_by_order(self) -> dict[str, int]:
        """Maker units each order gave in this trade (the taker order gives ``taker_fill``)."""
        out: dict[str, int] = defaultdict(int)
        out[self.taker_order_id] += self.taker_fill
        for m in self.makers:
            out[m.order_id] += m.making
        return dict(out)


@dataclass(frozen=True, slots=True)
class BookOrder:
    """An order of the book: its signed amounts and nonce, and its status (LIVE, MATCHED, CANCELED...)."""

    order_id: str
    maker: str
    side: str
    token_id: int
    maker_amount: int
    nonce: int
    status: str
    seq: int  # journal position of its placement: larger is newer

    @property
    def asset_id(self) -> int:
        """The asset it gives (and its LIVE remainder reserves)."""
        return assets(self.side, self.token_id)[0]


@dataclass(frozen=True, slots=True)
class ChainFill:
    """An indexed ``OrderFilled``; ``exchange`` is the contract that emitted it."""

    block_number: int
    log_index: int
    tx_hash: str
    exchange: str
    order_hash: str
    maker: str
    taker: str
    maker_asset_id: int
    taker_asset_id: int
    making: int
    taking: int
    fee: int

    def key(self) -> FillKey:
        taker = EXCHANGE_TAKER if self.taker == self.exchange else self.taker
        return FillKey(
            self.order_hash,
            self.maker,
            taker,
            self.maker_asset_id,
            self.taker_asset_id,
            self.making,
            self.taking,
            self.fee,
        )

    def to_json(self) -> dict[str, Any]:
        return {"block_number": self.block_number, "log_index": self.log_index, "tx_hash": self.tx_hash} | (
            self.key().to_json()
        )


@dataclass(frozen=True, slots=True)
class ChainMatch:
    """An indexed ``OrdersMatched``."""

    block_number: int
    log_index: int
    tx_hash: str
    taker_order_hash: str
    taker: str
    maker_asset_id: int
    taker_asset_id: int
    making: int
    taking: int

    def key(self) -> MatchKey:
        return MatchKey(
            self.taker_order_hash, self.taker, self.maker_asset_id, self.taker_asset_id, self.making, self.taking
        )


@dataclass(frozen=True, slots=True)
class ChainCancel:
    """An indexed ``OrderCancelled``."""

    block_number: int
    log_index: int
    tx_hash: str
    order_hash: str


@dataclass(frozen=True, slots=True)
class ChainNonce:
    """An indexed ``NonceIncremented``: from this log on, ``maker``'s orders need ``nonce``."""

    block_number: int
    log_index: int
    maker: str
    nonce: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the rules look at. ``holdings`` maps (address, asset id) to what the trader holds on chain (and
    can spend, if the source knows allowances); ``None`` skips the balance rule."""

    confirmed_block: int
    trades: tuple[BookTrade, ...] = ()
    orders: tuple[BookOrder, ...] = ()
    fills: tuple[ChainFill, ...] = ()
    matches: tuple[ChainMatch, ...] = ()
    cancellations: tuple[ChainCancel, ...] = ()
    nonces: tuple[ChainNonce, ...] = ()
    holdings: Mapping[tuple[str, int], int] | None = None
    holdings_source: str = ""


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing where the book and the chain disagree. ``(kind, subject)`` identifies it across runs."""

    kind: Kind
    subject: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.kind), self.subject)


# --- helpers ---------------------------------------------------------------------------------------------------

T = TypeVar("T")
K = TypeVar("K")


def _consume(pool: list[T], wanted: Sequence[K], key: Callable[[T], K]) -> list[T] | None:
    """Remove one pool item per wanted key, all or nothing; the removed items, or None (pool untouched)."""
    taken: list[int] = []
    for k in wanted:
        idx = next((i for i, item in enumerate(pool) if i not in taken and key(item) == k), None)
        if idx is None:
            return None
        taken.append(idx)
    out = [pool[i] for i in taken]
    for i in sorted(taken, reverse=True):
        del pool[i]
    return out


def _by_tx(items: Iterable[T], tx: Callable[[T], str], order: Callable[[T], tuple[int, int]]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for item in sorted(items, key=order):
        out[tx(item)].append(item)
    return out


def _cancel(order: BookOrder) -> dict[str, str]:
    return {"order_id": order.order_id, "maker": order.maker}


def _checkable(trade: BookTrade, confirmed_block: int) -> bool:
    """Whether the chain must show this trade by now: its block is confirmed, or (block unknown) the batcher
    itself calls it CONFIRMED."""
    if trade.status not in (MINED, CONFIRMED):
        return False
    if trade.block_number is None:
        return trade.status == CONFIRMED
    return trade.block_number <= confirmed_block


# --- the rules -------------------------------------------------------------------------------------------------


def check_trades(snapshot: Snapshot) -> list[Discrepancy]:
    """Trades against the confirmed fills and matches; confirmed fills no trade accounts for (rules 1 and 2)."""
    cb = snapshot.confirmed_block
    fills = _by_tx(
        (f for f in snapshot.fills if f.block_number <= cb),
        lambda f: f.tx_hash,
        lambda f: (f.block_number, f.log_index),
    )
    matches = _by_tx(
        (m for m in snapshot.matches if m.block_number <= cb),
        lambda m: m.tx_hash,
        lambda m: (m.block_number, m.log_index),
    )
    trades = sorted(snapshot.trades, key=lambda t: (t.seq, t.trade_id))
    out: list[Discrepancy] = []

    settled_in: dict[str, str] = {}
    for t in trades:
        expected, match = t.expected_fills(), t.expected_match()
        for tx in t.candidate_txs():
            pool, mpool = fills.get(tx, []), matches.get(tx, [])
            if (
                _consume(list(pool), expected, ChainFill.key) is None
                or _consume(list(mpool), [match], ChainMatch.key) is None
            ):
                continue
            _consume(pool, expected, ChainFill.key)
            _consume(mpool, [match], ChainMatch.key)
            settled_in[t.trade_id] = tx
            break

    for t in trades:
        chain_tx = settled_in.get(t.trade_id)
        if chain_tx is not None:
            if t.status == FAILED:
                out.append(Discrepancy(Kind.TRADE_FAILED_BUT_SETTLED, t.trade_id, {"tx_hash": chain_tx}))
            elif chain_tx != t.tx_hash and _checkable(t, cb):
                evidence = {"book_tx_hash": t.tx_hash, "chain_tx_hash": chain_tx, "status": t.status}
                out.append(Discrepancy(Kind.TRADE_TX_MISMATCH, t.trade_id, evidence))
            continue
        if not _checkable(t, cb):
            continue
        ids = t.order_ids()
        pool, mpool = fills.get(t.tx_hash, []), matches.get(t.tx_hash, [])
        related = [f for f in pool if f.order_hash in ids]
        related_m = [m for m in mpool if m.taker_order_hash == t.taker_order_id]
        base: dict[str, Any] = {"tx_hash": t.tx_hash, "block_number": t.block_number, "status": t.status}
        if not related and not related_m:
            out.append(Discrepancy(Kind.TRADE_NOT_ON_CHAIN, t.trade_id, base))
            continue
        for f in related:
            pool.remove(f)
        for m in related_m:
            mpool.remove(m)
        found = [f.key() for f in related]
        missing = [k for k in t.expected_fills() if k not in found]
        unexpected = [f for f in related if f.key() not in t.expected_fills()]
        evidence = base | {
            "missing_fills": [k.to_json() for k in missing],
            "unexpected_fills": [f.to_json() for f in unexpected],
            "match_found": [m.key().to_json() for m in related_m],
            "match_expected": t.expected_match().to_json(),
        }
        out.append(Discrepancy(Kind.TRADE_EVENTS_MISMATCH, t.trade_id, evidence))

    claims: dict[str, list[str]] = defaultdict(list)
    for t in trades:
        for tx in t.candidate_txs():
            claims[tx].append(t.trade_id)
    for tx, pool in fills.items():
        for f in pool:
            evidence = f.to_json() | {"claimed_by": sorted(claims.get(tx, []))}
            out.append(Discrepancy(Kind.FILL_WITHOUT_TRADE, f"{f.tx_hash}:{f.log_index}", evidence))
    return out


def book_making(trades: Iterable[BookTrade], *, include_failed: bool) -> dict[str, int]:
    """Maker units each order gave across the book's trades (FAILED ones only if ``include_failed``)."""
    out: dict[str, int] = defaultdict(int)
    for t in trades:
        if t.status == FAILED and not include_failed:
            continue
        for oid, making in t.making_by_order().items():
            out[oid] += making
    return dict(out)


def check_orders(snapshot: Snapshot) -> list[Discrepancy]:
    """Orders' on-chain fills, cancellations and nonces against the book (rule 3)."""
    cb = snapshot.confirmed_block
    orders = {o.order_id: o for o in snapshot.orders}
    out: list[Discrepancy] = []

    settleable = book_making(snapshot.trades, include_failed=False)
    chain: dict[str, int] = defaultdict(int)
    for f in snapshot.fills:
        if f.block_number <= cb:
            chain[f.order_hash] += f.making
    for oid in sorted(chain):
        o = orders.get(oid)
        if o is None or chain[oid] <= settleable.get(oid, 0):
            continue
        evidence: dict[str, Any] = {
            "maker": o.maker,
            "status": o.status,
            "maker_amount": str(o.maker_amount),
            "chain_filled": str(chain[oid]),
            "book_filled": str(settleable.get(oid, 0)),
            "cancel": [_cancel(o)] if o.status == LIVE else [],
        }
        out.append(Discrepancy(Kind.ORDER_OVERFILLED_ON_CHAIN, oid, evidence))

    first_cancel: dict[str, ChainCancel] = {}
    for c in sorted(snapshot.cancellations, key=lambda c: (c.block_number, c.log_index)):
        if c.block_number <= cb:
            first_cancel.setdefault(c.order_hash, c)
    for oid, c in sorted(first_cancel.items()):
        o = orders.get(oid)
        if o is None or o.status != LIVE:
            continue
        evidence = {"maker": o.maker, "tx_hash": c.tx_hash, "block_number": c.block_number, "cancel": [_cancel(o)]}
        out.append(Discrepancy(Kind.ORDER_CANCELLED_ON_CHAIN, oid, evidence))

    nonce: dict[str, ChainNonce] = {}
    for inc in sorted(snapshot.nonces, key=lambda n: (n.block_number, n.log_index)):
        if inc.block_number <= cb:
            nonce[inc.maker] = inc
    for o in sorted(orders.values(), key=lambda o: o.order_id):
        bumped = nonce.get(o.maker)
        if o.status != LIVE or bumped is None or o.nonce >= bumped.nonce:
            continue
        evidence = {
            "maker": o.maker,
            "order_nonce": str(o.nonce),
            "chain_nonce": str(bumped.nonce),
            "block_number": bumped.block_number,
            "cancel": [_cancel(o)],
        }
        out.append(Discrepancy(Kind.ORDER_NONCE_INVALIDATED, o.order_id, evidence))
    return out


def reservations(snapshot: Snapshot) -> dict[tuple[str, int], list[tuple[BookOrder, int]]]:
    """LIVE orders and their remaining maker amount, per (maker, asset they give): what the engine reserves.

    Remaining = signed maker amount − what every trade of the order consumed (FAILED ones included: the engine
    consumed them too). Orders are listed oldest first.
    """
    consumed = book_making(snapshot.trades, include_failed=True)
    out: dict[tuple[str, int], list[tuple[BookOrder, int]]] = defaultdict(list)
    for o in sorted(snapshot.orders, key=lambda o: (o.seq, o.order_id)):
        if o.status != LIVE:
            continue
        remaining = max(0, o.maker_amount - consumed.get(o.order_id, 0))
        if remaining:
            out[(o.maker, o.asset_id)].append((o, remaining))
    return dict(out)


def check_balances(snapshot: Snapshot) -> list[Discrepancy]:
    """Each trader's on-chain holdings against what their LIVE orders reserve (rule 4)."""
    if snapshot.holdings is None:
        return []
    holdings = snapshot.holdings
    short: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cancels: dict[str, list[dict[str, str]]] = defaultdict(list)
    for (owner, asset), rows in sorted(reservations(snapshot).items()):
        reserved = sum(r for _, r in rows)
        held = holdings.get((owner, asset), 0)
        if held >= reserved:
            continue
        short[owner].append(
            {
                "asset_id": str(asset),
                "balance": str(held),
                "reserved": str(reserved),
                "orders": [{"order_id": o.order_id, "remaining": str(r)} for o, r in rows],
            }
        )
        left = reserved
        for o, r in reversed(rows):  # newest first, until the rest fits
            if left <= held:
                break
            cancels[owner].append(_cancel(o))
            left -= r
    return [
        Discrepancy(
            Kind.BALANCE_BELOW_RESERVED,
            owner,
            {"source": snapshot.holdings_source, "shortfalls": short[owner], "cancel": cancels[owner]},
        )
        for owner in sorted(short)
    ]


def reconcile(snapshot: Snapshot) -> list[Discrepancy]:
    """Every rule, sorted by (kind, subject)."""
    found = check_trades(snapshot) + check_orders(snapshot) + check_balances(snapshot)
    return sorted(found, key=lambda d: d.key)


def orders_to_cancel(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(order id, maker) pairs the book should cancel for a discrepancy (empty when there is nothing to do)."""
    return [(str(c["order_id"]), str(c["maker"])) for c in evidence.get("cancel", ())]


__all__ = [
    "BUY",
    "COLLATERAL",
    "CONFIRMED",
    "EXCHANGE_TAKER",
    "FAILED",
    "LIVE",
    "MATCHED",
    "MINED",
    "RETRYING",
    "SELL",
    "BookOrder",
    "BookTrade",
    "ChainCancel",
    "ChainFill",
    "ChainMatch",
    "ChainNonce",
    "Discrepancy",
    "FillKey",
    "Kind",
    "MakerLeg",
    "MatchKey",
    "Snapshot",
    "assets",
    "book_making",
    "check_balances",
    "check_orders",
    "check_trades",
    "orders_to_cancel",
    "reconcile",
    "reservations",
]
