"""The trading mix: threads, one per trader, each with its own wallet (anvil dev accounts) and API key.

- ``MarketMaker``: every <= 100 ms cancel-all, then a 10-order ladder (one POST /orders) around the mid.
- ``Crosser``: crossing limit orders on both outcomes of every market (so COMPLEMENTARY, MINT and MERGE occur), GTD
  with 61-70 s expiries, FOK, FAK, post-only, batches, cancels and the odd cancel-all (our client, clob/client.py).
- ``PolyTrader``: the same kinds of requests through Polymarket's py-clob-client 0.34.6; one of them keeps a
  heartbeat session.
- ``Mover``: a crosser that, at its scheduled times, moves funds to a sink or revokes (then restores) its approvals
  on chain: honest failures, each recorded with its time.

Every answer is recorded: acknowledged orders (what the trader saw of each), cancels, HTTP statuses, 5xx, and
connection errors (counted apart; the client backs off and goes on).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from bench.system.chain import COLLATERAL, Chain, MarketInfo
from clob.client import ClientError, ClobHttpClient, order_body

SHARE = Decimal(1_000_000)


@dataclass
class Acked:
    """An order the API acknowledged, and what its trader saw of it."""

    order_id: str
    order_type: str
    token: int
    side: str
    size: Decimal
    price: str
    expiration: int
    status: str
    matched_on_arrival: Decimal
    at: float
    canceled_seen: bool = False


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    conn_errors: int = 0


class Trader(threading.Thread):
    """One wallet's loop; subclasses implement ``step`` (one action) and set ``interval``."""

    interval = 0.1

    def __init__(self, name: str, key: str, ctx: Context, seed: int) -> None:
        super().__init__(name=name, daemon=True)
        self.key = key
        self.ctx = ctx
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.acked: dict[str, Acked] = {}
        self.lock = threading.Lock()
        self.client = ClobHttpClient(ctx.api_url, key, ctx.chain_id, ctx.exchange, timeout=10.0)
        self.address = self.client.address.lower()

    # -- plumbing -------------------------------------------------------------------------------------------
    def login(self) -> None:
        self.client.create_api_key()

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one request; record its outcome. Returns the answer, or None after an error."""
        self.stats.requests[what] += 1
        try:
            return fn()
        except ClientError as exc:
            self._http_error(what, exc.status, exc.message)
        except httpx.TransportError as exc:
            self._conn_error(what, exc)
        return None

    def _http_error(self, what: str, status: int, message: str) -> None:
        if status >= 500:
            self.stats.server_errors.append(f"{time.time():.1f} {what} {status} {message[:200]}")
        label = message.split(":")[0].split(" 0x")[0][:60]
        self.stats.errors[f"{what} {status} {label}"] += 1
        if status == 401:
            self.ctx.note_401(self)

    def _conn_error(self, what: str, exc: Exception) -> None:
        self.stats.conn_errors += 1
        self.stats.errors[f"{what} connection {type(exc).__name__}"] += 1
        time.sleep(0.5 + self.rng.random())  # back off while the stack is down

    def run(self) -> None:
        while not self.ctx.stop.is_set():
            started = time.monotonic()
            if self.ctx.paused.is_set():
                time.sleep(0.2)
                continue
            try:
                self.step()
            except Exception as exc:  # a harness bug must not end the run silently
                self.stats.errors[f"harness {type(exc).__name__}: {str(exc)[:80]}"] += 1
                time.sleep(0.5)
            spent = time.monotonic() - started
            if spent < self.interval:
                time.sleep(self.interval - spent)

    def step(self) -> None:
        raise NotImplementedError

    # -- orders ---------------------------------------------------------------------------------------------
    def record(self, answer: Any, order_type: str, token: int, side: str, size: Decimal, price: str, exp: int) -> None:
        if not isinstance(answer, dict) or not answer.get("success") or not answer.get("orderID"):
            return
        shares = Decimal(answer.get("takingAmount" if side == "BUY" else "makingAmount") or "0")
        with self.lock:
            self.acked[answer["orderID"]] = Acked(
                answer["orderID"], order_type, token, side, size, price, exp, answer.get("status", ""), shares,
                time.time(),
            )  # fmt: skip

    def record_cancels(self, answer: Any) -> None:
        if isinstance(answer, dict):
            with self.lock:
                for oid in answer.get("canceled") or []:
                    if oid in self.acked:
                        self.acked[oid].canceled_seen = True

    def live_ids(self) -> list[str]:
        with self.lock:
            return [o.order_id for o in self.acked.values() if not o.canceled_seen and o.order_type in ("GTC", "GTD")]

    def pick(self, market: MarketInfo, aggressive: int) -> tuple[int, str, str, Decimal]:
        """A token, side, price and size: ``aggressive`` cents through the mid (negative: passive)."""
        outcome = self.rng.randrange(2)
        token = market.tokens[outcome]
        mid = market.mid_cents if outcome == 0 else 100 - market.mid_cents
        side = "BUY" if self.rng.random() < 0.5 else "SELL"
        cents = mid + aggressive if side == "BUY" else mid - aggressive
        cents = max(1, min(99, cents))
        size = Decimal(self.rng.randrange(5, 21))
        return token, side, f"0.{cents:02d}", size


@dataclass
class Context:
    """What every trader shares: where the stack is, the markets, the stop and pause switches."""

    api_url: str
    chain_id: int
    exchange: str
    collateral: str
    ctf: str
    markets: list[MarketInfo]
    chain: Chain
    t0: float
    stop: threading.Event = field(default_factory=threading.Event)
    paused: threading.Event = field(default_factory=threading.Event)
    unauthorized: Counter[str] = field(default_factory=Counter)

    def note_401(self, trader: Trader) -> None:
        self.unauthorized[trader.name] += 1


class MarketMaker(Trader):
    """Cancel-all + a 10-order ladder on the first market's YES, every <= 100 ms."""

    interval = 0.1

    def step(self) -> None:
        market = self.ctx.markets[0]
        mid = market.mid_cents + self.rng.randrange(-1, 2)
        self.record_cancels(self.call("cancel-all", lambda: self.client.request("DELETE", "/cancel-all")))
        orders, meta = [], []
        for i in range(5):
            for side, cents in (("BUY", mid - 2 - i), ("SELL", mid + 2 + i)):
                size = Decimal(self.rng.randrange(5, 31))
                price = f"0.{cents:02d}"
                orders.append(self.client.limit_order(market.yes, side, price, str(size), fee_rate_bps=market.fee_bps))
                meta.append((market.yes, side, size, price))
        answer = self.call("post-orders", lambda: self.client.post_orders(orders))
        if isinstance(answer, list):
            for a, (token, side, size, price) in zip(answer, meta, strict=False):
                self.record(a, "GTC", token, side, size, price, 0)


class Crosser(Trader):
    """Crossing and resting orders of every kind on both outcomes of every market, cancels, cancel-all."""

    interval = 0.12

    def step(self) -> None:
        market = self.rng.choice(self.ctx.markets)
        r = self.rng.random()
        if r < 0.45:
            self.place(market, "GTC", self.rng.randrange(-3, 4))
        elif r < 0.57:
            self.place(market, "GTD", self.rng.randrange(-3, 4))
        elif r < 0.63:
            self.place(market, "FOK", 4)
        elif r < 0.69:
            self.place(market, "FAK", 4)
        elif r < 0.75:
            self.place(market, "GTC", -5, post_only=True)
        elif r < 0.83:
            self.batch(market)
        elif r < 0.97:
            # GTD orders are left to expire (so some do during the run), and only x4 cancels all
            ids = [i for i in self.live_ids() if self.acked[i].order_type != "GTD"]
            if ids:
                oid = self.rng.choice(ids[-50:])
                self.record_cancels(
                    self.call("cancel", lambda: self.client.request("DELETE", "/order", {"orderID": oid}))
                )
        elif self.name == "x4":
            self.record_cancels(self.call("cancel-all", lambda: self.client.request("DELETE", "/cancel-all")))

    def _order(self, market: MarketInfo, order_type: str, aggressive: int) -> tuple[Any, tuple[Any, ...]]:
        token, side, price, size = self.pick(market, aggressive)
        exp = int(time.time()) + self.rng.randrange(61, 71) if order_type == "GTD" else 0
        order = self.client.limit_order(token, side, price, str(size), fee_rate_bps=market.fee_bps, expiration=exp)
        return order, (order_type, token, side, size, price, exp)

    def place(self, market: MarketInfo, order_type: str, aggressive: int, post_only: bool = False) -> None:
        order, meta = self._order(market, order_type, aggressive)
        assert self.client.creds is not None
        body = order_body(order, self.client.creds.api_key, order_type, post_only)
        self.record(self.call(f"post-{order_type}", lambda: self.client.request("POST", "/order", body)), *meta)

    def batch(self, market: MarketInfo) -> None:
        built = [self._order(market, "GTC", self.rng.randrange(-3, 4)) for _ in range(self.rng.randrange(3, 6))]
        answer = self.call("post-orders", lambda: self.client.post_orders([o for o, _ in built]))
        if isinstance(answer, list):
            for a, (_, meta) in zip(answer, built, strict=False):
                self.record(a, *meta)


class Mover(Crosser):
    """A crosser that moves funds away / revokes approvals on chain at its scheduled times (seconds from t0)."""

    def __init__(self, name: str, key: str, ctx: Context, seed: int, plan: list[tuple[float, str, int]]) -> None:
        super().__init__(name, key, ctx, seed)
        self.plan = sorted(plan)

    def step(self) -> None:
        if self.plan and time.time() - self.ctx.t0 >= self.plan[0][0]:
            _, what, asset = self.plan.pop(0)
            try:
                if what == "move":
                    self.ctx.chain.move_away(self.key, asset, 0.5)
                else:
                    kind = "usdc" if asset == COLLATERAL else "ctf"
                    self.ctx.chain.set_approval(self.key, kind, what == "restore")
            except Exception as exc:  # the chain may be down: try again next step
                self.plan.insert(0, (0.0, what, asset))
                self.stats.errors[f"chain {what} {type(exc).__name__}"] += 1
                time.sleep(1)
            return
        super().step()


class PolyTrader(Trader):
    """Polymarket's py-clob-client 0.34.6: limit (GTC, GTD, post-only), FOK/FAK, cancels, cancel-all, heartbeats."""

    interval = 0.25

    def __init__(self, name: str, key: str, ctx: Context, seed: int, heartbeat: bool) -> None:
        super().__init__(name, key, ctx, seed)
        from py_clob_client.client import ClobClient

        self.poly = ClobClient(ctx.api_url, chain_id=ctx.chain_id, key=key)
        self.heartbeat = heartbeat
        self.heartbeat_id: str | None = None
        self.last_beat = 0.0

    def login(self) -> None:
        self.poly.set_api_creds(self.poly.create_or_derive_api_creds())
        super().login()  # the same key, for the harness's own reads (GET /data/order/{id})

    def pcall(self, what: str, fn: Callable[[], Any]) -> Any:
        from py_clob_client.exceptions import PolyApiException

        self.stats.requests[what] += 1
        try:
            return fn()
        except PolyApiException as exc:
            if exc.status_code is None:
                self._conn_error(what, exc)
            else:
                msg = exc.error_msg.get("error", str(exc.error_msg)) if isinstance(exc.error_msg, dict) else str(
                    exc.error_msg)  # fmt: skip
                self._http_error(what, int(exc.status_code), msg)
        return None

    def step(self) -> None:
        from py_clob_client.clob_types import OrderArgs, OrderType

        if self.heartbeat and time.monotonic() - self.last_beat > 3:
            self.last_beat = time.monotonic()
            answer = self.pcall("heartbeat", lambda: self.poly.post_heartbeat(self.heartbeat_id))
            # on any failure the next beat starts a new session (after a restart the old one is gone)
            self.heartbeat_id = answer.get("heartbeat_id") if isinstance(answer, dict) else None
        market = self.rng.choice(self.ctx.markets)
        r = self.rng.random()
        if r < 0.8:
            kind = self.rng.choice(["GTC", "GTC", "GTD", "FOK", "FAK", "POST"])
            aggressive = 4 if kind in ("FOK", "FAK") else (-5 if kind == "POST" else self.rng.randrange(-3, 4))
            token, side, price, size = self.pick(market, aggressive)
            exp = int(time.time()) + self.rng.randrange(61, 71) if kind == "GTD" else 0
            args = OrderArgs(token_id=str(token), price=float(price), size=float(size), side=side, expiration=exp,
                             fee_rate_bps=market.fee_bps)  # fmt: skip
            order = self.pcall("py-create", lambda: self.poly.create_order(args))
            if order is None:
                return
            order_type = OrderType.GTC if kind == "POST" else getattr(OrderType, kind)
            answer = self.pcall(
                f"py-post-{kind}", lambda: self.poly.post_order(order, order_type, post_only=kind == "POST")
            )
            self.record(answer, "GTC" if kind == "POST" else kind, token, side, size, price, exp)
        elif r < 0.95:
            ids = self.live_ids()
            if ids:
                oid = self.rng.choice(ids[-30:])
                self.record_cancels(self.pcall("py-cancel", lambda: self.poly.cancel(oid)))
        else:
            self.record_cancels(self.pcall("py-cancel-all", self.poly.cancel_all))
