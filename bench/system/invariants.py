"""The invariants checked at quiescence, one function each; every one returns a ``Finding`` (violations, examples).

Data: the API (as each trader sees it), the chain (balances), and the stack's database (trade rows with the
engine's exact amounts; ``trades.payload``), read-only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.system.chain import COLLATERAL, Chain, ChainAction
from bench.system.stack import ROOT, Stack
from bench.system.traders import Acked, Trader
from clob.client import ClientError
from orders import StoredTrade
from settlement.matches import taker_spend

TERMINAL = ("CONFIRMED", "FAILED")
CANCELED = ("CANCELED", "CANCELED_MARKET_RESOLVED")


@dataclass
class Finding:
    name: str
    violations: int = 0
    examples: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, example: str, kind: str = "", limit: int = 3) -> None:
        """One violation; up to ``limit`` examples are kept per kind."""
        self.violations += 1
        self.kinds[kind] += 1
        if self.kinds[kind] <= limit:
            self.examples.append(example)


class Db:
    """Read-only queries on the stack's database."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            url = f"sqlite:///file:{url[len('sqlite:///') :]}?mode=ro&uri=true"
        self.engine = create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def trades(self) -> list[Any]:
        return self.rows("SELECT trade_id, status, match_time, last_update, payload, error FROM trades")

    def non_terminal(self) -> list[Any]:
        return self.rows("SELECT trade_id, status, match_time FROM trades WHERE status NOT IN ('CONFIRMED', 'FAILED')")


# -- (a) ----------------------------------------------------------------------------------------------------------
def check_acknowledged_orders(traders: Sequence[Trader]) -> Finding:
    """Every acknowledged order is retrievable (GET /data/order/{id}) with a status consistent with what its trader
    saw: a cancel it was told of → CANCELED; a FOK, or an order filled whole on arrival → MATCHED; a FAK never LIVE;
    never more matched than its size, never less than it matched on arrival."""
    finding = Finding("a_orders")
    statuses: Counter[str] = Counter()

    def one(trader: Trader, order: Acked) -> None:
        try:
            got = trader.client.request("GET", f"/data/order/{order.order_id}")
        except ClientError as exc:
            finding.add(
                f"{trader.name} {order.order_id[:12]} ({order.order_type}, seen {order.status}): {exc}",
                "not_retrievable",
            )
            return
        except httpx.HTTPError as exc:
            finding.add(f"{trader.name} {order.order_id[:12]}: {type(exc).__name__}", "not_retrievable")
            return
        status = got["status"]
        statuses[status] += 1
        matched, size = Decimal(got["size_matched"]), Decimal(got["original_size"])
        why = _inconsistent(order, status, matched, size)
        if why:
            finding.add(
                f"{trader.name} {order.order_id[:12]} {order.order_type} seen {order.status}: {why}",
                why.split(",")[0].split(" ")[0],
            )

    with ThreadPoolExecutor(8) as pool:
        for trader in traders:
            for order in list(trader.acked.values()):
                pool.submit(one, trader, order)
    finding.details = {"checked": sum(len(t.acked) for t in traders), "statuses": dict(statuses)}
    return finding


def _inconsistent(order: Acked, status: str, matched: Decimal, size: Decimal) -> str:
    if matched > size:
        return f"size_matched {matched} > original_size {size}"
    if matched < order.matched_on_arrival:
        return f"size_matched {matched} < {order.matched_on_arrival} matched on arrival"
    if order.canceled_seen and status not in CANCELED:
        return f"cancel acknowledged, status {status}"
    if order.order_type == "FOK" and status != "MATCHED":
        return f"FOK acknowledged, status {status}"
    if order.order_type == "FAK" and status == "LIVE":
        return "FAK resting (LIVE)"
    if order.matched_on_arrival >= size and status != "MATCHED":
        return f"filled whole on arrival, status {status}"
    if status == "MATCHED" and matched != size:
        return f"MATCHED with {matched} of {size}"
    return ""


# -- (b) ----------------------------------------------------------------------------------------------------------
def check_trades_terminal(db: Db, deadline: float) -> Finding:
    """Every trade CONFIRMED or FAILED by ``deadline`` (60 s after the last fault, or after the load ends)."""
    finding = Finding("b_terminal")
    while True:
        pending = db.non_terminal()
        if not pending or time.time() >= deadline:
            break
        time.sleep(1.0)
    by_status = Counter(r.status for r in pending)
    for r in pending:
        finding.add(f"trade {r.trade_id} {r.status} (matched at {r.match_time})", r.status)
    finding.details = {"non_terminal": dict(by_status), "waited_until": round(deadline, 1)}
    return finding


# -- (c) ----------------------------------------------------------------------------------------------------------
def expected_deltas(payloads: Iterable[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """What the engine's trades say every balance moves by (fees included): a maker gives ``making`` and gets
    ``taking - fee``; the taker gives what the makers consume and gets ``taker_taking - taker_fee``."""
    delta: Counter[tuple[str, int]] = Counter()
    for p in payloads:
        token = int(p["token_id"])
        taker = str(p["taker"]).lower()
        give, get = (COLLATERAL, token) if p["side"] == "BUY" else (token, COLLATERAL)
        delta[(taker, give)] -= taker_spend(StoredTrade.from_payload(p))
        delta[(taker, get)] += int(p["taker_taking"]) - int(p["taker_fee"])
        for m in p["makers"]:
            maker = str(m["maker"]).lower()
            mtoken = int(m["token_id"])
            mgive, mget = (COLLATERAL, mtoken) if m["side"] == "BUY" else (mtoken, COLLATERAL)
            delta[(maker, mgive)] -= int(m["making"])
            delta[(maker, mget)] += int(m["taking"]) - int(m["fee"])
    return delta


def check_exactly_once(
    db: Db, chain: Chain, traders: Sequence[Trader], initial: dict[str, dict[int, int]], tokens: list[int]
) -> Finding:
    """On chain, each trader's USDC, YES and NO = initial + the deltas of its CONFIRMED trades - what it moved away
    on purpose (moves whose transaction is on the canonical chain). MINED trades (on chain, short of the
    confirmation depth: only where the pipeline was not drained, e.g. bench-system's cap) count as on chain too."""
    finding = Finding("c_exactly_once")
    rows = db.trades()
    confirmed = [json.loads(r.payload) for r in rows if r.status in ("CONFIRMED", "MINED")]
    delta = expected_deltas(confirmed)
    for action in chain.actions:
        action.landed = chain.landed(action.tx_hash)
        if action.kind == "move" and action.landed:
            delta[(action.trader, action.asset)] -= action.amount
    off = 0
    for trader in traders:
        now = chain.balances(trader.address, tokens)
        for asset, before in initial[trader.address].items():
            want = before + delta.get((trader.address, asset), 0)
            if now[asset] != want:
                off += abs(now[asset] - want)
                name = "USDC" if asset == COLLATERAL else f"token {str(asset)[:8]}"
                finding.add(
                    f"{trader.name} {name}: on chain {now[asset]}, expected {want} ({now[asset] - want:+})",
                    name.split(" ")[0],
                )
    mined = sum(1 for r in rows if r.status == "MINED")
    finding.details = {"confirmed_trades": len(confirmed) - mined, "mined": mined, "abs_difference_base_units": off}
    return finding


# -- (d) ----------------------------------------------------------------------------------------------------------
SETTLE_BUDGET_S = 20.0
"""Up-time the pipeline needs to settle a trade after a backlog (a restart's recovery, the blocks to depth)."""


def up_time(start: float, end: float, outages: Sequence[tuple[float, float]]) -> float:
    """Seconds of [start, end] outside every outage window (the windows may overlap)."""
    if end <= start:
        return 0.0
    down = 0.0
    cursor = start
    for lo, hi in sorted(outages):
        lo, hi = max(lo, cursor), min(hi, end)
        if hi > lo:
            down += hi - lo
            cursor = hi
    return end - start - down


def expired_in_outage(
    error: str, match_time: float, expirations: Sequence[int], outages: Sequence[tuple[float, float]]
) -> bool:
    """A trade FAILED with ``OrderExpired`` whose stack was down (RPC unreachable, restarting) for all but less
    than ``SETTLE_BUDGET_S`` between the match and the earliest expiration of its GTD orders. The book matches a
    GTD order only up to a minute before its signed expiration (Polymarket's security threshold); faults that keep
    settlement from the chain longer than that make the contract refuse it, as it would Polymarket's."""
    ends = [e for e in expirations if e > 0]
    if "OrderExpired" not in error or not ends:
        return False
    return up_time(match_time, min(ends), outages) < SETTLE_BUDGET_S


def check_failed_trades(
    db: Db, actions: Sequence[ChainAction], grace_s: float, outages: Sequence[tuple[float, float]] = ()
) -> Finding:
    """No FAILED trade unless one of its parties moved funds or revoked an approval between ``grace_s`` before the
    match (what the book could not know yet: cached balances, indexer lag) and the failure, or a GTD order of it
    expired while the faults (``outages``: unix-second windows with the chain or the stack down) kept settlement
    from the chain (``expired_in_outage``)."""
    finding = Finding("d_failed")
    excused = 0
    expired = 0
    reasons: Counter[str] = Counter()
    for r in db.trades():
        if r.status != "FAILED":
            continue
        p = json.loads(r.payload)
        parties = {str(p["taker"]).lower()} | {str(m["maker"]).lower() for m in p["makers"]}
        legit = any(
            a.trader in parties and a.kind in ("move", "revoke") and r.match_time - grace_s <= a.at <= r.last_update + 1
            for a in actions
        ) or any(_revoked_at(actions, party, r.match_time) for party in parties)
        if not legit and "OrderExpired" in (r.error or ""):
            ids = [str(p["taker_order_id"])] + [str(m["order_id"]) for m in p["makers"]]
            rows = db.rows(
                "SELECT expiration FROM orders WHERE order_id IN ("
                + ", ".join(f":o{i}" for i in range(len(ids)))
                + ")",
                **{f"o{i}": oid for i, oid in enumerate(ids)},
            )
            legit = expired_in_outage(r.error or "", r.match_time, [int(x.expiration) for x in rows], outages)
            expired += legit
        reasons[(r.error or "")[:60]] += 1
        if legit:
            excused += 1
        else:
            finding.add(
                f"trade {r.trade_id} matched {r.match_time} FAILED: {(r.error or '')[:160]}", (r.error or "")[:30]
            )
    finding.details = {"failed_excused": excused, "expired_in_outage": expired, "errors": dict(reasons.most_common(5))}
    return finding


def _revoked_at(actions: Sequence[ChainAction], trader: str, at: float) -> bool:
    """Whether ``trader`` had revoked an approval at ``at`` and no restore of it had landed since (a fault can roll
    a restore back: the trader then stays revoked)."""
    revoked = False
    for a in sorted((a for a in actions if a.trader == trader), key=lambda a: a.at):
        if a.at > at:
            break
        if a.kind == "revoke":
            revoked = True
        elif a.kind == "restore" and a.landed is not False:
            revoked = False
    return revoked


# -- (e) ----------------------------------------------------------------------------------------------------------
def _open_orders(trader: Trader) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = "MA=="
    while cursor != "LTE=":
        page = trader.client.request("GET", "/data/orders", params={"next_cursor": cursor})
        out += page["data"]
        cursor = page["next_cursor"]
    return out


def check_expired_and_reservations(traders: Sequence[Trader], api_url: str, markets: Sequence[Any], db: Db) -> Finding:
    """No expired GTD order in /data/orders, on /book or LIVE in the database; the book is exactly the traders'
    live orders; and no reservation left behind: after refreshing its cached balances, each trader can rest a
    post-only order for everything its live orders do not reserve."""
    finding = Finding("e_expired_reservations")
    now = int(time.time())
    live: list[tuple[Trader, dict[str, Any]]] = []
    for trader in traders:
        for o in _open_orders(trader):
            live.append((trader, o))
            exp = int(o["expiration"])
            if 0 < exp < now:
                finding.add(
                    f"{trader.name} {o['id'][:12]} GTD expired {now - exp}s ago, LIVE in /data/orders", "data_orders"
                )
    sql = "SELECT order_id, expiration FROM orders WHERE status = 'LIVE' AND expiration > 0 AND expiration < :n"
    rows = db.rows(sql, n=now - 1)
    for r in rows:
        finding.add(f"db: order {r.order_id[:12]} LIVE, expired {now - int(r.expiration)}s ago", "db")
    tokens = [t for m in markets for t in m.tokens]
    _compare_books(finding, api_url, markets, [o for _, o in live], now)
    for trader in traders:
        _probe_reservations(finding, trader, [o for t, o in live if t is trader], tokens, markets[0].yes)
    gtd = [o for t in traders for o in t.acked.values() if o.order_type == "GTD"]
    finding.details = {
        "live_orders": len(live),
        "gtd_acknowledged": len(gtd),
        "gtd_expired_by_now": sum(1 for o in gtd if o.expiration < now),
    }
    return finding


def _compare_books(
    finding: Finding, api_url: str, markets: Sequence[Any], live: list[dict[str, Any]], now: int
) -> None:
    for market in markets:
        for token, other in ((market.yes, market.no), (market.no, market.yes)):
            book = httpx.get(f"{api_url}/book", params={"token_id": str(token)}, timeout=10).json()
            read_at = time.time()
            for message in book_mismatches(book, token, other, live, now, read_at):
                finding.add(message, "book")


def book_mismatches(
    book: dict[str, Any], token: int, other: int, live: list[dict[str, Any]], now: float, read_at: float
) -> list[str]:
    """The engine keeps one YES-price book per market: a token's bids are its BUYs plus the other token's SELLs at
    the complementary price, its asks its SELLs plus the other token's BUYs. A GTD order whose expiration falls
    between the check's start (``now``) and one second after the book was read (the expiry timer's allowance) may
    be on the book or already swept; either is correct."""
    want: Counter[tuple[str, Decimal]] = Counter()
    in_flux: Counter[tuple[str, Decimal]] = Counter()
    expired: set[tuple[str, Decimal]] = set()
    for o in live:
        if o["asset_id"] not in (str(token), str(other)):
            continue
        price, buy = Decimal(o["price"]), o["side"] == "BUY"
        if o["asset_id"] == str(other):
            price, buy = 1 - price, not buy
        key = ("bids" if buy else "asks", price.normalize())
        exp = int(o["expiration"])
        size = Decimal(o["original_size"]) - Decimal(o["size_matched"])
        if 0 < exp < now:
            expired.add(key)
        elif 0 < exp <= read_at + 1:
            in_flux[key] += size  # type: ignore[assignment]
        else:
            want[key] += size  # type: ignore[assignment]
    got = {(side, Decimal(lv["price"]).normalize()): Decimal(lv["size"]) for side in ("bids", "asks")
           for lv in book[side]}  # fmt: skip
    out: list[str] = []
    for key in sorted(set(got) | set(want) | set(in_flux)):
        shown, low = got.get(key, Decimal(0)), want.get(key, Decimal(0))
        if not low <= shown <= low + in_flux.get(key, Decimal(0)):
            note = " (expired orders there)" if key in expired else ""
            out.append(f"/book {str(token)[:8]} {key[0]} {key[1]}: {shown} shown, {low} live{note}")
    return out


def _probe_reservations(
    finding: Finding, trader: Trader, live: list[dict[str, Any]], tokens: list[int], probe_token: int
) -> None:
    chain_free: dict[int, int] = {}
    for asset in [COLLATERAL, *tokens]:
        params = {"asset_type": "COLLATERAL", "signature_type": "0"}
        if asset:
            params = {"asset_type": "CONDITIONAL", "token_id": str(asset), "signature_type": "0"}
        got = trader.client.request("GET", "/balance-allowance/update", params=params)
        chain_free[asset] = min(int(got["balance"]), max((int(v) for v in got["allowances"].values()), default=0))
    for o in live:
        rest = Decimal(o["original_size"]) - Decimal(o["size_matched"])
        if o["side"] == "BUY":
            chain_free[COLLATERAL] -= int(rest * Decimal(o["price"]) * 1_000_000)
        else:
            chain_free[int(o["asset_id"])] -= int(rest * 1_000_000)
    probes = [(probe_token, "BUY", "0.01", chain_free[COLLATERAL] - 10_000)]
    probes += [(t, "SELL", "0.99", chain_free[t] - 10_000) for t in tokens]
    for token, side, price, amount in probes:
        shares = Decimal(amount) / (Decimal("0.01") if side == "BUY" else 1) / 1_000_000
        shares = shares.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        if shares < 5:
            continue
        order = trader.client.limit_order(token, side, price, str(shares), fee_rate_bps=_fee_of(trader, token))
        try:
            placed = trader.client.post_order(order, "GTC", post_only=True)
        except ClientError as exc:
            finding.add(f"{trader.name} probe {side} {shares} of {'USDC' if side == 'BUY' else str(token)[:8]}: {exc}",
                        "reservation")  # fmt: skip
            continue
        trader.client.request("DELETE", "/order", {"orderID": placed["orderID"]})


def _fee_of(trader: Trader, token: int) -> int:
    for m in trader.ctx.markets:
        if token in m.tokens:
            return m.fee_bps
    return 0


# -- (f) ----------------------------------------------------------------------------------------------------------
def check_discrepancies(api_url: str, after_ms: int, timeout: float = 60.0) -> Finding:
    """Zero open reconciliation discrepancies, read after a reconciliation run that started after ``after_ms``."""
    finding = Finding("f_discrepancies")
    deadline = time.time() + timeout
    run: dict[str, Any] | None = None
    while time.time() < deadline:
        try:
            status = httpx.get(f"{api_url}/chain/status", timeout=10).json()
            run = status.get("reconciliation")
            if run and run["started_at_ms"] > after_ms and run["finished_at_ms"] >= run["started_at_ms"]:
                break
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(1.0)
    else:
        finding.add(f"no reconciliation run after the drain within {timeout:.0f}s (last: {run})")
    rows = httpx.get(f"{api_url}/chain/discrepancies", params={"status": "open", "limit": "500"}, timeout=30).json()
    kinds: Counter[str] = Counter()
    for d in rows["data"]:
        kinds[str(d.get("kind"))] += 1
        finding.add(
            f"open {d.get('kind')} {str(d.get('subject'))[:20]}: {str(d.get('evidence'))[:140]}", str(d.get("kind"))
        )
    finding.details = {"open_by_kind": dict(kinds), "last_run": run}
    return finding


# -- (g) ----------------------------------------------------------------------------------------------------------
def check_replay(stack: Stack, attempts: int = 3) -> Finding:
    """``python -m clob.service.replay`` on the state's database gives the live engine's head and state hash
    (/admin/stream read before and after, equal: no command slipped in between)."""
    finding = Finding("g_replay")
    for _ in range(attempts):
        before = stack.admin_get("/admin/stream")
        proc = subprocess.run(
            [sys.executable, "-m", "clob.service.replay", "--database-url", stack.db_url],
            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        after = stack.admin_get("/admin/stream")
        if before["head_seq"] != after["head_seq"]:
            continue
        try:
            report = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            finding.add(f"replay printed no report: {proc.stderr[-300:]}")
            return finding
        finding.details = {"head_seq": after["head_seq"], "entries": report["entries"], "trades": report["trades"]}
        if not report["ok"]:
            finding.add(f"replay not ok: {report['chain_error']} {report['differences'][:3]}")
        if report["head_hash"] != after["head_hash"]:
            finding.add(f"head hash: replay {report['head_hash'][:16]} live {after['head_hash'][:16]}")
        if report["state_hash"] != after["state_hash"]:
            finding.add(f"state hash: replay {report['state_hash'][:16]} live {after['state_hash'][:16]}")
        return finding
    finding.add(f"the journal kept moving during {attempts} replays")
    return finding


# -- (h) ----------------------------------------------------------------------------------------------------------
def check_no_5xx(traders: Sequence[Trader]) -> Finding:
    """No 5xx answer to any client during the run (connection errors during faults are counted apart)."""
    finding = Finding("h_5xx")
    for trader in traders:
        for line in trader.stats.server_errors:
            finding.add(f"{trader.name} {line}")
    finding.details = {"connection_errors": sum(t.stats.conn_errors for t in traders)}
    return finding
