"""A small model of the exchange for the reconciliation rules: a book (orders, trades, settlement) and a chain
(fills, matches, cancellations, nonces, holdings), driven by a list of operations, honest or faulty.

The model keeps its own bookkeeping (which transaction holds which trade, what was tampered with or dropped, per
order what every trade consumed) and predicts, independently of the rules' algorithm, which discrepancies a
snapshot of its final state must show (``expected``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from reconcile.rules import (
    BookOrder,
    BookTrade,
    ChainCancel,
    ChainFill,
    ChainMatch,
    ChainNonce,
    Kind,
    MakerLeg,
    Snapshot,
    assets,
)

EXCHANGE = "0x" + "ee" * 20
OPERATOR = "0x" + "0a" * 20
OWNERS = tuple(f"0x{i + 1:040x}" for i in range(4))
TOKENS = (11, 12)
SETTLED = ("MINED", "CONFIRMED")


@dataclass
class Order:
    order_id: str
    maker: str
    side: str
    token: int
    maker_amount: int
    nonce: int
    status: str
    seq: int
    consumed: int = 0  # by every trade, FAILED ones included (what the engine took)


@dataclass
class Trade:
    trade_id: str
    seq: int
    taker_order: str
    taker: str
    side: str
    token: int
    taker_fill: int
    taker_taking: int
    taker_fee: int
    legs: list[MakerLeg]
    status: str = "MATCHED"
    tx_hash: str = ""
    attempts: set[str] = field(default_factory=set)
    block: int | None = None
    chain_tx: str | None = None  # where its events really are
    logs: tuple[int, ...] = ()  # their log indexes there (fills, then the match)
    tampered: bool = False
    dropped: bool = False
    faulted: bool = False  # at most one fault per trade keeps the prediction simple


@dataclass
class Model:
    orders: list[Order] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    fills: list[ChainFill] = field(default_factory=list)
    matches: list[ChainMatch] = field(default_factory=list)
    cancels: list[ChainCancel] = field(default_factory=list)
    nonces: list[ChainNonce] = field(default_factory=list)
    holdings: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    chain_nonce: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    direct_fills: list[ChainFill] = field(default_factory=list)
    tx_blocks: dict[str, int] = field(default_factory=dict)
    head: int = 0
    counter: int = 0

    # --- helpers ---------------------------------------------------------------------------------------------
    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _hash(self, prefix: str) -> str:
        return "0x" + prefix + f"{self._next():0{64 - len(prefix)}x}"

    def _new_tx(self) -> tuple[str, int]:
        self.head += 1
        tx = self._hash("7")
        self.tx_blocks[tx] = self.head
        return tx, self.head

    def live(self) -> list[Order]:
        return [o for o in self.orders if o.status == "LIVE"]

    def _new_order(self, maker: str, side: str, token: int, amount: int, status: str) -> Order:
        o = Order(self._hash("0"), maker, side, token, amount, self.chain_nonce[maker], status, self._next())
        self.orders.append(o)
        return o

    def _emit(self, t: Trade, tx: str, block: int) -> None:
        log = len([f for f in self.fills if f.tx_hash == tx]) + len([m for m in self.matches if m.tx_hash == tx])
        t.logs = tuple(range(log, log + len(t.legs) + 2))
        for leg in t.legs:
            ma, ta = assets(leg.side, leg.token_id)
            f = ChainFill(
                block, log, tx, EXCHANGE, leg.order_id, leg.maker, t.taker, ma, ta, leg.making, leg.taking, leg.fee
            )
            self.fills.append(f)
            log += 1
        ma, ta = assets(t.side, t.token)
        fee = t.taker_fee
        self.fills.append(
            ChainFill(
                block, log, tx, EXCHANGE, t.taker_order, t.taker, EXCHANGE, ma, ta, t.taker_fill, t.taker_taking, fee
            )
        )
        self.matches.append(
            ChainMatch(block, log + 1, tx, t.taker_order, t.taker, ma, ta, t.taker_fill, t.taker_taking)
        )
        t.chain_tx = tx

    # --- operations ------------------------------------------------------------------------------------------
    def apply(self, op: tuple[Any, ...]) -> None:
        name, a, b, c = op
        live, matched = self.live(), [t for t in self.trades if t.status == "MATCHED" and not t.attempts]
        settled = [t for t in self.trades if t.status in SETTLED and t.chain_tx and not t.faulted]
        if name == "place":
            owner, side, token = OWNERS[a % 4], ("BUY", "SELL")[b % 2], TOKENS[c % 2]
            amount = 1 + (a * 7 + c) % 50
            o = self._new_order(owner, side, token, amount, "LIVE")
            self.holdings[(owner, assets(side, token)[0])] += amount  # funded for it
        elif name == "trade" and live:
            m = live[a % len(live)]
            making = 1 + b % (m.maker_amount - m.consumed)
            taking, fee = 1 + c % 40, c % 3
            taker = OWNERS[(a + 1) % 4]
            side = "SELL" if m.side == "BUY" else "BUY"
            taker_order = self._new_order(taker, side, m.token, taking, "MATCHED")
            taker_order.consumed = taking
            m.consumed += making
            if m.consumed == m.maker_amount:
                m.status = "MATCHED"
            leg = MakerLeg(m.order_id, m.maker, m.side, m.token, making, taking, fee)
            tid = f"trade-{self._next()}"
            self.trades.append(
                Trade(tid, self._next(), taker_order.order_id, taker, side, m.token, taking, making, b % 2, [leg])
            )
        elif name in ("settle", "settle_pending") and matched:
            t = matched[a % len(matched)]
            tx, block = self._new_tx()
            self._emit(t, tx, block)
            t.attempts.add(tx)
            if name == "settle":
                t.status, t.tx_hash, t.block = ("MINED", "CONFIRMED")[b % 2], tx, block
        elif name == "settle_batch" and len(matched) >= 2:
            t1, t2 = matched[a % len(matched)], matched[(a + 1 + b % (len(matched) - 1)) % len(matched)]
            tx, block = self._new_tx()
            for t in (t1, t2):
                self._emit(t, tx, block)
                t.attempts.add(tx)
                t.status, t.tx_hash, t.block = "MINED", tx, block
        elif name == "fail" and matched:
            matched[a % len(matched)].status = "FAILED"
        elif name == "book_cancel" and live:
            live[a % len(live)].status = "CANCELED"
        elif name == "mine":
            self.head += 1 + a % 3
        elif name == "deposit":
            self.holdings[(OWNERS[a % 4], (0, *TOKENS)[b % 3])] += c
        # --- faults ------------------------------------------------------------------------------------------
        elif name == "direct_fill":
            tx, block = self._new_tx()
            if self.orders and b % 2:
                o = self.orders[a % len(self.orders)]
                order_hash, maker, side, token = o.order_id, o.maker, o.side, o.token
            else:
                order_hash, maker, side, token = self._hash("d"), OWNERS[a % 4], "SELL", TOKENS[0]
            ma, ta = assets(side, token)
            f = ChainFill(block, 0, tx, EXCHANGE, order_hash, maker, OPERATOR, ma, ta, 1 + c % 30, 1 + c % 7, 0)
            self.fills.append(f)
            self.direct_fills.append(f)
        elif name in ("tamper", "drop", "fail_settled", "wrong_tx") and settled:
            t = settled[a % len(settled)]
            t.faulted = True
            mine = {(t.chain_tx, i) for i in t.logs}
            if name == "tamper":  # the taker's fee, in its OrderFilled (the log before the match)
                i = next(i for i, f in enumerate(self.fills) if (f.tx_hash, f.log_index) == (t.chain_tx, t.logs[-2]))
                self.fills[i] = replace(self.fills[i], fee=self.fills[i].fee + 1 + c % 5)
                t.tampered = True
            elif name == "drop":
                self.fills = [f for f in self.fills if (f.tx_hash, f.log_index) not in mine]
                self.matches = [m for m in self.matches if (m.tx_hash, m.log_index) not in mine]
                t.dropped = True
            elif name == "fail_settled":
                t.status = "FAILED"
            else:  # the book names another transaction than the one holding it
                t.tx_hash = self._hash("b")
        elif name == "chain_cancel" and self.orders:
            o = self.orders[a % len(self.orders)]
            tx, block = self._new_tx()
            self.cancels.append(ChainCancel(block, 0, tx, o.order_id))
        elif name == "bump_nonce":
            owner = OWNERS[a % 4]
            self.chain_nonce[owner] += 1
            tx, block = self._new_tx()
            self.nonces.append(ChainNonce(block, 0, owner, self.chain_nonce[owner]))
        elif name == "withdraw":
            key = (OWNERS[a % 4], (0, *TOKENS)[b % 3])
            self.holdings[key] = max(0, self.holdings[key] - 1 - c % 20)

    # --- the snapshot and the prediction ---------------------------------------------------------------------
    def snapshot(self, depth: int) -> Snapshot:
        return Snapshot(
            confirmed_block=self.head - depth,
            trades=tuple(
                BookTrade(
                    t.trade_id,
                    t.seq,
                    t.status,
                    t.tx_hash,
                    frozenset(t.attempts),
                    t.block,
                    t.taker_order,
                    t.taker,
                    t.side,
                    t.token,
                    t.taker_fill,
                    t.taker_taking,
                    t.taker_fee,
                    tuple(t.legs),
                )
                for t in self.trades
            ),
            orders=tuple(
                BookOrder(o.order_id, o.maker, o.side, o.token, o.maker_amount, o.nonce, o.status, o.seq)
                for o in self.orders
            ),
            fills=tuple(self.fills),
            matches=tuple(self.matches),
            cancellations=tuple(self.cancels),
            nonces=tuple(self.nonces),
            holdings=dict(self.holdings),
            holdings_source="model",
        )

    def expected(self, depth: int) -> set[tuple[str, str]]:
        cb = self.head - depth
        out: set[tuple[str, str]] = set()
        for t in self.trades:
            confirmed_events = t.chain_tx is not None and self.tx_blocks[t.chain_tx] <= cb
            settled = confirmed_events and not t.tampered and not t.dropped
            checkable = t.status in SETTLED and t.block is not None and t.block <= cb
            if settled:
                if t.status == "FAILED":
                    out.add((Kind.TRADE_FAILED_BUT_SETTLED, t.trade_id))
                elif checkable and t.tx_hash != t.chain_tx:
                    out.add((Kind.TRADE_TX_MISMATCH, t.trade_id))
            elif checkable:
                kind = Kind.TRADE_EVENTS_MISMATCH if t.tampered and not t.dropped else Kind.TRADE_NOT_ON_CHAIN
                out.add((kind, t.trade_id))
        for f in self.direct_fills:
            if f.block_number <= cb:
                out.add((Kind.FILL_WITHOUT_TRADE, f"{f.tx_hash}:{f.log_index}"))

        on_chain: dict[str, int] = defaultdict(int)
        for f in self.fills:
            if f.block_number <= cb:
                on_chain[f.order_hash] += f.making
        by_book: dict[str, int] = defaultdict(int)
        for t in self.trades:
            if t.status != "FAILED":
                by_book[t.taker_order] += t.taker_fill
                for leg in t.legs:
                    by_book[leg.order_id] += leg.making
        latest_nonce = {n.maker: n.nonce for n in self.nonces if n.block_number <= cb}
        cancelled = {c.order_hash for c in self.cancels if c.block_number <= cb}
        reserved: dict[tuple[str, int], int] = defaultdict(int)
        for o in self.orders:
            if on_chain[o.order_id] > by_book[o.order_id]:
                out.add((Kind.ORDER_OVERFILLED_ON_CHAIN, o.order_id))
            if o.status != "LIVE":
                continue
            if o.order_id in cancelled:
                out.add((Kind.ORDER_CANCELLED_ON_CHAIN, o.order_id))
            if o.nonce < latest_nonce.get(o.maker, 0):
                out.add((Kind.ORDER_NONCE_INVALIDATED, o.order_id))
            reserved[(o.maker, assets(o.side, o.token)[0])] += o.maker_amount - o.consumed
        for (owner, asset), amount in reserved.items():
            if self.holdings.get((owner, asset), 0) < amount:
                out.add((Kind.BALANCE_BELOW_RESERVED, owner))
        return out


HONEST = ("place", "trade", "settle", "settle_pending", "settle_batch", "fail", "book_cancel", "mine", "deposit")
FAULTS = (
    "direct_fill",
    "tamper",
    "drop",
    "fail_settled",
    "wrong_tx",
    "chain_cancel",
    "bump_nonce",
    "withdraw",
)
