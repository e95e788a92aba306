"""Journal benchmark: append throughput through the sequencer, and restart time for a long journal.

    .venv/bin/python bench/bench_journal.py [--commands 1000000] [--append 20000] [--database-url URL]

1. Append: ``--append`` limit-order commands submitted to a running ``Sequencer`` (journal + engine + projections in
   one transaction per batch) by 8 concurrent submitters, once with SQLite ``synchronous=FULL`` (a commit survives
   power loss; the default) and once with ``NORMAL`` (survives a killed process, not an OS crash). Reported as
   durable commands per second.
2. Restart: ``--commands`` journal entries (a realistic mix: 70% adds on both tokens, 20% cancels, 10% crossing
   orders) written directly to the journal in large transactions, then timed: ``Sequencer.recover()`` from the
   start of the journal, and — when the engine supports snapshots — restore from a snapshot taken at the end.

The last line is one JSON object: ``append_per_s_full``, ``append_per_s_normal``, ``restart_s``,
``restart_from_snapshot_s``, ``commands``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clob.engine import (
    BaseUnits,
    CancelOrder,
    Command,
    CreateMarket,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address
from clob.service.codec import encode, kind_of
from clob.service.sequencer import Sequencer, Submission
from clob.store import Journal, connect_database

MARKET = MarketId("0x" + "ab" * 32)
YES, NO = TokenId(11), TokenId(22)
NOW = UnixSeconds(1_700_000_000)
SHARE = 1_000_000


def commands(n: int, seed: int = 7) -> list[Command]:
    """A deterministic mix of n commands (the first creates the market)."""
    rng = random.Random(seed)
    out: list[Command] = [CreateMarket(Seq(1), NOW, MARKET, YES, NO, 2, BaseUnits(5 * SHARE), 0)]
    live: list[OrderId] = []
    makers = [Address(f"0x{i:040x}") for i in range(1, 51)]
    for i in range(2, n + 1):
        r = rng.random()
        if r < 0.2 and live:
            oid = live.pop(rng.randrange(len(live)))
            out.append(CancelOrder(Seq(i), NOW, oid))
            continue
        token = YES if rng.random() < 0.5 else NO
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        if r < 0.3:  # marketable
            cents = 70 if side == Side.BUY else 30
        else:
            cents = rng.randint(35, 48) if side == Side.BUY else rng.randint(52, 65)
        shares = rng.randint(5, 50)
        usdc = shares * cents * 10_000
        maker_amount, taker_amount = (usdc, shares * SHARE) if side == Side.BUY else (shares * SHARE, usdc)
        oid = OrderId("0x" + f"{i:064x}")
        live.append(oid)
        out.append(
            PlaceOrder(
                Seq(i),
                NOW,
                oid,
                makers[rng.randrange(len(makers))],
                token,
                side,
                BaseUnits(maker_amount),
                BaseUnits(taker_amount),
                0,
                UnixSeconds(0),
                OrderType.GTC,
            )
        )
    return out


def meta_for(cmd: Command) -> dict[str, Any]:
    if isinstance(cmd, PlaceOrder):
        return {"owner": "bench", "market": MARKET, "price": "0.5", "order": {"salt": int(cmd.seq)}}
    return {}


def rebuild(cmd: Command) -> Any:
    """A ``make_command`` that rebuilds ``cmd`` with the sequencer's seq."""
    cls = type(cmd)
    fields = {k: getattr(cmd, k) for k in cmd.__dataclass_fields__ if k != "seq"}
    return lambda seq: cls(seq=seq, **fields)


def bench_append(url: str, n: int, synchronous: str) -> float:
    db = connect_database(url, sqlite_synchronous=synchronous)
    seqr = Sequencer(db)
    seqr.start()
    cmds = commands(n + 1)
    seqr.submit(Submission(lambda s: CreateMarket(s, NOW, MARKET, YES, NO, 2, BaseUnits(5 * SHARE), 0))).result()
    body = cmds[1:]
    chunks = [body[i::8] for i in range(8)]

    def submitter(chunk: list[Command]) -> None:
        pending = []
        for cmd in chunk:
            pending.append(seqr.submit(Submission(rebuild(cmd), meta_for(cmd))))
            if len(pending) >= 64:
                for f in pending:
                    f.result()
                pending.clear()
        for f in pending:
            f.result()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=submitter, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    seqr.stop()
    db.dispose()
    return len(body) / elapsed


def write_journal(url: str, cmds: list[Command]) -> None:
    db = connect_database(url, sqlite_synchronous="NORMAL")
    j = Journal(db)
    for i in range(0, len(cmds), 20_000):
        j.append([(kind_of(c), encode(c, meta_for(c)), int(c.now) * 1000) for c in cmds[i : i + 20_000]])
    db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-journal-"))

    result: dict[str, Any] = {"commands": args.commands}
    for sync in ("FULL", "NORMAL"):
        url = args.database_url or f"sqlite:///{tmp / f'append-{sync}.db'}"
        rate = bench_append(url, args.append, sync)
        result[f"append_per_s_{sync.lower()}"] = round(rate)
        print(f"append ({sync}): {rate:,.0f} durable commands/s", file=sys.stderr)
        if args.database_url:
            break

    url = f"sqlite:///{tmp / 'restart.db'}"
    t0 = time.perf_counter()
    cmds = commands(args.commands)
    write_journal(url, cmds)
    print(f"wrote {len(cmds):,} journal entries in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    db = connect_database(url)
    seqr = Sequencer(db)
    t0 = time.perf_counter()
    applied = seqr.recover()
    result["restart_s"] = round(time.perf_counter() - t0, 2)
    print(f"restart from the journal: {applied:,} commands in {result['restart_s']}s", file=sys.stderr)
    engine = seqr.engine
    snapshot = getattr(engine, "snapshot", None)
    restore = getattr(type(engine), "restore", None)
    if snapshot is not None and restore is not None:
        blob = snapshot()
        t0 = time.perf_counter()
        restored = restore(blob)
        result["restart_from_snapshot_s"] = round(time.perf_counter() - t0, 2)
        assert restored.state_hash() == engine.state_hash()
        print(f"restore from a snapshot ({len(blob):,} bytes): {result['restart_from_snapshot_s']}s", file=sys.stderr)
    else:
        result["restart_from_snapshot_s"] = None
    result["resting_orders"] = engine.resting_count()
    db.dispose()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
