"""Matching-engine benchmark: throughput, latency and memory of `clob.engine` against a naive reference book.

Usage: ``.venv/bin/python bench/bench_engine.py [--commands N] [--seed S] [--book B]`` (defaults: 1,000,000
commands from an empty book), ``--table`` for the depth table, ``--snapshot-orders N`` for the snapshot timing.

The standard mix, generated deterministically from the seed, one market at tick 0.01 around a mid of 0.50:

- 70 % passive limit adds (GTC) of 5 to 200 shares, 1 to 10 ticks from the mid, split evenly between the four
  order kinds (BUY/SELL of YES/NO), so both representations share every level;
- 20 % cancels of a uniformly chosen live order;
- 10 % marketable orders of 300 to 700 shares sweeping up to 15 ticks through the mid: limit FAK, FOK, and market
  BUYs whose amounts are USDC with an off-tick ratio; takers of both tokens, so COMPLEMENTARY, MINT and MERGE all
  occur.

**Book depth: the natural outcome of the mix.** By default the run starts from an empty book and nothing steers
its size. Takers are five average adds (500 vs 102.5 shares), the one size at which the stated mix balances: per
100 commands, 70 adds = 20 cancels + 10 takers x about 5 fills. The book then drifts where the mix takes it (up,
slowly: partial fills leave makers behind and thin books reject FOKs); the run reports the depth it went through.
``--book B`` instead pre-fills B orders (untimed) and scales taker sizes by the book's distance from B, which holds
it near B orders (B / 20 per price level): the depth table (``--table``) runs that for several B, because the
naive book's cost grows with depth (its cancel scans a deque) while ours does not. ``--taker-size 5,200`` (takers
the size of adds) is the other reading of the mix: then nothing balances the adds and the book grows without bound.

Makers and takers are disjoint owners (no self-trades). The stream is built with a shadow naive book to know
which orders are live, then replayed into:

- the engine (`Engine.apply` on prebuilt commands, events included), compiled with mypyc when `make bootstrap`
  built it (`scripts/build_engine.py`; the first line says which build ran);
- a naive reference: a single-token price-time book on `sortedcontainers.SortedDict` (price -> deque of
  orders; cancel by `deque.remove`), fed the same stream translated to YES prices; it returns fills as tuples
  and builds no events.

Throughput is ops per CPU second (process time), the two replays interleaved chunk by chunk so that load from
other jobs on the machine hits both alike; `ratio` is engine / naive. Latency (p50/p99, wall clock) comes from a
second engine replay timing each `apply`; bytes per resting order from tracemalloc while resting 200,000 fresh
orders (order-id strings included); snapshot and restore times (CPU, best of three) for a book of a million
resting orders with random 32-byte ids like real order hashes. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

from sortedcontainers import SortedDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clob.engine import (
    CancelOrder,
    Command,
    CreateMarket,
    Engine,
    MarketId,
    OrderType,
    PlaceOrder,
    Side,
    TokenId,
)
from clob.engine.events import PURE

MARKET = MarketId("0x" + "c0" * 32)
YES = TokenId(1001)
NO = TokenId(1002)
MID = 5_000  # pips
TICK = 100  # pips (0.01)
SCALE = 10_000
SHARE = 1_000_000
NOW = 1_700_000_000


# -- the naive reference book -------------------------------------------------------------------------------


class NaiveOrder:
    __slots__ = ("is_bid", "oid", "price", "qty")

    def __init__(self, oid: str, is_bid: bool, price: int, qty: int) -> None:
        self.oid = oid
        self.is_bid = is_bid
        self.price = price
        self.qty = qty


class NaiveBook:
    """Single-token price-time book: SortedDict price -> deque, dict id -> order. Returns fills as tuples."""

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.orders: dict[str, NaiveOrder] = {}

    def add(self, oid: str, is_bid: bool, price: int, qty: int, kind: str) -> list[tuple[str, int, int]]:
        """kind: "GTC" rests the remainder, "FAK" drops it, "FOK" trades only if it can fill completely."""
        opposite = self.asks if is_bid else self.bids
        if kind == "FOK" and self._depth(opposite, is_bid, price, qty) < qty:
            return []
        fills: list[tuple[str, int, int]] = []
        while qty and opposite:
            best, level = opposite.peekitem(0 if is_bid else -1)
            if (is_bid and best > price) or (not is_bid and best < price):
                break
            while qty and level:
                maker = level[0]
                traded = min(qty, maker.qty)
                fills.append((maker.oid, best, traded))
                maker.qty -= traded
                qty -= traded
                if not maker.qty:
                    level.popleft()
                    del self.orders[maker.oid]
            if not level:
                del opposite[best]
        if qty and kind == "GTC":
            book = self.bids if is_bid else self.asks
            level = book.get(price)
            if level is None:
                level = book[price] = deque()
            order = NaiveOrder(oid, is_bid, price, qty)
            level.append(order)
            self.orders[oid] = order
        return fills

    @staticmethod
    def _depth(opposite: SortedDict, is_bid: bool, price: int, qty: int) -> int:
        """Crossing quantity, counted order by order until `qty` is reached."""
        total = 0
        for best in opposite.keys() if is_bid else reversed(opposite.keys()):
            if (is_bid and best > price) or (not is_bid and best < price):
                break
            for order in opposite[best]:
                total += order.qty
                if total >= qty:
                    return total
        return total

    def cancel(self, oid: str) -> bool:
        order = self.orders.pop(oid, None)
        if order is None:
            return False
        book = self.bids if order.is_bid else self.asks
        level = book[order.price]
        level.remove(order)
        if not level:
            del book[order.price]
        return True


# -- the stream -----------------------------------------------------------------------------------------------

NaiveOp = tuple[str, str, bool, int, int, str]  # ("add", oid, is_bid, yes_price, shares, kind) / ("cancel", oid, ...)


@dataclass
class Stream:
    commands: list[Command]
    naive: list[NaiveOp]
    adds: int = 0
    cancels: int = 0
    marketable: int = 0
    warmup: int = 0
    """the first `warmup` commands build the initial book and are not timed"""
    depth_start: int = 0
    depth_mean: float = 0.0
    depth_max: int = 0
    depth_end: int = 0
    levels_end: int = 0
    """resting orders (and, at the end, price levels) of the book during the timed commands"""


def _address(i: int) -> str:
    return f"0x{i:040x}"


def _order_id(i: int) -> str:
    return f"0x{i:064x}"


def limit_order(
    seq: int, oid: str, owner: str, kind: int, yes_price: int, shares: int, order_type: OrderType
) -> PlaceOrder:
    """A limit order of kind (0 BUY YES, 1 SELL YES, 2 BUY NO, 3 SELL NO) at a YES price, exact amounts."""
    own = yes_price if kind < 2 else SCALE - yes_price
    usdc = shares * own // SCALE
    token = YES if kind < 2 else NO
    if kind & 1:
        return PlaceOrder(seq, NOW, oid, owner, token, Side.SELL, shares, usdc, 0, 0, order_type)
    return PlaceOrder(seq, NOW, oid, owner, token, Side.BUY, usdc, shares, 0, 0, order_type)


def generate(n: int, seed: int, book: int, taker_size: tuple[int, int] = (300, 700)) -> Stream:
    """`book` passive adds (the warm-up, not timed), then `n` commands of the standard mix.

    Marketable orders are `taker_size` shares (300 to 700: about five average adds). With `book` set they are
    scaled by how far the (shadow) book is from `book` orders, which holds it near that size; with `book` 0 (the
    default) nothing steers the book: it starts empty and goes where the mix takes it.
    """
    rng = random.Random(seed)
    makers = [_address(i) for i in range(1, 201)]
    takers = [_address(i) for i in range(1001, 1051)]
    commands: list[Command] = [CreateMarket(0, NOW, MARKET, YES, NO, 2, 5 * SHARE, 0)]
    naive: list[NaiveOp] = []
    stream = Stream(commands, naive)
    shadow = NaiveBook()
    live: list[str] = []
    where: dict[str, int] = {}
    depth_total = 0

    def forget(oid: str) -> None:
        i = where.pop(oid)
        last = live.pop()
        if last != oid:
            live[i] = last
            where[last] = i

    for seq in range(1, book + n + 1):
        oid = _order_id(seq)
        roll = rng.random() if seq > book else 0.0
        if seq == book + 1:
            stream.depth_start = len(shadow.orders)
        if roll < 0.7 or (roll < 0.9 and not live):
            kind = rng.randrange(4)
            is_bid = kind in (0, 3)
            offset = rng.randint(1, 10) * TICK
            yes_price = MID - offset if is_bid else MID + offset
            shares = rng.randint(5, 200) * SHARE
            commands.append(limit_order(seq, oid, rng.choice(makers), kind, yes_price, shares, OrderType.GTC))
            op: NaiveOp = ("add", oid, is_bid, yes_price, shares, "GTC")
            stream.adds += seq > book
        elif roll < 0.9:
            victim = live[rng.randrange(len(live))]
            commands.append(CancelOrder(seq, NOW, victim))
            op = ("cancel", victim, False, 0, 0, "")
            stream.cancels += 1
        else:
            scale = min(4.0, max(0.25, len(shadow.orders) / book)) if book else 1.0
            shares = max(1, round(rng.randint(*taker_size) * scale)) * SHARE
            command, op = _marketable(rng, seq, oid, rng.choice(takers), shares)
            commands.append(command)
            stream.marketable += 1
        naive.append(op)
        if op[0] == "cancel":
            shadow.cancel(op[1])
            forget(op[1])
        else:
            for maker_oid, _, _ in shadow.add(op[1], op[2], op[3], op[4], op[5]):
                if maker_oid not in shadow.orders:
                    forget(maker_oid)
            if op[1] in shadow.orders:
                where[op[1]] = len(live)
                live.append(op[1])
        if seq > book:
            resting = len(shadow.orders)
            depth_total += resting
            stream.depth_max = max(stream.depth_max, resting)
    stream.warmup = book + 1
    stream.depth_mean = depth_total / max(n, 1)
    stream.depth_end = len(shadow.orders)
    stream.levels_end = len(shadow.bids) + len(shadow.asks)
    return stream


def _marketable(rng: random.Random, seq: int, oid: str, owner: str, shares: int) -> tuple[Command, NaiveOp]:
    kind = rng.randrange(4)
    is_bid = kind in (0, 3)
    yes_limit = MID + 15 * TICK if is_bid else MID - 15 * TICK
    style = rng.random()
    if style < 0.4 or kind & 1:
        order_type = OrderType.FAK if style < 0.7 else OrderType.FOK
        command = limit_order(seq, oid, owner, kind, yes_limit, shares, order_type)
        return command, ("add", oid, is_bid, yes_limit, shares, order_type.value)
    # A market BUY as py-clob-client builds it: USDC with 2 decimals, shares = USDC / price with 4 decimals.
    own = yes_limit if kind < 2 else SCALE - yes_limit
    usdc = shares * own // SCALE // 10_000 * 10_000 + 10_000
    taker = usdc * SCALE // own // 100 * 100
    token = YES if kind < 2 else NO
    order_type = OrderType.FOK if style < 0.85 else OrderType.FAK
    command = PlaceOrder(seq, NOW, oid, owner, token, Side.BUY, usdc, taker, 0, 0, order_type)
    return command, ("add", oid, is_bid, yes_limit, taker, order_type.value)


# -- measurements ---------------------------------------------------------------------------------------------


def throughput(stream: Stream, chunks: int = 20) -> tuple[float, float, Engine, NaiveBook]:
    """Ops per CPU second of the engine and of the naive book over the timed part of the stream.

    Both replay the stream in lockstep, chunk by chunk (naive chunk i, engine chunk i, ...), so that changing
    load from other jobs on the machine hits both alike; the clock is the process CPU time.
    """
    engine = Engine()
    apply = engine.apply
    for command in stream.commands[: stream.warmup]:
        apply(command)
    book = NaiveBook()
    add, cancel = book.add, book.cancel
    warm = stream.warmup - 1  # the stream's first command creates the market, which the naive book has no use for
    for op in stream.naive[:warm]:
        add(op[1], op[2], op[3], op[4], op[5])
    commands = stream.commands[stream.warmup :]
    ops = stream.naive[warm:]
    step = -(-len(commands) // chunks)
    engine_s = naive_s = 0.0
    gc.collect()
    gc.freeze()
    clock = time.process_time
    for lo in range(0, len(commands), step):
        naive_chunk = ops[lo : lo + step]
        start = clock()
        for op in naive_chunk:
            if op[0] == "add":
                add(op[1], op[2], op[3], op[4], op[5])
            else:
                cancel(op[1])
        naive_s += clock() - start
        engine_chunk = commands[lo : lo + step]
        start = clock()
        for command in engine_chunk:
            apply(command)
        engine_s += clock() - start
    gc.unfreeze()
    return len(commands) / engine_s, len(ops) / naive_s, engine, book


def engine_latency(stream: Stream) -> tuple[float, float]:
    engine = Engine()
    apply = engine.apply
    for command in stream.commands[: stream.warmup]:
        apply(command)
    timed = stream.commands[stream.warmup :]
    clock = time.perf_counter_ns
    samples = [0] * len(timed)

    def run() -> None:
        for i, command in enumerate(timed):
            start = clock()
            apply(command)
            samples[i] = clock() - start

    gc.collect()
    gc.freeze()
    run()
    gc.unfreeze()
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[len(samples) * 99 // 100] / 1000


def bytes_per_resting_order(count: int, seed: int) -> float:
    rng = random.Random(seed)
    engine = Engine()
    engine.apply(CreateMarket(0, NOW, MARKET, YES, NO, 2, 5 * SHARE, 0))
    owners = [_address(i) for i in range(1, 201)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for seq in range(1, count + 1):
        kind = rng.randrange(4)
        offset = rng.randint(1, 10) * TICK
        yes_price = MID - offset if kind in (0, 3) else MID + offset
        command = limit_order(
            seq, _order_id(seq), owners[seq % 200], kind, yes_price, rng.randint(5, 200) * SHARE, OrderType.GTC
        )
        engine.apply(command)
    del command
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert engine.resting_count() == count
    return used / count


def snapshot_times(count: int, seed: int) -> tuple[float, float, int]:
    """CPU seconds (best of three) of `Engine.snapshot()` and `Engine.restore` for `count` resting orders, and the
    snapshot's size. Ids are random 32-byte hex strings, like the EIP-712 hashes of real orders; owners are 200
    addresses; one order in ten is a GTD."""
    rng = random.Random(seed)
    engine = Engine()
    engine.apply(CreateMarket(0, NOW, MARKET, YES, NO, 2, 5 * SHARE, 0))
    owners = [_address(i) for i in range(1, 201)]
    for seq in range(1, count + 1):
        kind = rng.randrange(4)
        offset = rng.randint(1, 10) * TICK
        yes_price = MID - offset if kind in (0, 3) else MID + offset
        order_type = OrderType.GTD if seq % 10 == 0 else OrderType.GTC
        command = limit_order(
            seq, "0x" + rng.randbytes(32).hex(), rng.choice(owners), kind, yes_price, rng.randint(5, 200) * SHARE,
            order_type,
        )  # fmt: skip
        if order_type == OrderType.GTD:
            command = replace(command, expiration=NOW + 86_400 + seq)
        engine.apply(command)
    assert engine.resting_count() == count
    gc.collect()
    clock = time.process_time
    dump_s = load_s = float("inf")
    data = b""
    for _ in range(3):
        start = clock()
        data = engine.snapshot()
        dump_s = min(dump_s, clock() - start)
        start = clock()
        restored = Engine.restore(data)
        load_s = min(load_s, clock() - start)
        assert restored.state_hash() == engine.state_hash()
        del restored
        gc.collect()
    return dump_s, load_s, len(data)


def depth_table(commands: int, seed: int, depths: list[int]) -> None:
    """Throughput of both books for each depth (0: the natural, unsteered book), as a markdown table."""
    print("| book | resting orders (mean; at the end) | engine ops/s | naive ops/s | ratio |")
    print("|---|---|---|---|---|")
    for book in depths:
        stream = generate(commands, seed, book)
        ops, naive_ops, _, _ = throughput(stream)
        label = "natural (from empty)" if not book else f"held near {book:,}"
        print(
            f"| {label} | {stream.depth_mean:,.0f}; {stream.depth_end:,} | {ops:,.0f} | {naive_ops:,.0f} "
            f"| {ops / naive_ops:.2f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--commands", type=int, default=None, help="timed commands (1,000,000; 200,000 per --table row)"
    )
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument(
        "--book", type=int, default=0, help="pre-fill and hold the book near this many orders (0: natural depth)"
    )
    parser.add_argument(
        "--taker-size", default="300,700", help="marketable orders' size range in shares (adds are 5 to 200)"
    )
    parser.add_argument("--memory-orders", type=int, default=200_000)
    parser.add_argument("--snapshot-orders", type=int, default=1_000_000, help="0 skips the snapshot timing")
    parser.add_argument("--table", action="store_true", help="print the depth table and stop")
    parser.add_argument("--depths", default="0,2000,10000,20000,50000", help="books of the depth table")
    args = parser.parse_args(argv)

    if args.table:
        depth_table(args.commands or 200_000, args.seed, [int(d) for d in args.depths.split(",")])
        return 0
    args.commands = args.commands or 1_000_000
    low, high = (int(x) for x in args.taker_size.split(","))
    taker_size = (low, high)
    build = "pure Python (no compiled modules)" if PURE else "compiled with mypyc (scripts/build_engine.py)"
    print(f"engine build: {build}", flush=True)
    t0 = time.perf_counter()
    stream = generate(args.commands, args.seed, args.book, taker_size)
    print(
        f"stream: {args.commands:,} timed commands ({stream.adds:,} adds, {stream.cancels:,} cancels, "
        f"{stream.marketable:,} marketable) after {stream.warmup - 1:,} warm-up adds, "
        f"built in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    print(
        f"book: {stream.depth_start:,} resting orders at the start, {stream.depth_end:,} at the end "
        f"({stream.levels_end} price levels), mean {stream.depth_mean:,.0f}, max {stream.depth_max:,}",
        flush=True,
    )
    ops, naive_ops, engine, naive = throughput(stream)
    print(f"naive:  {naive_ops:,.0f} ops/s (CPU time), {len(naive.orders):,} resting at the end", flush=True)
    print(f"engine: {ops:,.0f} ops/s (CPU time), {engine.resting_count():,} resting at the end", flush=True)
    p50, p99 = engine_latency(stream)
    print(f"engine latency: p50 {p50:.2f} us, p99 {p99:.2f} us", flush=True)
    memory_orders = min(args.memory_orders, max(args.commands, 1_000))
    per_order = bytes_per_resting_order(memory_orders, args.seed)
    print(f"memory: {per_order:.0f} bytes per resting order ({memory_orders:,} orders)", flush=True)
    if args.snapshot_orders:
        dump_s, load_s, size = snapshot_times(args.snapshot_orders, args.seed)
        print(
            f"snapshot: {args.snapshot_orders:,} resting orders, {size:,} bytes ({size / args.snapshot_orders:.1f} per "
            f"order), snapshot {dump_s:.2f} s, restore {load_s:.2f} s (CPU, best of 3)",
            flush=True,
        )
    result = {
        "ops_per_s": round(ops),
        "naive_ops_per_s": round(naive_ops),
        "ratio": round(ops / naive_ops, 3),
        "p50_us": round(p50, 2),
        "p99_us": round(p99, 2),
        "bytes_per_order": round(per_order, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
