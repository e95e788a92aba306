"""``python -m bench.system`` (``make soak``): the soak-and-chaos run.

    python -m bench.system [--seconds 90] [--seed 15] [--api-port 9500] [--chain-port 9550] [--state-dir DIR]

1. starts the stack as ``make run`` does, on a fresh state directory;
2. creates a second market (fee 1 %), funds 9 traders (anvil dev accounts 1-9) with USDC and YES + NO of both
   markets, and reads their balances;
3. runs the traders for ``--seconds`` while the faults fire on their seeded schedule;
4. stops the load, waits for the pipeline to drain (every trade terminal, up to 60 s after the last fault or the
   end of the load), lets the indexer and the reconciler catch up, and checks every invariant.

Progress and findings go to stderr; the last stdout line is one JSON object (violations per invariant,
``violations_total``, the faults with their times, throughput). Exit status 1 if any violation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.system import faults as faults_mod
from bench.system import invariants as inv
from bench.system.chain import COLLATERAL, USDC, Chain, MarketInfo
from bench.system.report import client_summary, print_findings, summary
from bench.system.stack import Stack, StackError
from bench.system.traders import Context, Crosser, MarketMaker, Mover, PolyTrader, Trader
from chain.anvil import dev_key
from chain.deploy import Manifest

DRAIN_AFTER_FAULT_S = 60.0
LOGGER = re.compile(r'"logger": ?"([^"]*)"')
FAILED_GRACE_S = 35.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def patch_py_clob(ready: dict[str, Any]) -> None:
    """Point py-clob-client at our contracts (it hard-codes Polygon's): docs/api.md."""
    import py_clob_client.client as client_module
    import py_clob_client.order_builder.builder as builder_module
    from py_clob_client.clob_types import ContractConfig

    ours = ContractConfig(exchange=ready["exchange"], collateral=ready["collateral"], conditional_tokens=ready["ctf"])
    builder_module.get_contract_config = lambda chain_id, neg_risk=False: ours
    client_module.get_contract_config = lambda chain_id, neg_risk=False: ours


def setup_world(stack: Stack, seed: int) -> tuple[Chain, list[MarketInfo]]:
    ready = stack.ready
    manifest = Manifest.load(stack.state_dir / "deployment.json")
    chain = Chain(ready["rpc_url"], manifest)
    demo = ready["markets"][0]
    markets = [MarketInfo(demo["condition_id"], int(demo["token_ids"][0]), int(demo["token_ids"][1]), 0, 50)]
    m = chain.create_market(dev_key(0), stack.api_url, stack.admin_token, f"Soak market with fees ({seed})", 100)
    markets.append(MarketInfo(m.condition_id, m.yes_token, m.no_token, 100, 35))
    return chain, markets


def build_traders(ctx: Context, seed: int, load_s: float) -> list[Trader]:
    yes = ctx.markets[0].yes
    plan1 = [(load_s * 0.25, "revoke", COLLATERAL), (load_s * 0.25 + 15, "restore", COLLATERAL),
             (load_s * 0.55, "move", yes)]  # fmt: skip
    plan2 = [(load_s * 0.35, "move", COLLATERAL), (load_s * 0.6, "revoke", yes), (load_s * 0.6 + 15, "restore", yes)]
    traders: list[Trader] = [
        MarketMaker("mm", dev_key(1), ctx, seed + 1),
        PolyTrader("py1", dev_key(2), ctx, seed + 2, heartbeat=False),
        PolyTrader("py2", dev_key(3), ctx, seed + 3, heartbeat=True),
    ]
    traders += [Crosser(f"x{i}", dev_key(i), ctx, seed + i) for i in range(4, 8)]
    traders += [Mover("mover1", dev_key(8), ctx, seed + 8, plan1), Mover("mover2", dev_key(9), ctx, seed + 9, plan2)]
    return traders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak the whole stack under load and faults; check invariants.")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_S", 90)), help="load duration")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", 15)))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("SOAK_API_PORT", 9500)))
    parser.add_argument("--chain-port", type=int, default=int(os.environ.get("SOAK_CHAIN_PORT", 9550)))
    parser.add_argument("--state-dir", type=Path, default=None, help="fresh directory (default: a temporary one)")
    parser.add_argument("--faults", default=",".join(faults_mod.KINDS), help="fault kinds, comma-separated ('' none)")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    parser.add_argument("--fault-gap", type=float, default=10.0, help="least seconds between two faults")
    args = parser.parse_args(argv)

    state = args.state_dir or Path(tempfile.mkdtemp(prefix="polyclob-soak-"))
    if state.exists() and any(state.iterdir()):
        parser.error(f"{state} is not empty: the soak starts on a fresh state directory")
    stack = Stack(state, args.api_port, args.chain_port)
    started = time.time()
    try:
        result = run(stack, args)
    finally:
        stack.stop()
        if args.state_dir is None and not args.keep:
            shutil.rmtree(state, ignore_errors=True)
    result["wall_s"] = round(time.time() - started, 1)
    print(json.dumps(result), flush=True)
    return 1 if result["violations_total"] else 0


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    log(f"starting the stack in {stack.state_dir} (api {args.api_port}, chain {args.chain_port})")
    ready = stack.start()
    patch_py_clob(ready)
    chain, markets = setup_world(stack, args.seed)
    ctx = Context(ready["api_url"], ready["chain_id"], ready["exchange"], ready["collateral"], ready["ctf"], markets,
                  chain, t0=0.0)  # fmt: skip
    traders = build_traders(ctx, args.seed, args.seconds)
    conditions = [m.condition_id for m in markets]
    # x7 trades on a thin wallet, as the seller did: what it sells must be refused once matched
    # obligations not yet settled cover its balance (defect 1 otherwise over-commits it)
    chain.fund(dev_key(0), [t.key for t in traders if t.name != "x7"], 100_000 * USDC, 50_000 * USDC, conditions)
    chain.fund(dev_key(0), [t.key for t in traders if t.name == "x7"], 300 * USDC, 150 * USDC, conditions)
    tokens = [t for m in markets for t in m.tokens]
    initial = {t.address: chain.balances(t.address, tokens) for t in traders}
    for t in traders:
        t.login()
    kinds = [k for k in args.faults.split(",") if k]
    plan = [f for f in faults_mod.schedule(args.seed, args.seconds) if f.kind in kinds]
    log(f"{len(traders)} traders funded; load {args.seconds:.0f}s; faults {[(f.kind, round(f.at_s)) for f in plan]}")
    ctx.t0 = time.time()
    for t in traders:
        t.start()
    restart_failures: list[str] = []
    previous_end = ctx.t0
    for fault in plan:
        # a fault starts on schedule, but never sooner than --fault-gap seconds after the previous one ended
        delay = max(ctx.t0 + fault.at_s, previous_end + args.fault_gap) - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            faults_mod.inject(fault, stack, chain)
        except StackError as exc:
            fault.ended = time.time()
            restart_failures.append(f"{fault.kind} at +{fault.at_s:.0f}s: {str(exc)[-400:]}")
            break
        previous_end = fault.ended
    remaining = ctx.t0 + args.seconds - time.time()
    if remaining > 0 and not restart_failures:
        time.sleep(remaining)
    ctx.stop.set()
    for t in traders:
        t.join(30)
    load_end = time.time()
    load_s = load_end - ctx.t0
    if restart_failures:
        log(f"the stack did not come back: {restart_failures[0]}")
        restart = inv.Finding("restart", len(restart_failures), restart_failures)
        print_findings([restart])
        return summary([restart], plan, {"load_s": round(load_s, 1)}, {"seed": args.seed, "clients":
                       client_summary(traders), "not_checked": "a-h: the stack is down"})  # fmt: skip
    log(f"load stopped after {load_s:.0f}s; draining")
    last_fault = max([f.ended for f in plan], default=ctx.t0)
    db = inv.Db(stack.db_url)
    findings = [inv.check_trades_terminal(db, max(last_fault + DRAIN_AFTER_FAULT_S, load_end + 30))]
    drained_ms = int(time.time() * 1000)
    findings.append(inv.check_acknowledged_orders(traders))
    findings.append(inv.check_exactly_once(db, chain, traders, initial, tokens))
    outages = [(f.started, f.ended) for f in plan if f.kind != "reorg" and f.ended]
    findings.append(inv.check_failed_trades(db, chain.actions, FAILED_GRACE_S, outages))
    findings.append(inv.check_expired_and_reservations(traders, ready["api_url"], markets, db))
    findings.append(inv.check_discrepancies(ready["api_url"], drained_ms))
    findings.append(inv.check_replay(stack))
    findings.append(inv.check_no_5xx(traders))
    order_key = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5, "g": 6, "h": 7}
    findings.sort(key=lambda f: order_key[f.name[0]])
    print_findings(findings)
    trades = db.trades()
    confirmed = [r for r in trades if r.status == "CONFIRMED"]
    last_confirmed = max((r.last_update for r in confirmed), default=ctx.t0)
    acked = sum(len(t.acked) for t in traders)
    throughput = {
        "load_s": round(load_s, 1),
        "orders_acknowledged": acked,
        "orders_acknowledged_per_s": round(acked / load_s, 1),
        "trades_matched": len(trades),
        "trades_matched_per_s": round(len(trades) / load_s, 2),
        "trades_confirmed": len(confirmed),
        "trades_confirmed_per_s": round(len(confirmed) / max(1.0, last_confirmed - ctx.t0), 2),
        "trades_failed": sum(1 for r in trades if r.status == "FAILED"),
    }
    match_types: dict[str, int] = {}
    for r in trades:
        for m in json.loads(r.payload)["makers"]:
            match_types[m["match_type"]] = match_types.get(m["match_type"], 0) + 1
    extra = {
        "seed": args.seed,
        "match_types": match_types,
        "clients": client_summary(traders),
        "unauthorized_401_by_trader": dict(ctx.unauthorized),
        "stack_log": log_census(stack),
        "chain_actions": [
            {"trader": a.trader[:10], "kind": a.kind, "at_s": round(a.at - ctx.t0, 1), "landed": a.landed}
            for a in chain.actions
        ],
    }
    return summary(findings, plan, throughput, extra)


def log_census(stack: Stack) -> dict[str, Any]:
    """Lines of the stack's log (all its runs) and the loggers that wrote most of them."""
    loggers: Counter[str] = Counter()
    lines = 0
    with open(stack.log_path, errors="replace") as f:
        for line in f:
            lines += 1
            found = LOGGER.search(line)  # the lines are not always valid JSON (unescaped quotes in messages)
            loggers[found.group(1) if found else "(plain)"] += 1
    return {"lines": lines, "top_loggers": dict(loggers.most_common(4))}


if __name__ == "__main__":
    raise SystemExit(main())
