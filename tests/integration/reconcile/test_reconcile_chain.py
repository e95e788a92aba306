"""Reconciliation on anvil, SQLite and PostgreSQL: real trades settled by the batcher and indexed by the follower.

- A clean run over every match type (fees on and off, multi-maker batches) reports nothing, and is not vacuous:
  every trade, fill, LIVE order and trader is looked at; the book's reservations equal the engine's and the indexed
  holdings equal the chain's.
- A fill made directly on chain by the operator key (``fillOrder`` of a signed order the book never saw) is
  flagged, and so is a direct fill of a LIVE book order (overfilled on chain).
- An on-chain cancel of a LIVE order, a bumped nonce and a balance moved away under a LIVE order are flagged; the
  book feedback hook cancels those orders through the sequencer and the next run resolves the discrepancies.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web3 import Web3

from chain.exchange import Side, order_tuple
from chain.markets import fund_account
from clob.engine import Engine, Reserved
from clob.engine.types import Address
from clob.service.chain_view import CachedChainView, Web3ChainState
from indexer import Indexer, IndexerConfig, RpcSource
from reconcile.api import router
from reconcile.cli import main
from reconcile.hooks import book_feedback_hook
from reconcile.rules import Kind, reservations
from reconcile.runs import Reconciler
from reconcile.snapshot import IndexedHoldings, ViewHoldings, load_snapshot
from store.queries.reconciliation import list_discrepancies
from store.schema import orders
from tests.integration.settlement.test_match_types import make_trades
from tests.integration.settlement.world import USDC, World

pytestmark = pytest.mark.chain

BUY, SELL = Side.BUY, Side.SELL
YES, NO = 0, 1
CONFIRMATIONS = 2


def index(world: World) -> None:
    """Bury everything under the confirmation depth and index the chain up to its head."""
    world.anvil.mine(CONFIRMATIONS)
    config = IndexerConfig.from_manifest(world.manifest, confirmations=CONFIRMATIONS, reorg_window=32)
    source = RpcSource(world.anvil.url)
    try:
        Indexer(world.db, source, config).run_until_synced()
    finally:
        source.close()


def settle(world: World) -> None:
    world.settle(world.batcher())
    world.reset_nonces()


def engine_reserved(world: World, owner: str) -> dict[int, int]:
    """What the engine itself reserves for ``owner`` (read on the sequencer thread), per asset."""

    def read(engine: Engine) -> Reserved:
        return engine.reserved(Address(owner))

    reserved: Reserved = world.sequencer.inspect(read).result(timeout=10)
    out = {0: int(reserved.collateral)} if reserved.collateral else {}
    return out | {int(t): int(v) for t, v in reserved.tokens.items() if v}


def order_status(world: World, order_id: str) -> str:
    with world.db.engine.connect() as conn:
        return str(conn.execute(orders.select().where(orders.c.order_id == order_id)).one().status)


def test_clean_run_reports_nothing_after_real_trades(world: World) -> None:
    for market in (0, 1):
        make_trades(world, market)
    world.place(0, 0, YES, SELL, 90, 7)  # resting: LIVE orders reserve tokens and collateral
    world.place(1, 1, NO, BUY, 5, 11)
    settle(world)
    assert set(world.statuses().values()) == {"CONFIRMED"}
    index(world)

    result = Reconciler(world.db).run_once()
    assert result.discrepancies == ()
    trade_rows = world.trade_rows()
    fills = sum(1 + len(p["makers"]) for p in world.payloads())
    assert result.stats["trades"] == len(trade_rows) >= 10
    assert result.stats["fills"] == fills
    assert result.stats["matches"] == len(trade_rows)
    assert result.stats["owners"] >= 2

    # The rules' view of the book and the chain is the engine's and the chain's.
    snapshot, _ = load_snapshot(world.db, IndexedHoldings(world.db))
    reserved = reservations(snapshot)
    assert snapshot.holdings is not None
    chain = world.balances()
    for owner in {o for o, _ in reserved}:
        mine = {asset: sum(r for _, r in rows) for (o, asset), rows in reserved.items() if o == owner}
        assert mine == engine_reserved(world, owner)
        for asset in mine:
            assert snapshot.holdings[(owner, asset)] == chain[(owner, asset)]
    c = world.manifest.contracts
    view = CachedChainView(Web3ChainState(world.w3, c["collateral"], c["ctf"], c["exchange"]))
    amounts = {key: sum(r for _, r in rows) for key, rows in reserved.items()}
    assert ViewHoldings(view).holdings(amounts) == {key: chain[key] for key in amounts}  # allowances unlimited

    again = Reconciler(world.db).run_once()
    assert (again.run_id, again.discrepancies, again.opened) == (result.run_id + 1, (), ())
    assert list_discrepancies(world.db, resolved=None) == []
    assert main(["--db", world.db_url, "--json"]) == 0

    # The explorer API over the same data.
    app = FastAPI()
    app.state.indexer_db = world.db
    app.include_router(router)
    client = TestClient(app)
    all_fills = []
    for tx in sorted({r.transaction_hash for r in trade_rows}):
        body = client.get(f"/chain/trades/tx/{tx}").json()
        in_tx = [r for r in trade_rows if r.transaction_hash == tx]
        assert {t["trade_id"] for t in body["trades"]} == {r.trade_id for r in in_tx}
        assert len(body["matches"]) == len(in_tx)
        all_fills += body["fills"]
    assert len(all_fills) == fills
    trader = world.traders[2].address
    page = client.get(f"/chain/trades/user/{trader}", params={"limit": 2}).json()
    rest = client.get(f"/chain/trades/user/{trader}", params={"before": page["next_before"], "limit": 1000}).json()
    mine_fills = [f for f in all_fills if trader.lower() in (f["maker"], f["taker"])]
    assert len(page["data"]) == 2
    assert len(page["data"]) + len(rest["data"]) == len(mine_fills)
    condition = "0x" + world.markets[1].condition_id.hex()
    assert client.get(f"/chain/trades/market/{condition}", params={"confirmed_only": "true"}).json()["data"]
    assert client.get(f"/chain/markets/{condition}/resolution").json()["prepared"] is True
    held = client.get(f"/chain/positions/{trader}").json()["positions"]
    assert {int(p["token_id"]): int(p["balance"]) for p in held} == {
        a: b for (h, a), b in chain.items() if h == trader.lower() and a != 0 and b
    }
    status = client.get("/chain/status").json()
    assert status["reconciliation"]["found"] == 0
    assert status["last_indexed_block"] == world.head()
    assert client.get("/chain/discrepancies").json() == {"data": [], "next_offset": None}
    assert client.get("/chain/positions/0x12").status_code == 400
    assert "error" in client.get("/chain/discrepancies", params={"kind": "NOPE"}).json()


def test_a_fill_made_directly_on_chain_by_the_operator_is_flagged(world: World) -> None:
    world.place(0, 0, YES, SELL, 60, 20)
    world.place(1, 0, YES, BUY, 60, 20)  # a normal trade, settled: not flagged
    resting, _ = world.place(2, 0, YES, SELL, 70, 30)  # LIVE in the book
    settle(world)
    op = world.operator
    fund_account(op, op, world.usdc, world.ctf, world.exchange.address, 1_000 * USDC)
    outside = world.order(3, 0, YES, SELL, 40, 10)  # signed, never submitted to the book
    receipt = op.transact(world.exchange.functions.fillOrder(order_tuple(outside), 10 * USDC))
    direct_tx = "0x" + bytes(receipt["transactionHash"]).hex()
    op.transact(world.exchange.functions.fillOrder(order_tuple(world.placed[resting]), 5 * USDC))
    index(world)

    result = Reconciler(world.db).run_once()
    by_kind = {(str(d.kind), d.subject): d for d in result.discrepancies}
    fills = [d for d in result.discrepancies if d.kind == Kind.FILL_WITHOUT_TRADE]
    assert len(fills) == 2
    direct = next(d for d in fills if d.subject.startswith(direct_tx + ":"))
    assert direct.evidence["order_hash"] == world.order_id(outside)
    assert direct.evidence["maker"] == world.traders[3].address.lower()
    assert (direct.evidence["making"], direct.evidence["claimed_by"]) == (str(10 * USDC), [])
    over = by_kind[(Kind.ORDER_OVERFILLED_ON_CHAIN, resting)]
    assert (over.evidence["chain_filled"], over.evidence["book_filled"]) == (str(5 * USDC), "0")
    assert over.evidence["cancel"] == [{"order_id": resting, "maker": world.traders[2].address.lower()}]
    assert len(result.discrepancies) == 3, result.discrepancies

    # Stored once, refreshed by later runs; the CLI and the API show them.
    again = Reconciler(world.db).run_once()
    assert again.opened == ()
    assert len(again.discrepancies) == 3
    stored = list_discrepancies(world.db)
    assert len(stored) == 3
    assert {(s.first_run_id, s.run_id) for s in stored} == {(result.run_id, again.run_id)}
    assert main(["--db", world.db_url, "--list"]) == 2
    app = FastAPI()
    app.state.indexer_db = world.db
    app.include_router(router)
    listed = TestClient(app).get("/chain/discrepancies", params={"kind": "FILL_WITHOUT_TRADE"}).json()["data"]
    assert {d["subject"] for d in listed} == {d.subject for d in fills}


def test_chain_cancel_nonce_and_balance_are_flagged_and_fed_back_to_the_book(world: World) -> None:
    cancelled, _ = world.place(0, 0, YES, SELL, 70, 10)
    stale, _ = world.place(1, 0, NO, BUY, 20, 10)
    short, _ = world.place(2, 1, YES, SELL, 80, 25)
    fine, _ = world.place(3, 1, NO, SELL, 90, 5)
    t0, t1, t2 = world.traders[0], world.traders[1], world.traders[2]
    t0.transact(world.exchange.functions.cancelOrder(order_tuple(world.placed[cancelled])))
    t1.transact(world.exchange.functions.incrementNonce())
    yes = world.markets[1].yes
    held = int(world.ctf.functions.balanceOf(t2.address, yes).call())
    sink = Web3.to_checksum_address("0x" + "ee" * 20)
    t2.transact(world.ctf.functions.safeTransferFrom(t2.address, sink, yes, held - 10 * USDC, b""))
    index(world)

    reconciler = Reconciler(world.db)
    hooked: list[tuple[str, str]] = []
    reconciler.add_hook(lambda kind, subject, _evidence: hooked.append((kind, subject)))
    reconciler.add_hook(book_feedback_hook(world.sequencer), repeat=True)
    first = reconciler.run_once()
    keys = {d.key for d in first.discrepancies}
    assert keys == {
        (Kind.ORDER_CANCELLED_ON_CHAIN, cancelled),
        (Kind.ORDER_NONCE_INVALIDATED, stale),
        (Kind.BALANCE_BELOW_RESERVED, t2.address.lower()),
    }
    assert sorted(hooked) == sorted(keys)
    shortfall = next(d for d in first.discrepancies if d.kind == Kind.BALANCE_BELOW_RESERVED).evidence
    assert shortfall["shortfalls"] == [
        {
            "asset_id": str(yes),
            "balance": str(10 * USDC),
            "reserved": str(25 * USDC),
            "orders": [{"order_id": short, "remaining": str(25 * USDC)}],
        }
    ]
    # The hook cancelled the three orders in the book (through the sequencer, journaled); the fourth is intact.
    assert [order_status(world, o) for o in (cancelled, stale, short, fine)] == ["CANCELED"] * 3 + ["LIVE"]

    second = reconciler.run_once()
    assert second.discrepancies == ()
    assert sorted(second.resolved) == sorted(keys)
    resolved = list_discrepancies(world.db, resolved=True)
    assert {(r.kind, r.subject) for r in resolved} == keys
    assert all(r.resolved_at_ms is not None and r.last_seen_ms <= r.resolved_at_ms for r in resolved)
