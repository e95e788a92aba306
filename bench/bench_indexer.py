"""Indexer throughput: logs decoded and stored per second, and catch-up time over real ``eth_getLogs``.

    .venv/bin/python bench/bench_indexer.py [--logs N] [--batch B] [--pg URL]

Setup: a fresh anvil; instead of deploying contracts, two tiny log emitters are installed with ``anvil_setCode`` at
the addresses the indexer follows as ``collateral`` and ``ctf`` (raw EVM bytecode assembled below; no Solidity
source). One transaction makes an emitter loop ``k`` times: the collateral one emits ERC20
``Transfer(from=caller, to=0x1000+i%997, value=i+1)``, the ctf one ERC1155 ``TransferSingle(operator=caller,
from=0, to=0x1000+i%997, id=i%8+1, value=i+1)``, byte-identical to what MockUSDC and ConditionalTokens emit. So
N logs cost N/10,000 transactions instead of N, half of each kind: every TransferSingle also makes a
``chain_ctf_transfers`` row and a position update (≈8,000 distinct positions), every Transfer a
``chain_collateral_transfers`` row.

Two figures:
- ``catchup_s``: a fresh ``Indexer`` over ``RpcSource`` from block 1 until synced, on SQLite (WAL,
  ``synchronous=NORMAL``) with the default range settings: fetching over JSON-RPC, decoding, storing, committing.
- ``logs_per_s``: decode + store alone. The logs are fetched once, then replayed through
  ``EventRegistry.decode_many`` and ``IndexerStore.ingest`` in batches of B (default 5,000) into a fresh SQLite
  file: one transaction per batch with the log rows, typed rows, position upserts and cursor update, exactly as
  the follower writes a step. The replay runs ``--repeat`` times into fresh files and the fastest run counts
  (timeit's min-of-repeats: the development machines are shared and noisy; every run is printed too, with the
  load average). ``logs_per_cpu_s`` divides by the process CPU time of the fastest run instead: SQLite works
  in-process, so this is the rate an unloaded core would give. ``decode_per_s`` is the decoder alone. ``--pg URL``
  repeats the replay on PostgreSQL (wall clock; the server's work is in other processes).

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from chain.anvil import Anvil
from indexer import Indexer, IndexerConfig, RpcSource
from indexer.events import RawLog, default_registry
from indexer.projections import Projector
from indexer.store import IndexerStore
from store import Database, connect_database
from store.schema.indexer import ALL_TABLES

COLLATERAL = "0x" + "c0" * 20
CTF = "0x" + "c7" * 20
PER_TX = 10_000
SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil dev account 0 (unlocked)


def assemble(program: list[Any]) -> bytes:
    """A two-pass assembler: ints and bytes are emitted as-is, ``("label", name)`` defines a jump target and
    ``("push", name)`` pushes its offset as PUSH2."""
    labels: dict[str, int] = {}
    for final in (False, True):
        out = bytearray()
        for item in program:
            if isinstance(item, tuple) and item[0] == "label":
                labels[item[1]] = len(out)
                out.append(0x5B)  # JUMPDEST
            elif isinstance(item, tuple) and item[0] == "push":
                out += bytes([0x61]) + (labels.get(item[1], 0) if final else 0).to_bytes(2, "big")
            elif isinstance(item, int):
                out.append(item)
            else:
                out += item
    return bytes(out)


PUSH1, PUSH2, PUSH32 = 0x60, 0x61, 0x7F
CALLDATALOAD, DUP1, DUP2, LT, ISZERO, JUMPI, JUMP, ADD, MOD, MSTORE, CALLER, STOP = (
    0x35,
    0x80,
    0x81,
    0x10,
    0x15,
    0x57,
    0x56,
    0x01,
    0x06,
    0x52,
    0x33,
    0x00,
)
LOG3, LOG4 = 0xA3, 0xA4


def _to() -> list[Any]:
    return [PUSH2, b"\x03\xe5", DUP2, MOD, PUSH2, b"\x10\x00", ADD]  # 0x1000 + i % 997


def emitter(topic0: str, erc1155: bool) -> bytes:
    """Runtime code: ``n = calldata[0:32]``; for i in 0..n-1 emit one Transfer/TransferSingle log."""
    t0 = bytes.fromhex(topic0[2:])
    head = [PUSH1, 0x00, CALLDATALOAD, PUSH1, 0x00, ("label", "loop"), DUP2, DUP2, LT, ISZERO, ("push", "end"), JUMPI]
    if erc1155:
        body = [
            *[DUP1, PUSH1, 0x01, ADD, PUSH1, 0x20, MSTORE],  # mem[32] = i + 1 (value)
            *[PUSH1, 0x08, DUP2, MOD, PUSH1, 0x01, ADD, PUSH1, 0x00, MSTORE],  # mem[0] = i % 8 + 1 (id)
            *_to(),
            *[PUSH1, 0x00, CALLER, PUSH32, t0, PUSH1, 0x40, PUSH1, 0x00, LOG4],  # from 0, operator caller
        ]
    else:
        body = [
            *[DUP1, PUSH1, 0x01, ADD, PUSH1, 0x00, MSTORE],  # mem[0] = i + 1 (value)
            *_to(),
            *[CALLER, PUSH32, t0, PUSH1, 0x20, PUSH1, 0x00, LOG3],  # from caller
        ]
    tail = [PUSH1, 0x01, ADD, ("push", "loop"), JUMP, ("label", "end"), STOP]
    return assemble(head + body + tail)


def generate(node: Anvil, n_logs: int) -> int:
    """Install the emitters and make them emit ``n_logs`` logs in total; return the head block."""
    reg = default_registry()
    node.rpc("anvil_setCode", COLLATERAL, "0x" + emitter(reg.by_name("collateral", "Transfer").topic0, False).hex())
    node.rpc("anvil_setCode", CTF, "0x" + emitter(reg.by_name("ctf", "TransferSingle").topic0, True).hex())
    left, turn = n_logs, 0
    while left > 0:
        k = min(PER_TX, left)
        to = CTF if turn % 2 else COLLATERAL
        tx = {"from": SENDER, "to": to, "data": "0x" + k.to_bytes(32, "big").hex(), "gas": hex(29_000_000)}
        tx_hash = node.rpc("eth_sendTransaction", tx)
        receipt = None
        for _ in range(1000):
            receipt = node.rpc("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                break
            time.sleep(0.01)
        if receipt is None or int(receipt["status"], 16) != 1 or len(receipt["logs"]) != k:
            raise SystemExit(f"emitter transaction failed: {receipt and receipt['status']}")
        left -= k
        turn += 1
    head: int = int(node.rpc("eth_blockNumber"), 16)
    return head


def config(**kw: Any) -> IndexerConfig:
    return IndexerConfig(addresses={"collateral": COLLATERAL, "ctf": CTF}, start_block=1, confirmations=0, **kw)


def fresh_db(url: str) -> Database:
    db = connect_database(url, sqlite_synchronous="NORMAL")
    with db.engine.begin() as conn:
        for table in reversed(ALL_TABLES):
            conn.execute(table.delete())
    return db


@contextmanager
def scratch_pg(server_url: str) -> Iterator[str]:
    """A throwaway database on the PostgreSQL server at ``server_url``."""
    name = f"indexer_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def replay(db: Database, logs: list[RawLog], batch: int) -> tuple[float, float]:
    """Decode + store ``logs`` in batches as the follower would; return (wall, process CPU) seconds."""
    reg = default_registry()
    store = IndexerStore(db.engine)
    store.open_cursor("main", 31337, 1)
    projector = Projector({COLLATERAL: "collateral", CTF: "ctf"})
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(0, len(logs), batch):
        chunk = logs[k : k + batch]
        span = (chunk[0].block_number, chunk[-1].block_number)
        store.ingest("main", reg.decode_many(chunk), projector, span=span, head=span[1], confirmed=span[1])
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--logs", type=int, default=100_000, help="logs to generate and index (default 100,000)")
    parser.add_argument("--batch", type=int, default=5_000, help="logs per transaction in the replay")
    parser.add_argument("--repeat", type=int, default=3, help="replays into fresh databases; the fastest counts")
    parser.add_argument(
        "--pg", default=None, help="also replay on PostgreSQL: a server URL; a scratch database is created and dropped"
    )
    args = parser.parse_args(argv)

    results: dict[str, Any] = {"logs": args.logs}
    with Anvil() as node, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        head = generate(node, args.logs)
        results["generate_s"] = round(time.perf_counter() - t0, 2)
        print(f"generated {args.logs:,} logs in {head} blocks in {results['generate_s']} s", flush=True)

        # 1. Catch-up over JSON-RPC.
        db = fresh_db(f"sqlite:///{tmp}/catchup.db")
        source = RpcSource(node.url, timeout=120)
        t0 = time.perf_counter()
        steps = Indexer(db, source, config()).run_until_synced()
        catchup = time.perf_counter() - t0
        stored = sum(s.new_logs for s in steps)
        assert stored == args.logs, f"stored {stored} of {args.logs}"
        results["catchup_s"] = round(catchup, 2)
        results["catchup_steps"] = len(steps)
        results["catchup_logs_per_s"] = round(args.logs / catchup)
        db.dispose()
        print(f"catch-up: {args.logs:,} logs in {catchup:.2f} s over {len(steps)} steps", flush=True)

        # 2. Decode + store of the same logs, fetched once.
        raw = source.logs(1, head, Indexer(db, source, config()).filters())
        t0 = time.perf_counter()
        default_registry().decode_many(raw)
        results["decode_per_s"] = round(len(raw) / (time.perf_counter() - t0))
        runs = []
        for r in range(args.repeat):
            db = fresh_db(f"sqlite:///{tmp}/replay{r}.db")
            runs.append(replay(db, raw, args.batch))
            db.dispose()
        results["logs_per_s"] = round(len(raw) / min(w for w, _ in runs))
        results["logs_per_s_runs"] = [round(len(raw) / w) for w, _ in runs]
        results["logs_per_cpu_s"] = round(len(raw) / min(c for _, c in runs))
        print(f"decode+store SQLite: {results['logs_per_s']:,} logs/s (batches of {args.batch:,})", flush=True)
        if args.pg:
            with scratch_pg(args.pg) as url:
                walls = []
                for _ in range(args.repeat):
                    db = fresh_db(url)
                    walls.append(replay(db, raw, args.batch)[0])
                    db.dispose()
            results["pg_logs_per_s"] = round(len(raw) / min(walls))
            print(f"decode+store PostgreSQL: {results['pg_logs_per_s']:,} logs/s", flush=True)
        source.close()

    scale = 100_000 / args.logs
    results["catchup_s_100k"] = round(results["catchup_s"] * scale, 2)
    results["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
