"""Journal benchmark: append throughput through the sequencer, restart time for a long journal, snapshot stall.

    .venv/bin/python bench/bench_journal.py [--commands 1000000] [--tail 50000] [--append 20000] [--database-url URL]
        [--restart-database-url URL]
    .venv/bin/python bench/bench_journal.py --compare-with COMMIT [--compare-entries 200000]

1. Append: ``--append`` limit-order commands submitted to a running ``Sequencer`` (journal + engine + projections in
   one transaction per batch) by 8 concurrent submitters, once with SQLite ``synchronous=FULL`` (a commit survives
   power loss; the default) and once with ``NORMAL`` (survives a killed process, not an OS crash). Reported as
   durable commands per second.
2. Restart: ``--commands`` journal entries (a realistic mix: 70% adds on both tokens, 20% cancels, 10% crossing
   orders; each encoded by ``clob.service.codec`` and hash-chained by ``Journal.prepare`` exactly as the sequencer
   writes them) inserted directly in large transactions, with an engine snapshot stored at ``commands - tail`` (by
   default half the service's snapshot interval behind the head: the average case). Then timed on a fresh
   ``Sequencer``: ``recover(use_snapshot=False)`` (every entry re-applied, every chain hash checked) and
   ``recover()`` (the snapshot verified and restored, then the ``tail`` entries re-applied); both must give the same
   engine state hash.
3. Snapshot stall: a sequencer on that database takes a snapshot while 4 submitters stream orders, once with the
   ``inline`` capture (state hash and bytes made on the writer thread, as before) and once with the ``fork``
   capture; reported: the time the capture held the writer thread and the worst submission latency around it.

The last line is one JSON object: ``append_per_s`` (= ``append_per_s_full``), ``append_per_s_full``,
``append_per_s_normal``, ``commands``, ``restart_s`` / ``restart_from_snapshot_s`` (full replay / snapshot + tail;
also as ``restart_1m_full_s`` / ``restart_1m_snapshot_s`` when ``commands`` is 1,000,000), ``replay_per_s``,
``snapshot_tail``, ``snapshot_bytes``, ``resting_orders``, ``stall_{inline,fork}_s`` (writer-thread time of one
snapshot capture), ``max_latency_{inline,fork}_s`` and ``p99_latency_..._s`` (submission round trips while it is
taken), ``snapshot_ready_..._s`` (capture to stored), ``load_avg`` (1-minute load average at start and end).

``--compare-with COMMIT`` only times recovery of a ``--compare-entries`` journal with that commit's journal reader,
chain check and decoder against the current ``Sequencer.recover``, alternately in one process (same load).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from clob.engine import (
    BaseUnits,
    CancelOrder,
    Command,
    CreateMarket,
    Engine,
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
from clob.service.sequencer import Sequencer
from clob.service.snapshot_capture import default_mode
from clob.service.snapshots import save_snapshot
from clob.service.submission import UNSEQUENCED, Submission
from store import Journal, connect_database
from store.schema import snapshots

MARKET = MarketId("0x" + "ab" * 32)
YES, NO = TokenId(11), TokenId(22)
NOW = UnixSeconds(1_700_000_000)
SHARE = 1_000_000


def iter_commands(n: int, seed: int = 7) -> Iterator[Command]:
    """A deterministic mix of n commands (the first creates the market)."""
    rng = random.Random(seed)
    yield CreateMarket(Seq(1), NOW, MARKET, YES, NO, 2, BaseUnits(5 * SHARE), 0)
    live: list[OrderId] = []
    makers = [Address(f"0x{i:040x}") for i in range(1, 51)]
    for i in range(2, n + 1):
        r = rng.random()
        if r < 0.2 and live:
            # a uniformly chosen live order, removed by swapping in the last one (O(1), unlike pop(i))
            at = rng.randrange(len(live))
            oid = live[at]
            live[at] = live[-1]
            live.pop()
            yield CancelOrder(Seq(i), NOW, oid)
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
        yield PlaceOrder(
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


def commands(n: int, seed: int = 7) -> list[Command]:
    return list(iter_commands(n, seed))


def meta_for(cmd: Command) -> dict[str, Any]:
    if isinstance(cmd, PlaceOrder):
        return {"owner": "bench", "market": MARKET, "price": "0.5", "order": {"salt": int(cmd.seq)}}
    return {}


def bench_append(url: str, n: int, synchronous: str) -> float:
    db = connect_database(url, sqlite_synchronous=synchronous)
    seqr = Sequencer(db)
    seqr.start()
    cmds = commands(n + 1)
    seqr.submit(Submission(CreateMarket(UNSEQUENCED, NOW, MARKET, YES, NO, 2, BaseUnits(5 * SHARE), 0))).result()
    body = cmds[1:]
    chunks = [body[i::8] for i in range(8)]

    def submitter(chunk: list[Command]) -> None:
        pending = []
        for cmd in chunk:
            pending.append(seqr.submit(Submission(cmd, meta_for(cmd))))
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


def write_journal(j: Journal, cmds: Iterator[Command], count: int, chunk: int = 50_000) -> None:
    """Append the next ``count`` commands as the sequencer would journal them (same payloads, same chain), in
    transactions of ``chunk`` entries."""
    db = j.db
    left = count
    while left > 0:
        take = min(chunk, left)
        items = [(kind_of(c), encode(c, meta_for(c)), int(c.now) * 1000) for c in itertools.islice(cmds, take)]
        if len(items) != take:
            raise ValueError("not enough commands")
        entries = j.prepare(items)
        with db.engine.begin() as conn:
            Journal.insert(conn, entries)
        j.advance(entries)
        left -= take


def bench_stall(url: str, mode: str, warmup: int = 200, total: int = 2000) -> dict[str, float]:
    """Start a sequencer on the restart database with a snapshot due ``warmup`` commands from now; stream
    ``total`` new orders from 4 submitters; return the capture's writer-thread time and the worst latency."""
    db = connect_database(url, sqlite_synchronous="NORMAL")
    seqr = Sequencer(db, snapshot_every=10**15, snapshot_mode=mode)
    seqr.start()
    head = seqr.status().head_seq
    with db.engine.connect() as conn:
        last_snap = conn.execute(select(func.max(snapshots.c.seq))).scalar_one() or 0
    seqr.snapshot_every = head - last_snap + warmup
    latencies: list[float] = []
    lock = threading.Lock()

    def submitter(k: int) -> None:
        rng = random.Random(k)
        for i in range(total // 4):
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            cents = rng.randint(35, 48) if side == Side.BUY else rng.randint(52, 65)
            usdc = 10 * cents * 10_000
            maker_amount, taker_amount = (usdc, 10 * SHARE) if side == Side.BUY else (10 * SHARE, usdc)
            oid = OrderId(f"0x{k + 1:02x}{i:062x}")
            cmd = PlaceOrder(
                Seq(0),
                NOW,
                oid,
                Address(f"0x{k + 1:040x}"),
                YES,
                side,
                BaseUnits(maker_amount),
                BaseUnits(taker_amount),
                0,
                UnixSeconds(0),
                OrderType.GTC,
            )
            t0 = time.perf_counter()
            seqr.submit(Submission(cmd, meta_for(cmd))).result()
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=submitter, args=(k,)) for k in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    seqr.stop(timeout=600)
    taker = seqr.snapshots
    if taker.stored != 1:
        raise RuntimeError(f"{mode}: expected one snapshot, got {taker.stored} (failed {taker.failed})")
    latencies.sort()
    out = {
        "stall_s": round(taker.max_capture_s, 4),
        "max_latency_s": round(latencies[-1], 4),
        "p99_latency_s": round(latencies[int(len(latencies) * 0.99)], 4),
        "ready_s": round(taker.last_ready_s, 2),
        "per_s": round(total / elapsed),
    }
    db.dispose()
    return out


def _module_at(commit: str, path: str, name: str, where: Path) -> Any:
    """The module ``path`` as it was at ``commit`` (``git show``), imported under ``name``."""
    import importlib.util
    import subprocess

    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=True).stdout
    file = where / f"{name}.py"
    file.write_bytes(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def compare_with(commit: str, n: int, tmp: Path, rounds: int = 2) -> list[dict[str, float]]:
    """Recovery of an ``n``-entry journal by the code of ``commit`` (everything read into a list, ``verify_chain``,
    the generic decoder) and by the current ``Sequencer.recover``, alternately, in this process: same journal,
    same load."""
    old_journal = _module_at(commit, "store/journal.py", "old_journal", tmp)
    old_codec = _module_at(commit, "clob/service/codec.py", "old_codec", tmp)
    url = f"sqlite:///{tmp / 'compare.db'}"
    db = connect_database(url, sqlite_synchronous="NORMAL")
    write_journal(Journal(db), iter_commands(n), n)
    out = []
    for _ in range(rounds):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        engine = Engine()
        entries = list(old_journal.Journal(db, "main").read(from_seq=1))
        old_journal.verify_chain(iter(entries), 1, old_journal.GENESIS)
        for entry in entries:
            engine.apply(old_codec.decode(entry.kind, entry.payload, entry.seq)[0])
        del entries
        old_s = time.perf_counter() - t0
        seqr = Sequencer(db, snapshot_every=0)
        t0 = time.perf_counter()
        seqr.recover(use_snapshot=False)
        new_s = time.perf_counter() - t0
        assert seqr.engine.state_hash() == engine.state_hash()
        out.append({"old_s": round(old_s, 2), "new_s": round(new_s, 2), "load": round(load, 2)})
        print(f"recover {n:,} entries: {commit} {old_s:.2f}s, now {new_s:.2f}s (load {load:.2f})", file=sys.stderr)
    db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=1_000_000)
    parser.add_argument("--tail", type=int, default=50_000, help="journal entries after the snapshot")
    parser.add_argument("--append", type=int, default=20_000)
    parser.add_argument("--database-url", default="", help="for the append figure (default: SQLite files)")
    parser.add_argument(
        "--restart-database-url",
        default="",
        help="an empty database for the restart and stall phases (default: SQLite)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite files (~0.6 GB)")
    parser.add_argument("--compare-with", default="", metavar="COMMIT", help="only: old vs current recovery")
    parser.add_argument("--compare-entries", type=int, default=200_000)
    args = parser.parse_args(argv)
    if args.compare_with:
        tmp = Path(tempfile.mkdtemp(prefix="bench-journal-"))
        runs = compare_with(args.compare_with, args.compare_entries, tmp)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        print(json.dumps({"compare_with": args.compare_with, "entries": args.compare_entries, "runs": runs}))
        return 0
    if not 0 <= args.tail < args.commands:
        parser.error("--tail must be below --commands")
    tmp = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    result: dict[str, Any] = {"commands": args.commands, "load_avg": [round(os.getloadavg()[0], 2)]}

    for sync in ("FULL", "NORMAL"):
        url = args.database_url or f"sqlite:///{tmp / f'append-{sync}.db'}"
        rate = bench_append(url, args.append, sync)
        result[f"append_per_s_{sync.lower()}"] = round(rate)
        print(f"append ({sync}): {rate:,.0f} durable commands/s", file=sys.stderr)
        if args.database_url:
            break
    result["append_per_s"] = result.get("append_per_s_full")

    # The journal: entries 1..N-tail, a snapshot there, then the tail.
    url = args.restart_database_url or f"sqlite:///{tmp / 'restart.db'}"
    db = connect_database(url, sqlite_synchronous="NORMAL")
    if Journal(db).head_seq:
        parser.error("the restart database must hold no journal")
    journal = Journal(db)
    cmds = iter_commands(args.commands)
    at = args.commands - args.tail
    t0 = time.perf_counter()
    write_journal(journal, cmds, at)
    builder = Sequencer(db, snapshot_every=0)
    builder.recover(use_snapshot=False)
    snap = save_snapshot(db, "main", at, journal.head_hash, builder.engine)
    del builder
    write_journal(journal, cmds, args.tail)
    result["snapshot_tail"] = args.tail
    result["snapshot_bytes"] = len(snap.blob)
    print(
        f"wrote {args.commands:,} journal entries and a snapshot at {at:,} ({len(snap.blob):,} bytes) "
        f"in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )

    seqr = Sequencer(db, snapshot_every=0)
    t0 = time.perf_counter()
    applied = seqr.recover(use_snapshot=False)
    full_s = time.perf_counter() - t0
    full_hash = seqr.engine.state_hash()
    result["resting_orders"] = seqr.engine.resting_count()
    del seqr
    assert applied == args.commands
    result["restart_s"] = round(full_s, 2)
    result["replay_per_s"] = round(applied / full_s)
    print(f"restart from the journal: {applied:,} commands in {full_s:.2f}s", file=sys.stderr)

    seqr = Sequencer(db, snapshot_every=0)
    t0 = time.perf_counter()
    applied = seqr.recover()
    snap_s = time.perf_counter() - t0
    assert applied == args.tail, applied
    assert seqr.engine.state_hash() == full_hash, "snapshot + tail must give the state of the full replay"
    del seqr
    result["restart_from_snapshot_s"] = round(snap_s, 2)
    print(f"restart from the snapshot + {applied:,} entries: {snap_s:.2f}s", file=sys.stderr)
    if args.commands == 1_000_000:
        result["restart_1m_full_s"] = result["restart_s"]
        result["restart_1m_snapshot_s"] = result["restart_from_snapshot_s"]
    db.dispose()

    modes = ["inline", "fork"] if default_mode() == "fork" else ["inline"]
    for mode in modes:
        stall = bench_stall(url, mode)
        result[f"stall_{mode}_s"] = stall["stall_s"]
        result[f"max_latency_{mode}_s"] = stall["max_latency_s"]
        result[f"p99_latency_{mode}_s"] = stall["p99_latency_s"]
        result[f"snapshot_ready_{mode}_s"] = stall["ready_s"]
        print(f"snapshot ({mode}): {stall}", file=sys.stderr)
    result["load_avg"].append(round(os.getloadavg()[0], 2))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
