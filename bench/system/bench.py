"""``python -m bench.system.bench`` (``make bench-system``): the whole stack as ``make run`` starts it (real chain
reads for balances, real settlement with 1 s blocks, indexer and reconciler running), no faults, no stubs.

    python -m bench.system.bench [--phase-seconds 120] [--intake-seconds 30] [--seed 15]

Phases (the soak's market maker keeps cancelling and re-posting its 10-order ladder on the demo market throughout):

0. calibration: crossing pairs at a modest rate until their settlements give ``gas_per_fill``; the chain's fill
   capacity is then block gas limit / block time / gas per fill;
1. intake: pre-signed resting (non-crossing) orders in batches of 15 over 16 connections, as fast as they are
   answered: ``orders_per_s`` (acknowledged signed orders);
2. under capacity: crossing pairs (60 % COMPLEMENTARY, 20 % MINT, 20 % MERGE) paced at 70 % of the capacity:
   settle p50/p99 (the taker's answer to CONFIRMED seen in the database, 0.25 s polls), backlog over time;
3. overload: pairs paced at 150 % of the capacity: the share of each block's gas used by our settlements;
4. drain, then the soak's invariants that apply without faults: every trade terminal, balances exactly once,
   no FAILED trade (nobody moves funds here: a failure means an over-committed trader), no open discrepancy,
   replay hash = live hash, no 5xx.

The last line is one JSON object (keys in the issue: ``orders_per_s`` ... ``violations``) plus per-phase detail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.bench_api import _l1_headers
from bench.system import invariants as inv
from bench.system.__main__ import log, patch_py_clob
from bench.system.chain import USDC, Chain, MarketInfo
from bench.system.load import Account, PairLoad, Spec, closed_loop, pair_specs, post_orders_request, sign_all
from bench.system.stack import Stack
from bench.system.traders import Context, MarketMaker
from chain.anvil import dev_key, rpc_call
from chain.deploy import Manifest
from orders import Side

BLOCK_TIME_S = 1.0
PER_TICK = 15


class Sampler(threading.Thread):
    """Every 0.25 s: trades newly CONFIRMED/FAILED (first-seen time), backlog (non-terminal trades) and indexer lag."""

    def __init__(self, db: inv.Db, api_url: str, rpc_url: str) -> None:
        super().__init__(name="sampler", daemon=True)
        self.db = db
        self.api_url = api_url
        self.rpc_url = rpc_url
        self.stop = threading.Event()
        self.terminal_at: dict[str, tuple[str, float]] = {}
        self.backlog: list[tuple[float, int]] = []
        self.indexer_lag: list[tuple[float, int]] = []

    def run(self) -> None:
        last_lag = 0.0
        while not self.stop.wait(0.25):
            now = time.time()
            try:
                rows = self.db.rows(
                    "SELECT trade_id, status FROM trades WHERE status IN ('CONFIRMED', 'FAILED') AND last_update >= :t",
                    t=int(now) - 5,
                )
                for r in rows:
                    self.terminal_at.setdefault(r.trade_id, (r.status, now))
                if now - last_lag >= 1.0:
                    last_lag = now
                    n = self.db.rows("SELECT count(*) AS n FROM trades WHERE status NOT IN ('CONFIRMED', 'FAILED')")
                    self.backlog.append((now, int(n[0].n)))
                    status = httpx.get(f"{self.api_url}/chain/status", timeout=5).json()
                    head = int(rpc_call(self.rpc_url, "eth_blockNumber"), 16)  # the chain's head, not the indexer's
                    self.indexer_lag.append((now, head - int(status["last_indexed_block"])))
            except Exception as exc:  # keep sampling
                print(f"sampler: {type(exc).__name__}: {exc}", file=sys.stderr)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def fund_accounts(stack: Stack, chain: Chain, keys: list[str], conditions: list[str]) -> list[Account]:
    for key in keys:  # fresh keys hold no ETH: give them some for their approvals
        rpc_call(stack.rpc_url, "anvil_setBalance", [Account(key, {}).address, hex(10**21)])
    chain.fund(dev_key(0), keys, 5_000_000 * USDC, 2_000_000 * USDC, conditions)
    accounts = []
    for key in keys:
        resp = httpx.post(f"{stack.api_url}/auth/api-key", headers=_l1_headers_for(key, chain), timeout=30)
        resp.raise_for_status()
        accounts.append(Account(key, resp.json()))
    return accounts


def _l1_headers_for(key: str, chain: Chain) -> dict[str, str]:
    if chain.manifest.chain_id != 31337:
        raise RuntimeError("bench_api's L1 helper signs for chain 31337")
    return _l1_headers(key)


def pair_ticks(pairs: list[tuple[Spec, Spec]], signed: list[dict[str, Any]], accounts: dict[str, Account]) -> list[
        tuple[bytes, bytes]]:  # fmt: skip
    """Group pairs by (maker, taker) account into ticks of PER_TICK: one POST /orders of makers, one of takers."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (m, t) in enumerate(pairs):
        groups.setdefault((m.key, t.key), []).append(i)
    ticks = []
    ts = int(time.time())
    chunks = [(k, idx[j : j + PER_TICK]) for k, idx in groups.items() for j in range(0, len(idx), PER_TICK)]
    chunks.sort(key=lambda c: c[1][0])
    for (mk, tk), idx in chunks:
        ticks.append(
            (
                post_orders_request(accounts[mk], [signed[2 * i] for i in idx], ts),
                post_orders_request(accounts[tk], [signed[2 * i + 1] for i in idx], ts),
            )
        )
    return ticks


def run_pairs(
    stack: Stack, chain: Chain, sampler: Sampler, market: MarketInfo, accounts: dict[str, Account], makers: list[str],
    takers: list[str], rate: float, seconds: float, seed: int, salt0: int,
) -> dict[str, Any]:  # fmt: skip
    count = int(rate * seconds) + PER_TICK
    pairs = pair_specs(makers, takers, market.yes, market.no, count, seed, salt0)
    signed = sign_all(stack.ready["chain_id"], stack.ready["exchange"], [s for p in pairs for s in p])
    ticks = pair_ticks(pairs, signed, accounts)
    head0 = chain.head()
    load = PairLoad(stack.api_port, ticks, PER_TICK, rate)
    t0 = time.time()
    elapsed = asyncio.run(load.run(seconds))
    t1 = time.time()
    head1 = chain.head()
    return {
        "offered_fills_per_s": round(rate, 1),
        "seconds": round(elapsed, 1),
        "orders_accepted": load.tally.accepted,
        "orders_refused": load.tally.refused,
        "orders_matched_on_arrival": load.tally.matched,
        "refusals": load.tally.refusals,
        "server_errors": load.tally.server_errors,
        "client_late_s": round(load.late_s, 2),
        "window": (t0, t1, head0, head1),
        "matched_at": load.matched_at,
    }


def settle_stats(phase: dict[str, Any], sampler: Sampler, db: inv.Db, chain: Chain, gas_limit: int) -> None:
    t0, t1, head0, head1 = phase.pop("window")
    matched_at: dict[str, float] = phase.pop("matched_at")
    fills = _fills(db, list(matched_at))
    # a trade never confirmed counts as infinitely late (it is in the denominator of the percentiles)
    lat = [sampler.terminal_at[t][1] - m if sampler.terminal_at.get(t, ("", 0.0))[0] == "CONFIRMED" else float("inf")
           for t, m in matched_at.items()]  # fmt: skip
    phase["trades_matched"] = len(matched_at)
    phase["fills_matched"] = sum(fills.values())
    phase["fills_per_s_matched"] = round(sum(fills.values()) / phase["seconds"], 1)
    phase["trades_confirmed"] = sum(1 for x in lat if x != float("inf"))
    phase["settle_p50_s"] = round(pct(lat, 0.5), 2)
    phase["settle_p99_s"] = round(pct(lat, 0.99), 2)
    confirmed_in = [t for t, (s, at) in sampler.terminal_at.items() if s == "CONFIRMED" and t0 <= at <= t1]
    all_fills = _fills(db, confirmed_in)
    phase["fills_per_s_confirmed"] = round(sum(all_fills.values()) / max(1.0, t1 - t0), 1)
    backlog = [(t, n) for t, n in sampler.backlog if t0 <= t <= t1]
    if len(backlog) >= 4:
        half = len(backlog) // 2
        first = statistics.mean(n for _, n in backlog[:half])
        second = statistics.mean(n for _, n in backlog[half:])
        phase["backlog_first_half"] = round(first)
        phase["backlog_second_half"] = round(second)
        phase["backlog_end"] = backlog[-1][1]
    rows = db.rows("SELECT block_number, gas_used, fill_count FROM settlement_txs WHERE status = 'CONFIRMED' "
                   "AND block_number > :a AND block_number < :b", a=head0 + 2, b=head1)  # fmt: skip
    per_block: dict[int, int] = {}
    for r in rows:
        per_block[int(r.block_number)] = per_block.get(int(r.block_number), 0) + int(r.gas_used)
    blocks = range(head0 + 3, head1)
    shares = [per_block.get(b, 0) / gas_limit for b in blocks]
    phase["block_gas_used_share_mean"] = round(statistics.mean(shares), 3) if shares else None
    phase["block_gas_used_share_median"] = round(pct(shares, 0.5), 3) if shares else None
    phase["blocks"] = len(shares)
    tx_fills = sum(int(r.fill_count) for r in rows)
    phase["gas_per_fill"] = round(sum(int(r.gas_used) for r in rows) / tx_fills) if tx_fills else None


def _fills(db: inv.Db, trade_ids: list[str]) -> dict[str, int]:
    """Maker fills per trade (the payload's makers)."""
    out: dict[str, int] = {}
    for i in range(0, len(trade_ids), 500):
        chunk = trade_ids[i : i + 500]
        marks = ", ".join(f":t{j}" for j in range(len(chunk)))
        rows = db.rows(f"SELECT trade_id, payload FROM trades WHERE trade_id IN ({marks})",
                       **{f"t{j}": t for j, t in enumerate(chunk)})  # fmt: skip
        out.update({r.trade_id: len(json.loads(r.payload)["makers"]) for r in rows})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The whole stack under load, no faults.")
    parser.add_argument("--phase-seconds", type=float, default=float(os.environ.get("BENCH_SYSTEM_PHASE_S", 120)))
    parser.add_argument("--intake-seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("SOAK_API_PORT", 9510)))
    parser.add_argument("--chain-port", type=int, default=int(os.environ.get("SOAK_CHAIN_PORT", 9560)))
    parser.add_argument("--drain-seconds", type=float, default=300.0)
    args = parser.parse_args(argv)
    state = Path(tempfile.mkdtemp(prefix="polyclob-bench-system-"))
    stack = Stack(state, args.api_port, args.chain_port)
    try:
        result = run(stack, args)
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    log(f"starting the stack in {stack.state_dir}")
    ready = stack.start()
    patch_py_clob(ready)
    manifest = Manifest.load(stack.state_dir / "deployment.json")
    chain = Chain(ready["rpc_url"], manifest)
    demo = ready["markets"][0]
    mm_market = MarketInfo(demo["condition_id"], int(demo["token_ids"][0]), int(demo["token_ids"][1]), 0, 50)
    m = chain.create_market(dev_key(0), stack.api_url, stack.admin_token, "bench-system pairs", 0)
    pairs_market = MarketInfo(m.condition_id, m.yes_token, m.no_token, 0, 50)
    m = chain.create_market(dev_key(0), stack.api_url, stack.admin_token, "bench-system intake", 0)
    intake_market = MarketInfo(m.condition_id, m.yes_token, m.no_token, 0, 50)
    import random

    rng = random.Random(args.seed)
    pair_keys = [dev_key(i) for i in range(2, 10)]
    intake_keys = ["0x" + rng.randbytes(32).hex() for _ in range(16)]
    conditions = [pairs_market.condition_id, intake_market.condition_id]
    accounts = {a.key: a for a in fund_accounts(stack, chain, pair_keys + intake_keys, conditions)}
    gas_limit = chain.block_gas_limit()
    ctx = Context(ready["api_url"], ready["chain_id"], ready["exchange"], ready["collateral"], ready["ctf"],
                  [mm_market], chain, t0=time.time())  # fmt: skip
    mm = MarketMaker("mm", dev_key(1), ctx, args.seed)
    mm.login()
    parties = [_Party(f"p{i}", Account(k, {}).address.lower()) for i, k in enumerate(pair_keys)]
    tokens = [*pairs_market.tokens, *intake_market.tokens, *mm_market.tokens]
    initial = {p.address: chain.balances(p.address, tokens) for p in parties}
    db = inv.Db(stack.db_url)
    sampler = Sampler(db, stack.api_url, stack.rpc_url)
    sampler.start()
    mm.start()
    makers, takers = pair_keys[:4], pair_keys[4:]
    result: dict[str, Any] = {}
    try:
        log("calibration: pairs at 40 fills/s for 20 s")
        calib = run_pairs(stack, chain, sampler, pairs_market, accounts, makers, takers, 40, 20, args.seed, 10**6)
        time.sleep(8)
        settle_stats(calib, sampler, db, chain, gas_limit)
        gas_per_fill = calib["gas_per_fill"] or 120_000
        capacity = gas_limit / BLOCK_TIME_S / gas_per_fill
        log(f"gas per fill {gas_per_fill}, chain capacity {capacity:.0f} fills/s; calibration {calib}")
        result["calibration"] = calib

        log(f"intake: resting orders, {args.intake_seconds:.0f}s")
        result["intake"] = intake_phase(stack, intake_market, [accounts[k] for k in intake_keys], args)
        log(f"intake: {result['intake']}")

        for name, share in (("under_capacity", 0.7), ("overload", 1.5)):
            rate = share * capacity
            log(f"{name}: pairs at {rate:.0f} fills/s for {args.phase_seconds:.0f}s")
            salt0 = 10**9 if name == "overload" else 10**8
            phase = run_pairs(stack, chain, sampler, pairs_market, accounts, makers, takers, rate, args.phase_seconds,
                              args.seed + 1, salt0)  # fmt: skip
            log(f"{name}: {len(phase['matched_at'])} trades matched in {phase['seconds']}s")
            result[name] = phase
    finally:
        ctx.stop.set()
        mm.join(10)
    log("draining")
    drain_deadline = time.time() + args.drain_seconds
    findings = [inv.check_trades_terminal(db, drain_deadline)]
    drained_ms = int(time.time() * 1000)
    sampler.stop.set()
    for name in ("under_capacity", "overload"):
        if name in result:
            settle_stats(result[name], sampler, db, chain, gas_limit)
            log(f"{name}: {result[name]}")
    findings.append(inv.check_exactly_once(db, chain, parties, initial, tokens))  # type: ignore[arg-type]
    findings.append(inv.check_failed_trades(db, [], 0.0))
    findings.append(inv.check_discrepancies(stack.api_url, drained_ms))
    findings.append(inv.check_replay(stack))
    h = inv.check_no_5xx([mm])
    for name in ("calibration", "intake", "under_capacity", "overload"):
        h.violations += result.get(name, {}).get("server_errors", 0)
    findings.append(h)
    from bench.system.report import print_findings

    print_findings(findings)
    under, over = result.get("under_capacity", {}), result.get("overload", {})
    lag = [n * BLOCK_TIME_S for _, n in sampler.indexer_lag]
    return {
        "orders_per_s": result["intake"]["orders_per_s"],
        "crossing_share": crossing_share(result),
        "fills_per_s_matched": under.get("fills_per_s_matched"),
        "fills_per_s_confirmed": under.get("fills_per_s_confirmed"),
        "chain_fill_capacity_per_s": round(capacity, 1),
        "block_gas_used_share": over.get("block_gas_used_share_mean"),
        "settle_p50_s": under.get("settle_p50_s"),
        "settle_p99_s": under.get("settle_p99_s"),
        "gas_per_fill": gas_per_fill,
        "indexer_lag_p99_s": round(pct(lag, 0.99), 1),
        "violations": sum(f.violations for f in findings),
        "violations_by_invariant": {f.name: f.violations for f in findings},
        "phases": result,
        "phase_seconds": args.phase_seconds,
        "confirmations": 1,
        "block_time_s": BLOCK_TIME_S,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def crossing_share(result: dict[str, Any]) -> float:
    """Share of the settlement phases' acknowledged orders that traded on arrival (the takers: about half)."""
    phases = [result.get(p, {}) for p in ("under_capacity", "overload")]
    accepted = sum(p.get("orders_accepted", 0) for p in phases)
    return round(sum(p.get("orders_matched_on_arrival", 0) for p in phases) / accepted, 3) if accepted else 0.0


class _Party:
    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.address = address


def intake_phase(stack: Stack, market: MarketInfo, accounts: list[Account], args: argparse.Namespace) -> dict[str, Any]:
    """Resting orders only (bids 0.02-0.44, asks 0.56-0.98 on both tokens: nothing crosses)."""
    import random

    rng = random.Random(args.seed + 7)
    per = int(3_000 * args.intake_seconds / len(accounts)) // PER_TICK * PER_TICK + PER_TICK  # 3k/s, signed ahead
    specs = []
    for a_i, account in enumerate(accounts):
        for i in range(per):
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            token = market.yes if rng.random() < 0.5 else market.no
            cents = rng.randrange(2, 45) if side == Side.BUY else rng.randrange(56, 99)
            specs.append(Spec(account.key, token, side, cents, rng.randrange(5, 50), 10**10 + a_i * 10**6 + i))
    signed = sign_all(stack.ready["chain_id"], stack.ready["exchange"], specs)
    ts = int(time.time())
    streams = []
    for a_i, account in enumerate(accounts):
        mine = signed[a_i * per : (a_i + 1) * per]
        streams.append([post_orders_request(account, mine[j : j + PER_TICK], ts) for j in range(0, per, PER_TICK)])
    requests = [r for group in zip(*streams, strict=True) for r in group]
    tally, elapsed = asyncio.run(closed_loop(stack.api_port, requests, 16, args.intake_seconds))
    return {
        "orders_per_s": round(tally.accepted / elapsed),
        "accepted": tally.accepted,
        "refused": tally.refused,
        "refusals": tally.refusals,
        "server_errors": tally.server_errors,
        "seconds": round(elapsed, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
