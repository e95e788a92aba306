"""Client-side load for ``bench-system``: pre-signed orders and pre-built HTTP requests sent over many raw
connections (the techniques of bench/bench_api.py, whose request and response helpers it reuses), and crossing
pairs (a resting maker order, then the taker order that consumes it exactly) paced at a fill rate.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.bench_api import http_request, read_response
from clob.auth import build_hmac_signature
from orders import (
    ZERO_ADDRESS,
    ExchangeDomain,
    Order,
    Side,
    SignatureType,
    address_of,
    checksum_address,
    order_to_json,
    sign_order,
)

SHARE = 1_000_000


@dataclass(frozen=True, slots=True)
class Spec:
    """One order to sign: maker key, token, side, price in cents, shares."""

    key: str
    token: int
    side: int
    cents: int
    shares: int
    salt: int


def _sign(args: tuple[int, str, list[Spec]]) -> list[dict[str, Any]]:
    chain_id, exchange, specs = args
    domain = ExchangeDomain(chain_id, exchange)
    out = []
    for s in specs:
        me = address_of(s.key)
        usdc = s.shares * s.cents * 10_000
        making, taking = (usdc, s.shares * SHARE) if s.side == Side.BUY else (s.shares * SHARE, usdc)
        order = Order(s.salt, me, me, ZERO_ADDRESS, s.token, making, taking, 0, 0, 0, Side(s.side), SignatureType.EOA)
        out.append(order_to_json(sign_order(order, s.key, domain)))
    return out


def sign_all(chain_id: int, exchange: str, specs: Sequence[Spec]) -> list[dict[str, Any]]:
    """Sign on every core (not timed); the result is in the order of ``specs``."""
    workers = os.cpu_count() or 2
    size = max(1, -(-len(specs) // (workers * 4)))
    chunks = [(chain_id, exchange, list(specs[i : i + size])) for i in range(0, len(specs), size)]
    with ProcessPoolExecutor(workers) as pool:
        return [o for part in pool.map(_sign, chunks) for o in part]


@dataclass
class Account:
    key: str
    creds: dict[str, str]

    @property
    def address(self) -> str:
        return checksum_address(address_of(self.key))


def post_orders_request(account: Account, orders: Sequence[dict[str, Any]], ts: int | None = None) -> bytes:
    """POST /orders with ``orders`` (all of ``account``), HMAC-signed."""
    entries = [{"order": o, "owner": account.creds["apiKey"], "orderType": "GTC", "postOnly": False} for o in orders]
    body = json.dumps(entries, separators=(",", ":")).encode()
    stamp = int(time.time()) if ts is None else ts
    headers = {
        "Content-Type": "application/json",
        "POLY_ADDRESS": account.address,
        "POLY_SIGNATURE": build_hmac_signature(account.creds["secret"], stamp, "POST", "/orders", body),
        "POLY_TIMESTAMP": str(stamp),
        "POLY_API_KEY": account.creds["apiKey"],
        "POLY_PASSPHRASE": account.creds["passphrase"],
    }
    return http_request("POST", "/orders", body, headers)


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    server_errors: int = 0
    matched: int = 0
    refusals: dict[str, int] = field(default_factory=dict)

    def add(self, status: int, body: bytes) -> list[dict[str, Any]]:
        if status >= 500:
            self.server_errors += 1
        if status != 200:
            self.refused += 1
            return []
        answers: list[dict[str, Any]] = json.loads(body)
        for a in answers:
            if a.get("success"):
                self.accepted += 1
                self.matched += a.get("status") == "matched"
            else:
                self.refused += 1
                msg = str(a.get("errorMsg", ""))[:50]
                self.refusals[msg] = self.refusals.get(msg, 0) + 1
        return answers


async def closed_loop(port: int, requests: Sequence[bytes], connections: int, seconds: float) -> tuple[Tally, float]:
    """``connections`` connections sending back to back until the requests or the time run out."""
    queue = iter(requests)
    tally = Tally()
    deadline = time.perf_counter() + seconds

    async def conn() -> None:
        reader, writer = await _connect(port)
        for req in queue:
            if time.perf_counter() > deadline:
                break
            writer.write(req)
            tally.add(*await read_response(reader))
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(conn() for _ in range(connections)))
    return tally, time.perf_counter() - start


@dataclass
class PairLoad:
    """Crossing pairs paced at ``fills_per_s``: each tick posts a batch of makers (one account), then the batch of
    takers (another account) that consumes them; the takers' trade ids are stamped with the answer's time."""

    port: int
    ticks: list[tuple[bytes, bytes]]
    fills_per_tick: int
    fills_per_s: float
    connections: int = 12
    tally: Tally = field(default_factory=Tally)
    matched_at: dict[str, float] = field(default_factory=dict)
    late_s: float = 0.0

    async def run(self, seconds: float) -> float:
        pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        for _ in range(self.connections):
            pool.put_nowait(await _connect(self.port))
        interval = self.fills_per_tick / self.fills_per_s
        start = time.perf_counter()
        tasks = []

        async def one(makers: bytes, takers: bytes) -> None:
            reader, writer = await pool.get()
            try:
                writer.write(makers)
                self.tally.add(*await read_response(reader))
                writer.write(takers)
                status, body = await read_response(reader)
                now = time.time()
                for a in self.tally.add(status, body):
                    for tid in a.get("tradeIDs") or []:
                        self.matched_at[tid] = now
            finally:
                pool.put_nowait((reader, writer))

        for i, (makers, takers) in enumerate(self.ticks):
            due = start + i * interval
            if due - start > seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.late_s = max(self.late_s, -delay)
            tasks.append(asyncio.create_task(one(makers, takers)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        while not pool.empty():
            pool.get_nowait()[1].close()
        return elapsed


def pair_specs(
    makers: Sequence[str], takers: Sequence[str], yes: int, no: int, count: int, seed: int, salt0: int
) -> list[tuple[Spec, Spec]]:
    """``count`` (maker, taker) pairs of 10 shares: 60 % COMPLEMENTARY, 20 % MINT, 20 % MERGE.

    In the market's YES-price book every maker rests as an ask at 0.50-0.70 (SELL YES, or BUY NO: MINT) or as a bid
    at 0.30-0.49 (BUY YES, or SELL NO: MERGE), so makers never cross each other. The taker (another account) takes
    that side at the far end of the range (BUY YES at 0.70, SELL YES at 0.30): each taker consumes exactly the 10
    shares its own maker added to that side, so it always fills whole (the best makers first, the price improvement
    its own), the resting volume stays flat and every trade is a taker's."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        mk, tk = makers[i % len(makers)], takers[(i // len(makers)) % len(takers)]
        salt = salt0 + 2 * i
        kind, ask = rng.random(), rng.random() < 0.5
        p = rng.randrange(50, 71) if ask else rng.randrange(30, 50)
        if kind < 0.6:
            maker = Spec(mk, yes, Side.SELL if ask else Side.BUY, p, 10, salt)
        elif ask:  # MINT: BUY NO at 1 - p rests as a YES ask at p
            maker = Spec(mk, no, Side.BUY, 100 - p, 10, salt)
        else:  # MERGE: SELL NO at 1 - p rests as a YES bid at p
            maker = Spec(mk, no, Side.SELL, 100 - p, 10, salt)
        taker = Spec(tk, yes, Side.BUY if ask else Side.SELL, 70 if ask else 30, 10, salt + 1)
        out.append((maker, taker))
    return out
