"""The obligations ledger (`clob.service.obligations`) against a simulated chain and settlement store.

The property: whatever fills, settlements in blocks, reorgs of unconfirmed blocks, confirmations, failures,
restarts (a rebuild from the store), passing time and polls happen, for any balance read at any block ``b`` (taken
while ``b`` was the head) that the ledger does not refuse as stale, what it lets a trader spend — the read minus the
obligations it counts — is never more than the chain's balance at the head minus what the trader truly still owes
(fills matched and not on chain).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from clob.engine import Address, BaseUnits, Engine, MarketId, MatchType, OrderId, Pips, Seq, Side, TokenId, Trade
from clob.engine.events import MakerFill
from clob.service.chain_view import COLLATERAL, CachedChainView, Holding
from clob.service.obligations import NOT_ENOUGH_BALANCE, STALE_BALANCE, Obligations, Reservation, trade_legs
from clob.service.projections import trade_to_json
from settlement.model import TxStatus
from store.queries.obligations import OpenTrade, TxState

TOKEN = 7
OWNERS = (Address("ann"), Address("ben"))
KEYS = [(o, a) for o in OWNERS for a in (COLLATERAL, TOKEN)]
START = 1_000


def fill(n: int, taker: Address, maker: Address, taker_buys: bool, shares: int, cost: int) -> Trade:
    """A COMPLEMENTARY trade of ``shares`` YES for ``cost`` collateral between two owners."""
    taker_side, maker_side = (Side.BUY, Side.SELL) if taker_buys else (Side.SELL, Side.BUY)
    taker_gives, maker_gives = (cost, shares) if taker_buys else (shares, cost)
    maker_fill = MakerFill(
        OrderId(f"m{n}"),
        maker,
        TokenId(TOKEN),
        maker_side,
        MatchType.COMPLEMENTARY,
        Pips(5000),
        BaseUnits(maker_gives),
        BaseUnits(taker_gives),
        BaseUnits(0),
    )
    return Trade(
        f"t{n}",
        Seq(n),
        MarketId("m"),
        OrderId(f"o{n}"),
        taker,
        TokenId(TOKEN),
        taker_side,
        BaseUnits(taker_gives),
        BaseUnits(maker_gives),
        BaseUnits(0),
        (maker_fill,),
    )


@dataclass
class Tx:
    tx_id: int
    trade_id: str
    status: TxStatus = TxStatus.PENDING
    block: int | None = None
    updated_ms: int = 0


@dataclass
class Store:
    """The settlement tables as the ledger reads them (`store.queries.obligations.SettlementProgress`)."""

    trades: dict[str, Trade] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # MATCHED | MINED | CONFIRMED | FAILED | RETRYING
    owner_tx: dict[str, int] = field(default_factory=dict)
    txs: dict[int, Tx] = field(default_factory=dict)

    def state(self, tx: Tx) -> TxState:
        return TxState(tx.tx_id, tx.status, tx.block, tx.updated_ms)

    def transactions(self, ids: Collection[int], after_id: int) -> list[TxState]:
        return [self.state(t) for i, t in sorted(self.txs.items()) if i in ids or i > after_id]

    def members(self, tx_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        return {i: (self.txs[i].trade_id,) for i in tx_ids}

    def failed(self, from_seq: int) -> list[str]:
        return [t for t, s in self.status.items() if s == "FAILED" and self.trades[t].seq >= from_seq]

    def open_trades(self, confirmed_since_ms: int) -> tuple[list[OpenTrade], int, list[TxState]]:
        out, forgotten_ms, follow = [], 0, []
        for t in self.txs.values():
            recent = t.status == TxStatus.CONFIRMED and t.updated_ms >= confirmed_since_ms
            if t.status in (TxStatus.PENDING, TxStatus.MINED, TxStatus.REVERTED) or recent:
                follow.append(self.state(t))
            elif t.status == TxStatus.CONFIRMED:
                forgotten_ms = max(forgotten_ms, t.updated_ms)
        for trade_id, trade in self.trades.items():
            status = self.status[trade_id]
            tx = self.txs.get(self.owner_tx.get(trade_id, -1))
            if status in ("MATCHED", "RETRYING", "MINED"):
                out.append(OpenTrade(trade_id, trade_to_json(trade), trade.seq, None))
            elif status == "CONFIRMED" and tx is not None and tx.updated_ms >= confirmed_since_ms:
                out.append(OpenTrade(trade_id, trade_to_json(trade), trade.seq, self.state(tx)))
        return out, forgotten_ms, follow

    def last_tx_id(self) -> int:
        return max(self.txs, default=0)


class LedgerAgainstTheChain(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now_ms = 1_000_000_000
        self.store = Store()
        self.ledger = self._ledger()
        self.head = 0
        self.history: list[dict[tuple[str, int], int]] = [dict.fromkeys(KEYS, START)]  # balances per block
        self.times = [self.now_ms]  # when each block was mined
        self.included: dict[str, int] = {}  # trade id -> block it is in, on the canonical chain
        self.n = 0

    def _ledger(self) -> Obligations:
        return Obligations(self.store, retention_s=5.0, poll_s=0.0, repoll_s=0.0, clock=lambda: self.now_ms / 1000)

    @initialize()
    def load(self) -> None:
        self.ledger.load()

    # --- what truly is --------------------------------------------------------------------------------------
    def owed(self, key: tuple[str, int]) -> int:
        """What ``key`` still has to give: fills neither on chain nor FAILED."""
        return sum(
            amount
            for trade_id, trade in self.store.trades.items()
            if trade_id not in self.included and self.store.status[trade_id] != "FAILED"
            for k, amount in trade_legs(trade)
            if k == key
        )

    def _mine_block(self, moves: dict[tuple[str, int], int]) -> None:
        balances = dict(self.history[-1])
        for key, delta in moves.items():
            balances[key] += delta
        self.history.append(balances)
        self.now_ms += 1
        self.times.append(self.now_ms)
        self.head += 1

    # --- rules ----------------------------------------------------------------------------------------------
    @rule(taker=st.integers(0, 1), buys=st.booleans(), shares=st.integers(1, 300), cost=st.integers(1, 300))
    def match(self, taker: int, buys: bool, shares: int, cost: int) -> None:
        self.n += 1
        trade = fill(self.n, OWNERS[taker], OWNERS[1 - taker], buys, shares, cost)
        self.store.trades[trade.trade_id] = trade
        self.store.status[trade.trade_id] = "MATCHED"
        self.ledger.record(trade.trade_id, trade, trade.seq)

    def _unsettled(self) -> list[str]:
        return [t for t, s in self.store.status.items() if s in ("MATCHED", "RETRYING")]

    @precondition(lambda self: bool(self._unsettled()))
    @rule(pick=st.integers(0, 10**6))
    def mine(self, pick: int) -> None:
        """The batcher's transaction for one trade is mined in a new block."""
        unsettled = self._unsettled()
        trade_id = unsettled[pick % len(unsettled)]
        moves: dict[tuple[str, int], int] = {}
        for key, amount in trade_legs(self.store.trades[trade_id]):
            moves[key] = moves.get(key, 0) - amount
        self._mine_block(moves)
        tx_id = self.store.owner_tx.get(trade_id)
        if tx_id is None or self.store.txs[tx_id].status == TxStatus.ABANDONED:
            tx_id = self.store.last_tx_id() + 1
            self.store.txs[tx_id] = Tx(tx_id, trade_id)
            self.store.owner_tx[trade_id] = tx_id
        tx = self.store.txs[tx_id]
        tx.status, tx.block, tx.updated_ms = TxStatus.MINED, self.head, self.now_ms
        self.store.status[trade_id] = "MINED"
        self.included[trade_id] = self.head

    def _mined(self) -> list[str]:
        return [t for t, s in self.store.status.items() if s == "MINED"]

    @precondition(lambda self: bool(self._mined()))
    @rule(pick=st.integers(0, 10**6))
    def confirm(self, pick: int) -> None:
        trade_id = self._mined()[pick % len(self._mined())]
        tx = self.store.txs[self.store.owner_tx[trade_id]]
        tx.status, tx.updated_ms = TxStatus.CONFIRMED, self.now_ms
        self.store.status[trade_id] = "CONFIRMED"

    @precondition(lambda self: bool(self._mined()))
    @rule(pick=st.integers(0, 10**6), abandon=st.booleans())
    def reorg(self, pick: int, abandon: bool) -> None:
        """A block holding an unconfirmed settlement is dropped: the chain forgets its moves, the transaction goes
        back to PENDING (or is abandoned), the trade to RETRYING."""
        trade_id = self._mined()[pick % len(self._mined())]
        block = self.included.pop(trade_id)
        moves = dict.fromkeys(KEYS, 0)
        for key, amount in trade_legs(self.store.trades[trade_id]):
            moves[key] += amount
        for balances in self.history[block:]:
            for key, delta in moves.items():
                balances[key] += delta
        tx = self.store.txs[self.store.owner_tx[trade_id]]
        tx.status, tx.block = (TxStatus.ABANDONED if abandon else TxStatus.PENDING), None
        self.store.status[trade_id] = "RETRYING"

    @precondition(lambda self: bool(self._unsettled()))
    @rule(pick=st.integers(0, 10**6))
    def fail(self, pick: int) -> None:
        unsettled = self._unsettled()
        self.store.status[unsettled[pick % len(unsettled)]] = "FAILED"

    @rule()
    def empty_block(self) -> None:
        self._mine_block({})

    @rule(ms=st.sampled_from([50, 500, 2_000, 6_000]))
    def time_passes(self, ms: int) -> None:
        self.now_ms += ms

    @rule()
    def poll(self) -> None:
        self.ledger.poll()

    @rule()
    def restart(self) -> None:
        self.ledger = self._ledger()
        self.ledger.load()

    # --- the property ---------------------------------------------------------------------------------------
    @invariant()
    def never_more_than_the_chain_will_have(self) -> None:
        for key in KEYS:
            truly = self.history[-1][key] - self.owed(key)
            for block in range(self.head + 1):
                read_ms = self.times[block + 1] - 1 if block < self.head else self.now_ms  # the latest it can be
                if self.ledger.stale(read_ms):
                    continue  # refused
                counted = self.ledger.outstanding(key[0], key[1], block)
                assert self.history[block][key] - counted <= truly, (key, block, self.head)

    @invariant()
    def nothing_is_held_once_everything_is_final(self) -> None:
        """Once every trade is FAILED or CONFIRMED and seen, a read at the head is owed nothing (obligations go)."""
        if self._unsettled() or self._mined():
            return
        self.ledger.poll(force=True)
        for key in KEYS:
            assert self.ledger.outstanding(key[0], key[1], self.head) == 0


TestLedgerAgainstTheChain = LedgerAgainstTheChain.TestCase
TestLedgerAgainstTheChain.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- examples ---------------------------------------------------------------------------------------------------


def test_a_seller_owes_what_it_sold_until_a_read_after_the_confirmation() -> None:
    now = [1_000.0]
    store = Store()
    ledger = Obligations(store, retention_s=30.0, poll_s=0.0, repoll_s=0.0, clock=lambda: now[0])
    ledger.load()
    ann, ben = OWNERS
    trade = fill(1, ben, ann, True, shares=100, cost=60)  # ben buys 100 YES from ann for 60
    store.trades["t1"], store.status["t1"] = trade, "MATCHED"
    ledger.record("t1", trade, 1)

    def verdict(owner: Address, asset: int, amount: int, spendable: int, block: int, read_s: float = 0) -> str | None:
        read_ms = int((read_s or now[0]) * 1000)
        return ledger.check(Engine(), Reservation(owner, asset, amount, spendable, block, read_ms))

    assert verdict(ann, TOKEN, 1, 100, 10) == NOT_ENOUGH_BALANCE  # her 100 YES are sold
    assert verdict(ben, COLLATERAL, 41, 100, 10) == NOT_ENOUGH_BALANCE  # 60 of his 100 are owed
    assert verdict(ben, COLLATERAL, 40, 100, 10) is None
    # Mined in block 12: not released (a reorg could still drop it).
    store.txs[1] = Tx(1, "t1", TxStatus.MINED, 12, 1_000_000)
    store.owner_tx["t1"], store.status["t1"] = 1, "MINED"
    ledger.poll()
    assert ledger.outstanding(ann, TOKEN, 12) == 100
    # CONFIRMED in block 12: released for a read at 12 or later, still owed against a read at 11 (which shows
    # the 100 sold, plus 5 she got since).
    store.txs[1].status, store.status["t1"] = TxStatus.CONFIRMED, "CONFIRMED"
    assert verdict(ann, TOKEN, 5, 5, 12) is None
    assert verdict(ann, TOKEN, 5, 105, 11) is None
    assert verdict(ann, TOKEN, 6, 105, 11) == NOT_ENOUGH_BALANCE
    assert ledger.outstanding(ann, TOKEN, 11) == 100
    # Past the retention the trade is forgotten: a read started before the confirmation was seen (1,000 s) is
    # refused as stale, whatever its block; one started after it owes nothing.
    now[0] += 31
    ledger.poll()
    assert ledger.tracked() == 0
    assert verdict(ann, TOKEN, 1, 105, 11, read_s=999.9) == STALE_BALANCE
    assert verdict(ann, TOKEN, 1, 105, 30, read_s=999.9) == STALE_BALANCE
    assert verdict(ann, TOKEN, 5, 5, 12, read_s=1_000.1) is None
    assert ledger.outstanding(ann, TOKEN, 12) == 0


def test_a_failed_trade_releases_its_obligations_for_every_read() -> None:
    store = Store()
    ledger = Obligations(store, poll_s=0.0, repoll_s=0.0)
    ledger.load()
    trade = fill(1, OWNERS[1], OWNERS[0], False, shares=10, cost=4)  # ben sells 10 YES to ann for 4
    store.trades["t1"], store.status["t1"] = trade, "MATCHED"
    ledger.record("t1", trade, 1)
    assert ledger.outstanding(OWNERS[1], TOKEN, 0) == 10
    assert ledger.outstanding(OWNERS[0], COLLATERAL, 0) == 4
    store.status["t1"] = "FAILED"
    ledger.poll()
    assert ledger.outstanding(OWNERS[1], TOKEN, 0) == 0
    assert ledger.outstanding(OWNERS[0], COLLATERAL, 0) == 0
    assert ledger.tracked() == 0


def test_a_refusal_reads_the_settlement_progress_first() -> None:
    """Polls are throttled, but an order is never refused on a view older than ``repoll_s``."""
    now = [0.0]
    store = Store()
    ledger = Obligations(store, poll_s=10.0, repoll_s=0.01, clock=lambda: now[0])
    ledger.load()
    trade = fill(1, OWNERS[1], OWNERS[0], False, shares=10, cost=4)
    store.trades["t1"], store.status["t1"] = trade, "MATCHED"
    ledger.record("t1", trade, 1)
    store.status["t1"] = "FAILED"
    now[0] = 1.0
    ledger.poll()  # throttled: not read yet
    assert ledger.outstanding(OWNERS[1], TOKEN, 0) == 10
    r = Reservation(OWNERS[1], TOKEN, 10, 10, 0, 1_000)
    assert ledger.check(Engine(), r) is None


@pytest.mark.parametrize("confirmed_ago_s", [1.0, 100.0])
def test_a_rebuild_keeps_what_was_confirmed_within_the_retention(confirmed_ago_s: float) -> None:
    now = 10_000.0
    store = Store()
    for n, status in ((1, "MATCHED"), (2, "CONFIRMED"), (3, "FAILED")):
        trade = fill(n, OWNERS[0], OWNERS[1], True, shares=10 * n, cost=n)
        store.trades[trade.trade_id], store.status[trade.trade_id] = trade, status
    store.txs[1] = Tx(1, "t2", TxStatus.CONFIRMED, 40, int((now - confirmed_ago_s) * 1000))
    store.owner_tx["t2"] = 1
    ledger = Obligations(store, retention_s=30.0, clock=lambda: now)
    ledger.load()
    ann = OWNERS[0]
    assert ledger.outstanding(ann, COLLATERAL, 40) == 1  # t1 only: t2 is in block 40, t3 failed
    confirmed_ms = store.txs[1].updated_ms
    if confirmed_ago_s < 30:
        assert ledger.outstanding(ann, COLLATERAL, 39) == 1 + 2
        assert not ledger.stale(confirmed_ms - 1)
    else:  # forgotten: a read from before its confirmation is refused, a later one does not need it
        assert ledger.stale(confirmed_ms - 1)
        assert not ledger.stale(confirmed_ms)


def test_the_chain_view_stamps_a_holding_with_when_its_read_started() -> None:
    class Slow:
        def holding(self, address: str, asset_id: int) -> Holding:
            wall[0] += 5.0  # the read takes 5 s
            return Holding(10, 10, block=42)

        def nonce(self, address: str) -> int:
            return 0

    wall = [1_000.0]
    view = CachedChainView(Slow(), wall_clock=lambda: wall[0])
    held = view.holding("0xabc", COLLATERAL)
    assert (held.spendable, held.block, held.read_ms) == (10, 42, 1_000_000)
