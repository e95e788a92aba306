"""Settlement benchmark: fills settled per second and gas per fill at steady state, and match → CONFIRMED latency
in blocks with 1 s blocks.

Usage: ``.venv/bin/python bench/bench_settlement.py [--pairs N] [--latency-trades M] [--confirmations K]
[--write]`` (``make bench-settlement``). The last line is one JSON object with ``fills_per_s``, ``gas_per_fill``
and ``match_to_confirmed_blocks`` (and more). ``--write`` also rewrites ``bench/settlement-results.md``.

The world: a fresh anvil (30M block gas), our contracts from ``build/``, one fee-0 market, eight funded traders,
an SQLite database and the real sequencer producing trades from signed orders; the batcher is the real service
(``SettlementService``: apscheduler, ``RpcChain``, local signing, write-ahead intents), woken by the sequencer's
listener whenever a trade is produced — the wiring the stack uses.

Phases:

1. **Gas per fill by match type** (automine): 50 one-maker trades of one type settled by one ``matchOrdersBatch``;
   ``gasUsed / 50``, next to the same trade alone in its own ``matchOrders``.
2. **Latency** (``evm_setIntervalMining 1``: one block per second): isolated trades at random moments;
   for each, ``head when CONFIRMED - head when matched``. The goal is 1 (the next block) + the confirmation depth.
3. **Throughput** (1 s blocks): N pre-signed pairs (60 % COMPLEMENTARY, 20 % MINT, 20 % MERGE) submitted at once;
   the batcher settles the backlog at full speed. Steady state = the blocks strictly between the first and the
   last block holding our settlements: fills in them / their duration. ``gas_per_fill`` = gasUsed / fills over
   the phase.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest
from chain.exchange import ZERO_ADDRESS, Market, Order, Side, fund_trader, hash_order, prepare_market, sign
from chain.rpc import Signer, connect, contract_at
from clob.engine import CreateMarket, MarketId, OrderType, PlaceOrder, TokenId, Trade
from clob.engine import Side as EngineSide
from clob.engine.types import Address, BaseUnits, OrderId, UnixSeconds
from clob.service.applied import Applied
from clob.service.sequencer import Sequencer
from clob.service.submission import UNSEQUENCED, Submission
from settlement import Batcher, SettlementConfig, SettlementService, create_batcher
from settlement.matches import order_to_json
from store import Database, connect_database
from store.schema.settlement import settlement_txs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "settlement-results.md"
USDC = 10**6
TRADERS = 8
SHARES = 10
KEYS = [dev_key(i + 1) for i in range(TRADERS)]  # HD derivation is slow (~60/s): once


@dataclass
class Bench:
    anvil: Anvil
    w3: Web3
    manifest: Manifest
    db_url: str
    db: Database
    market: Market
    traders: list[Signer]
    sequencer: Sequencer
    salt: int = 1
    head: int = 0
    """the chain head, polled every 20 ms by a thread (listeners must not make RPC calls on the batcher thread)"""
    notify: Callable[[], None] | None = None
    confirmed_at: dict[str, tuple[float, int]] = field(default_factory=dict)

    def order(self, who: int, outcome: int, side: Side, cents: int) -> tuple[str, Order]:
        self.salt += 1
        token = self.market.yes if outcome == 0 else self.market.no
        base, usdc = SHARES * USDC, SHARES * cents * 10_000
        maker_amount, taker_amount = (usdc, base) if side == Side.BUY else (base, usdc)
        addr = self.traders[who].address
        order = Order(self.salt, addr, addr, ZERO_ADDRESS, token, maker_amount, taker_amount, 0, 0, 0, side)
        order = sign(order, KEYS[who], self.manifest.chain_id, self.manifest.contracts["exchange"])
        return "0x" + hash_order(order, self.manifest.chain_id, self.manifest.contracts["exchange"]).hex(), order

    def pair(self, kind: str, i: int) -> list[tuple[str, Order]]:
        """A resting maker and the taker that consumes it exactly (the book is empty again afterwards)."""
        maker, taker = i % TRADERS, (i + 3) % TRADERS
        p = 30 + (i * 7) % 41  # 0.30 .. 0.70
        if kind == "COMPLEMENTARY":
            return [self.order(maker, 0, Side.SELL, p), self.order(taker, 0, Side.BUY, p)]
        if kind == "MINT":
            return [self.order(maker, 1, Side.BUY, 100 - p), self.order(taker, 0, Side.BUY, p)]
        return [self.order(maker, 1, Side.SELL, 100 - p), self.order(taker, 0, Side.SELL, p)]

    def submission(self, oid: str, order: Order) -> Submission:
        now = UnixSeconds(int(time.time()))
        return Submission(
            PlaceOrder(
                UNSEQUENCED,
                now,
                OrderId(oid),
                Address(order.maker.lower()),
                TokenId(order.token_id),
                EngineSide(int(order.side)),
                BaseUnits(order.maker_amount),
                BaseUnits(order.taker_amount),
                0,
                UnixSeconds(0),
                OrderType.GTC,
            ),
            meta={"owner": "bench", "market": "0x" + self.market.condition_id.hex(), "order": order_to_json(order)},
        )

    def place_all(self, orders: list[tuple[str, Order]]) -> None:
        futures = [self.sequencer.submit(self.submission(oid, o)) for oid, o in orders]
        for f in futures:
            out = f.result(timeout=120)
            assert out.rejected is None, out.rejected

    def batcher(self, **overrides: Any) -> Batcher:
        settings: dict[str, Any] = {"confirmations": 2, "poll_interval": 0.05, "flush_interval": 0.1}
        settings.update(overrides)
        return create_batcher(self.manifest, self.db_url, dev_key(0), SettlementConfig(**settings))

    def txs_since(self, since_ms: int) -> list[Any]:
        with self.db.engine.connect() as conn:
            return list(
                conn.execute(
                    select(settlement_txs).where(
                        settlement_txs.c.created_at_ms >= since_ms, settlement_txs.c.status == "CONFIRMED"
                    )
                ).all()
            )


def deploy_built(rpc_url: str) -> Manifest:
    """Deploy from the artifacts in ``build/`` (``make bench-settlement`` builds them first)."""
    w3 = connect(rpc_url)
    signer = Signer.from_key(w3, dev_key(0))
    start = int(w3.eth.block_number)
    usdc = signer.deploy("MockUSDC", signer.address)
    ctf = signer.deploy("ConditionalTokens")
    exchange = signer.deploy("Exchange", usdc.address, ctf.address, ZERO_ADDRESS, ZERO_ADDRESS)
    contracts = {"collateral": str(usdc.address), "ctf": str(ctf.address), "exchange": str(exchange.address)}
    return Manifest(int(w3.eth.chain_id), rpc_url, start + 1, signer.address, signer.address, contracts)


def setup(anvil: Anvil, tmp: Path) -> Bench:
    manifest = deploy_built(anvil.url)
    w3 = connect(anvil.url)
    op = Signer.from_key(w3, dev_key(0))
    usdc = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    market = prepare_market(op, exchange, ctf, usdc.address, b"bench-settlement".ljust(32, b"\0"))
    traders = [Signer.from_key(w3, dev_key(i + 1)) for i in range(TRADERS)]
    for t in traders:
        fund_trader(op, t, usdc, ctf, exchange.address, 10_000_000 * USDC, 5_000_000 * USDC, [market])
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    db = connect_database(db_url)
    sequencer = Sequencer(db, "bench")
    sequencer.start()
    now = UnixSeconds(int(time.time()))
    market_id = MarketId("0x" + market.condition_id.hex())
    yes, no = TokenId(market.yes), TokenId(market.no)
    sequencer.submit(Submission(CreateMarket(UNSEQUENCED, now, market_id, yes, no, 2, BaseUnits(USDC), 0))).result(
        timeout=30
    )
    return Bench(anvil, w3, manifest, db_url, db, market, traders, sequencer)


# -- phase 1: gas per fill by match type ---------------------------------------------------------------------
def gas_by_type(b: Bench, n: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for kind in ("COMPLEMENTARY", "MINT", "MERGE"):
        single: list[tuple[str, Order]] = b.pair(kind, 10_000)
        b.place_all(single)
        batcher = b.batcher(use_batch=False, confirmations=0, flush_interval=0.0)
        since = int(time.time() * 1000)
        settle_now(b, batcher)
        alone = b.txs_since(since)[0].gas_used
        orders = [o for i in range(n) for o in b.pair(kind, 20_000 + i)]
        b.place_all(orders)
        batcher = b.batcher(confirmations=0, flush_interval=0.0, max_trades_per_tx=n, max_gas_per_tx=29_000_000)
        since = int(time.time() * 1000)
        settle_now(b, batcher)
        rows = b.txs_since(since)
        fills = sum(r.fill_count for r in rows)
        out[kind] = {
            "batch_gas_per_fill": round(sum(r.gas_used for r in rows) / fills),
            "match_orders_alone": int(alone),
            "transactions": len(rows),
        }
    return out


def settle_now(b: Bench, batcher: Batcher) -> None:
    batcher.recover()
    for _ in range(200):
        batcher.step(force_flush=True)
        if batcher.idle():
            return
        b.anvil.mine()
    raise RuntimeError("phase 1 did not settle")


# -- phases 2 and 3: the service under 1 s blocks ---------------------------------------------------------------
def watch_head(b: Bench, stop: threading.Event) -> threading.Thread:
    w3 = connect(b.anvil.url)

    def run() -> None:
        while not stop.wait(0.02):
            try:
                b.head = int(w3.eth.block_number)
            except Exception:  # anvil is going away
                return

    b.head = int(w3.eth.block_number)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def start_service(b: Bench, **overrides: Any) -> tuple[SettlementService, Batcher]:
    batcher = b.batcher(**overrides)
    service = SettlementService(batcher)

    def on_confirmed(trade_id: str, status: str, _tx: str) -> None:
        if status == "CONFIRMED":
            b.confirmed_at[trade_id] = (time.monotonic(), b.head)

    batcher.add_listener(on_confirmed)

    def on_applied(item: Applied) -> None:
        if any(isinstance(ev, Trade) for ev in item.events):
            service.notify()

    b.sequencer.add_listener(on_applied)
    service.start()
    return service, batcher


def wait_idle(batcher: Batcher, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if batcher.idle():
            return
        time.sleep(0.1)
    raise RuntimeError(f"not settled within {timeout}s: {batcher.stats}")


def latency(b: Bench, trades: int, rng: random.Random) -> dict[str, Any]:
    blocks: list[int] = []
    seconds: list[float] = []
    for i in range(trades):
        time.sleep(rng.uniform(0.6, 1.7))  # land anywhere within a block interval
        orders = b.pair(("COMPLEMENTARY", "MINT", "MERGE")[i % 3], 30_000 + i)
        b.place_all(orders[:1])
        before = set(b.confirmed_at)
        matched_at, matched_head = time.monotonic(), b.head
        b.place_all(orders[1:])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            new = set(b.confirmed_at) - before
            if new:
                t, head = b.confirmed_at[new.pop()]
                blocks.append(head - matched_head)
                seconds.append(t - matched_at)
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("a latency trade did not confirm")
    return {
        "blocks_median": statistics.median(blocks),
        "blocks_max": max(blocks),
        "blocks_histogram": {str(k): blocks.count(k) for k in sorted(set(blocks))},
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_max": round(max(seconds), 2),
    }


def throughput(b: Bench, pairs: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Match a backlog first (the sequencer and the batcher share one interpreter here, so they would compete
    for the GIL; deployed, the batcher is its own process), then let a fresh service drain it."""
    kinds = ["COMPLEMENTARY"] * 3 + ["MINT", "MERGE"]
    t0 = time.perf_counter()
    orders = [o for i in range(pairs) for o in b.pair(kinds[i % 5], 100_000 + i)]
    signing_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b.place_all(orders)
    matched_s = time.perf_counter() - t0
    since = int(time.time() * 1000)
    start = time.monotonic()
    service, batcher = start_service(b, **settings)
    try:
        wait_idle(batcher, timeout=600)
    finally:
        service.stop()
    wall = time.monotonic() - start
    print(f"batcher: {batcher.stats}", file=sys.stderr)
    rows = b.txs_since(since)
    fills = sum(r.fill_count for r in rows)
    gas = sum(r.gas_used for r in rows)
    by_block: dict[int, int] = {}
    for r in rows:
        by_block[r.block_number] = by_block.get(r.block_number, 0) + r.fill_count
    ordered = sorted(by_block)
    steady = ordered[1:-1] if len(ordered) > 2 else ordered
    span_blocks = steady[-1] - steady[0] + 1
    steady_fills = sum(by_block[n] for n in steady)
    timestamps = {n: int(b.w3.eth.get_block(n)["timestamp"]) for n in (steady[0], steady[-1])}
    span_s = max(1, timestamps[steady[-1]] - timestamps[steady[0]] + 1)
    return {
        "fills": fills,
        "transactions": len(rows),
        "fills_per_tx": round(fills / len(rows), 1),
        "gas_per_fill": round(gas / fills),
        "steady_blocks": span_blocks,
        "steady_fills_per_block": round(steady_fills / span_blocks, 1),
        "steady_fills_per_s": round(steady_fills / span_s, 1),
        "wall_fills_per_s": round(fills / wall, 1),
        "sequencer_match_s": round(matched_s, 2),
        "signing_s": round(signing_s, 2),
        "block_gas_used_max": max(int(b.w3.eth.get_block(n)["gasUsed"]) for n in ordered),
    }


def write_results(result: dict[str, Any], command: str) -> None:
    g = result["gas_by_type"]
    t = result["throughput"]
    lat = result["latency"]
    lines = [
        "# Settlement benchmark",
        "",
        f"Command: `{command}` (`make bench-settlement`). Machine: the shared 2-core dev box (noisy).",
        "",
        "Setup: anvil 1.7.1 (30M block gas), our Exchange from `build/`, one fee-0 market, 8 funded traders,",
        "SQLite, the real sequencer producing trades from signed orders, the real `SettlementService` (apscheduler,",
        f"local signing, write-ahead intents) with confirmations={result['confirmations']}, woken by the",
        "sequencer's listener on every trade. Each trade has one maker fill of 10 shares.",
        "",
        "## Headline",
        "",
        "| metric | value |",
        "|---|---|",
        f"| fills settled per second, steady state (1 s blocks) | {result['fills_per_s']} |",
        f"| gas per fill (mix 60 % COMPLEMENTARY, 20 % MINT, 20 % MERGE, batched) | {result['gas_per_fill']:,} |",
        f"| match → CONFIRMED, median blocks (goal 1 + {result['confirmations']}) |"
        f" {result['match_to_confirmed_blocks']} |",
        f"| match → CONFIRMED, max blocks / median s / max s | {lat['blocks_max']} / {lat['seconds_median']} /"
        f" {lat['seconds_max']} |",
        "",
        "## Throughput (backlog drained at full speed)",
        "",
        f"{t['fills']} fills in {t['transactions']} transactions ({t['fills_per_tx']} fills each); steady state over"
        f" {t['steady_blocks']} blocks: {t['steady_fills_per_block']} fills per block; fullest block used"
        f" {t['block_gas_used_max']:,} gas. Wall clock from the service start to the last CONFIRMED:"
        f" {t['wall_fills_per_s']} fills/s.",
        "",
        "What bounds it: with 30M gas blocks and ~119k gas per fill the chain takes ~250 fills per block; the",
        "batcher reaches that only when its own step (reconcile the in-flight transactions, simulate each new",
        "group with one `eth_call`, write the intent, broadcast) fits in the block time. On this shared 2-core box",
        "(load 4-7 from other jobs) it does not always, so the figure moves with the load (two runs of this",
        "code: 162.5 and 162.4 fills/s; earlier, slower builds under more load: 104-136). Gas limits are the",
        "gas model's upper bounds (~1.4x the gas used here), which caps a block at five 7M-gas transactions.",
        "",
        "## Gas per fill by match type (automine)",
        "",
        "| match type | in `matchOrdersBatch` (50 matches), per fill | alone in `matchOrders` |",
        "|---|---|---|",
    ]
    for kind, v in g.items():
        lines.append(f"| {kind} | {v['batch_gas_per_fill']:,} | {v['match_orders_alone']:,} |")
    lines += [
        "",
        "## Latency histogram (blocks from the head at match to the head at CONFIRMED)",
        "",
        f"Goal: the next block plus the confirmation depth = {result['goal_blocks']}. A trade matched just before a",
        "block is sealed misses it (simulation + intent + broadcast take ~0.1-0.3 s here) and lands one block later.",
        "",
        "| blocks | trades |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in lat["blocks_histogram"].items()],
        "",
        "Raw result (the benchmark's last line):",
        "",
        "```json",
        json.dumps(result, sort_keys=True),
        "```",
        "",
    ]
    RESULTS.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Settlement batcher benchmark.")
    parser.add_argument("--pairs", type=int, default=3000, help="trades in the throughput phase")
    parser.add_argument("--latency-trades", type=int, default=15)
    parser.add_argument("--gas-trades", type=int, default=50)
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--max-in-flight", type=int, default=6)
    parser.add_argument("--max-gas-per-tx", type=int, default=7_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp, Anvil() as anvil:
        b = setup(anvil, Path(tmp))
        try:
            gas = gas_by_type(b, args.gas_trades)
            print(f"gas by type: {gas}", file=sys.stderr)
            anvil.rpc("evm_setIntervalMining", 1)
            stop = threading.Event()
            watch_head(b, stop)
            settings = {
                "confirmations": args.confirmations,
                "max_in_flight": args.max_in_flight,
                "max_gas_per_tx": args.max_gas_per_tx,
                "max_trades_per_tx": 200,
            }
            service, _batcher = start_service(b, **settings)
            try:
                lat = latency(b, args.latency_trades, rng)
                print(f"latency: {lat}", file=sys.stderr)
            finally:
                service.stop()
            try:
                thr = throughput(b, args.pairs, settings)
                print(f"throughput: {thr}", file=sys.stderr)
            finally:
                stop.set()
        finally:
            b.sequencer.stop()
            b.db.dispose()
    result = {
        "fills_per_s": thr["steady_fills_per_s"],
        "gas_per_fill": thr["gas_per_fill"],
        "match_to_confirmed_blocks": lat["blocks_median"],
        "confirmations": args.confirmations,
        "goal_blocks": 1 + args.confirmations,
        "latency": lat,
        "throughput": thr,
        "gas_by_type": gas,
    }
    if args.write:
        write_results(result, ".venv/bin/python bench/bench_settlement.py " + " ".join(argv or sys.argv[1:]))
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
