"""API benchmark: signed-order intake over HTTP against a real server, plus the signature-verification figures.

    .venv/bin/python bench/bench_api.py [--seconds S] [--connections C] [--single-rate R] [--verify-workers W]

1. Verification: runs `bench/bench_verify.py`'s measurement (imported) for `verify_per_s`,
   `coincurve_recover_per_s` and `verify_ratio`.
2. Server: a separate process runs uvicorn (uvloop, httptools) over `create_app(service)`: the real
   `ExchangeService` with its sequencer (the single writer of the engine) on a fresh SQLite database
   (synchronous=FULL, the default), and a cached chain view over a static chain state (every maker funded and
   approved), so each order also pays the balance/nonce lookups and the reservation precheck. With
   ``--verify-workers W`` > 0 the service verifies signatures in a pool of W processes (see
   `clob.service.verify_pool`); the engine stays single-writer.
3. Load: 16 makers, each with an API key; orders are signed beforehand (not timed) and never cross, so each one
   rests on the book (the engine's full placement path, a resting order and a journal entry each). The client
   pre-builds every HTTP request (body and HMAC headers) and sends them from one asyncio process over raw sockets,
   so the client costs little of the machine's two cores.
   - batch: C connections send POST /orders with 15 orders each, back to back, for S seconds; sustained
     orders/s counts accepted orders only; p99 is per request.
   - single: POST /order, one order per request, paced open-loop at R orders/s; p99 per request.

The last line printed is one JSON object with `verify_per_s`, `coincurve_recover_per_s`, `verify_ratio`,
`batch_orders_per_s`, `batch_p99_ms`, `single_p99_ms` (and a few more keys for context).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHAIN_ID = 31337
EXCHANGE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
MASTER_SECRET = bytes(range(32))
ADMIN_TOKEN = "bench-admin"
CONDITION = "0x" + "be" * 32
YES, NO = 424242, 434343
BATCH = 15
MAKERS = 16


# --- the server process ------------------------------------------------------------------------------------------
def serve(port: int, db_url: str, verify_workers: int, synchronous: str = "FULL") -> None:
    import uvicorn

    from clob.api import create_app
    from clob.runtime import tune
    from clob.service.chain_view import UNLIMITED, CachedChainView, Holding
    from clob.service.exchange import ExchangeService
    from clob.service.sequencer import Sequencer
    from clob.settings import Settings
    from orders import OrderVerifier
    from store import connect_database

    class FundedChain:
        """Every address holds plenty of everything, approved; nonces are 0."""

        def holding(self, address: str, asset_id: int) -> Holding:
            return Holding(10**15, UNLIMITED)

        def nonce(self, address: str) -> int:
            return 0

    runtime = Settings()  # the API process's interpreter settings (clob.runtime), as the real server applies them
    tune(runtime.gc_threshold, runtime.switch_interval_us)
    db = connect_database(db_url, sqlite_synchronous=synchronous, sqlite_autocheckpoint=runtime.sqlite_autocheckpoint)
    service = ExchangeService(
        db=db,
        sequencer=Sequencer(db),
        verifier=OrderVerifier(CHAIN_ID, EXCHANGE),
        master_secret=MASTER_SECRET,
        chain=CachedChainView(FundedChain(), max_age_s=3600.0),
        chain_id=CHAIN_ID,
        admin_token=ADMIN_TOKEN,
        verify_workers=verify_workers,
        wal_checkpoint_s=runtime.sqlite_checkpoint_s,
    )
    uvicorn.run(
        create_app(service),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        access_log=False,
    )


# --- load generation -------------------------------------------------------------------------------------------
def _keys() -> list[str]:
    rng = random.Random(11)
    return ["0x" + rng.randbytes(32).hex() for _ in range(MAKERS)]


def _sign_chunk(args: tuple[str, int, int, int]) -> list[dict[str, Any]]:
    """Sign `count` resting orders for one maker (a worker process)."""
    from orders import (
        ZERO_ADDRESS,
        ExchangeDomain,
        Order,
        Side,
        SignatureType,
        address_of,
        checksum_address,
        sign_order,
    )

    key, start, count, seed = args
    rng = random.Random(seed)
    me = address_of(key)
    domain = ExchangeDomain(CHAIN_ID, EXCHANGE)
    out = []
    for i in range(count):
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        token = YES if rng.random() < 0.5 else NO
        cents = rng.randrange(2, 45) if side == Side.BUY else rng.randrange(56, 99)  # never crosses
        shares = rng.randrange(5, 200)
        usdc = shares * cents * 10_000
        maker_amount, taker_amount = (usdc, shares * 10**6) if side == Side.BUY else (shares * 10**6, usdc)
        # bids below 0.45 and asks above 0.55 on both tokens: no two of them cross (BUY YES p and BUY NO q
        # would MINT at p + q >= 1, SELL YES p and SELL NO q would MERGE at p + q <= 1)
        order = Order(
            start + i, me, me, ZERO_ADDRESS, token, maker_amount, taker_amount, 0, 0, 0, side, SignatureType.EOA
        )
        order = sign_order(order, key, domain)
        out.append(
            {
                "salt": order.salt,
                "maker": checksum_address(order.maker),
                "signer": checksum_address(order.signer),
                "taker": ZERO_ADDRESS,
                "tokenId": str(order.token_id),
                "makerAmount": str(order.maker_amount),
                "takerAmount": str(order.taker_amount),
                "expiration": "0",
                "nonce": "0",
                "feeRateBps": "0",
                "side": order.side.name,
                "signatureType": 0,
                "signature": "0x" + order.signature.hex(),
            }
        )
    return out


def sign_orders(total: int) -> dict[str, list[dict[str, Any]]]:
    """`total` signed orders spread over the makers, signed on all cores."""
    keys = _keys()
    per = -(-total // MAKERS)
    chunks = [(key, 1_000_000 * (k + 1), per, k) for k, key in enumerate(keys)]
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
        signed = pool.map(_sign_chunk, chunks)
    return dict(zip(keys, signed, strict=True))


def _l1_headers(key: str) -> dict[str, str]:
    from clob.auth import clob_auth_digest
    from orders import address_of, checksum_address, sign_digest

    ts = str(int(time.time()))
    sig = sign_digest(clob_auth_digest(CHAIN_ID, address_of(key), ts, 0), key)
    return {
        "POLY_ADDRESS": checksum_address(address_of(key)),
        "POLY_SIGNATURE": "0x" + sig.hex(),
        "POLY_TIMESTAMP": ts,
        "POLY_NONCE": "0",
    }


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build_requests(
    orders: dict[str, list[dict[str, Any]]], creds: dict[str, dict[str, str]], per_request: int, path: str
) -> list[bytes]:
    """Pre-built HTTP requests, each carrying `per_request` orders of one maker (interleaving makers)."""
    from clob.auth import build_hmac_signature
    from orders import address_of, checksum_address

    ts = int(time.time())
    streams = []
    for key, mine in orders.items():
        c = creds[key]
        reqs = []
        for i in range(0, len(mine) - per_request + 1, per_request):
            entries = [
                {"order": o, "owner": c["apiKey"], "orderType": "GTC", "postOnly": False}
                for o in mine[i : i + per_request]
            ]
            payload: Any = entries if path == "/orders" else entries[0]
            body = json.dumps(payload, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "POLY_ADDRESS": checksum_address(address_of(key)),
                "POLY_SIGNATURE": build_hmac_signature(c["secret"], ts, "POST", path, body),
                "POLY_TIMESTAMP": str(ts),
                "POLY_API_KEY": c["apiKey"],
                "POLY_PASSPHRASE": c["passphrase"],
            }
            reqs.append(http_request("POST", path, body, headers))
        streams.append(reqs)
    out = []
    for group in zip(*streams, strict=False):
        out.extend(group)
    return out


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def closed_loop(port: int, requests: list[bytes], connections: int, seconds: float) -> dict[str, Any]:
    """C connections, back to back, until the requests or the time run out."""
    queue = iter(requests)
    latencies: list[float] = []
    accepted = 0
    refused = 0
    deadline = time.perf_counter() + seconds
    clock = time.perf_counter

    async def conn() -> None:
        nonlocal accepted, refused
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for req in queue:
            if clock() > deadline:
                break
            t0 = clock()
            writer.write(req)
            status, body = await read_response(reader)
            latencies.append(clock() - t0)
            if status == 200:
                ok = body.count(b'"success":true')
                accepted += ok
                refused += body.count(b'"success":false')
            else:
                refused += 1
        writer.close()

    start = clock()
    await asyncio.gather(*(conn() for _ in range(connections)))
    elapsed = clock() - start
    return {"elapsed": elapsed, "accepted": accepted, "refused": refused, "latencies": latencies}


async def open_loop(port: int, requests: list[bytes], rate: float, connections: int = 16) -> dict[str, Any]:
    """Send requests at a fixed rate (open loop) over a pool of connections; latency per request."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pool.put_nowait((reader, writer))
    latencies: list[float] = []
    refused = 0
    clock = time.perf_counter

    async def one(req: bytes, due: float) -> None:
        nonlocal refused
        reader, writer = await pool.get()
        t0 = max(due, clock())
        writer.write(req)
        status, body = await read_response(reader)
        latencies.append(clock() - due)  # from when it was due: queueing in the client counts too
        if status != 200 or b'"success":true' not in body:
            refused += 1
        pool.put_nowait((reader, writer))
        del t0

    start = clock()
    tasks = []
    for i, req in enumerate(requests):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(req, due)))
    await asyncio.gather(*tasks)
    elapsed = clock() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return {"elapsed": elapsed, "refused": refused, "latencies": latencies}


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")


def cpu_breakdown(n: int = 3000) -> dict[str, Any]:
    """CPU time per order of each stage, in-process and single-threaded (thread CPU time, so other jobs on the
    machine inflate it far less than wall time): the intake checks (of which parsing and the signature), building
    the sequencer submission, and the sequencer itself (engine + journal + projections + commit)."""
    from clob.auth import L1Identity
    from clob.service.chain_view import UNLIMITED, CachedChainView, Holding
    from clob.service.desk import order_submission
    from clob.service.exchange import ExchangeService
    from clob.service.outcomes import MarketSpec
    from clob.service.sequencer import Sequencer
    from orders import OrderVerifier, address_of, parse_order_request
    from store import connect_database

    class FundedChain:
        def holding(self, address: str, asset_id: int) -> Holding:
            return Holding(10**15, UNLIMITED)

        def nonce(self, address: str) -> int:
            return 0

    key = _keys()[0]
    orders = _sign_chunk((key, 1, n + 100, 99))
    with tempfile.TemporaryDirectory() as tmp:
        db = connect_database(f"sqlite:///{tmp}/cpu.db")
        svc = ExchangeService(
            db=db,
            sequencer=Sequencer(db),
            verifier=OrderVerifier(CHAIN_ID, EXCHANGE),
            master_secret=MASTER_SECRET,
            chain=CachedChainView(FundedChain(), max_age_s=3600.0),
            chain_id=CHAIN_ID,
        )
        svc.start()
        try:
            asyncio.run(svc.admin.create_market(MarketSpec(CONDITION, "", YES, NO)))
            api_key = svc.access.create_api_key(L1Identity(address_of(key), 0)).api_key
            creds = svc.keys.resolve(api_key)
            assert creds is not None
            bodies = [{"order": o, "owner": api_key, "orderType": "GTC", "postOnly": False} for o in orders]
            now = int(time.time())
            svc.desk.check_all(creds, bodies[:100], now)  # warm caches
            clock = time.thread_time
            t0 = clock()
            checked = svc.desk.check_all(creds, bodies[100:], now)
            t1 = clock()
            subs = [order_submission(c, api_key, now) for c in checked]  # type: ignore[arg-type]
            t2 = clock()
            spent = [0.0]
            process = svc.sequencer._process

            def timed(batch: Any) -> None:
                start = clock()
                try:
                    process(batch)
                finally:
                    spent[0] += clock() - start

            svc.sequencer._process = timed  # type: ignore[method-assign]
            for future in [svc.sequencer.submit(sub) for sub in subs]:
                future.result()
            parsed = [parse_order_request(b).order for b in bodies[100:]]
            t3 = clock()
            for body in bodies[100:]:
                parse_order_request(body)
            t4 = clock()
            for order in parsed:
                svc.verifier.verify(order)
            t5 = clock()
        finally:
            svc.stop()
            db.dispose()
    us = 1e6 / n
    result = {
        "cpu_check_us": round((t1 - t0) * us, 1),
        "cpu_parse_us": round((t4 - t3) * us, 1),
        "cpu_verify_us": round((t5 - t4) * us, 1),
        "cpu_submission_us": round((t2 - t1) * us, 1),
        "cpu_sequencer_us": round(spent[0] * us, 1),
    }
    print(
        f"  CPU per order: checks {result['cpu_check_us']} us (parse {result['cpu_parse_us']}, signature "
        f"{result['cpu_verify_us']}), submission {result['cpu_submission_us']} us, sequencer "
        f"{result['cpu_sequencer_us']} us (engine, journal, projections, commit)",
        flush=True,
    )
    return result


def verification_figures() -> dict[str, Any]:
    """bench_verify's own measurement, imported and run; its last output line is its JSON result."""
    import bench.bench_verify as bench_verify

    out = io.StringIO()
    argv, sys.argv = sys.argv, ["bench_verify.py"]
    try:
        with contextlib.redirect_stdout(out):
            bench_verify.main()
    finally:
        sys.argv = argv
    text = out.getvalue().strip().splitlines()
    for line in text[:-1]:
        print("  verify:", line)
    result: dict[str, Any] = json.loads(text[-1])
    return result


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server process exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def setup(port: int) -> dict[str, dict[str, str]]:
    """Open the market and create one API key per maker."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    market = {"condition_id": CONDITION, "yes_token_id": str(YES), "no_token_id": str(NO), "min_order_size": "5"}
    r = httpx.post(f"{base}/admin/markets", json=market, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    r.raise_for_status()
    creds = {}
    for key in _keys():
        response = httpx.post(f"{base}/auth/api-key", headers=_l1_headers(key))
        response.raise_for_status()
        creds[key] = response.json()
    return creds


def run_load(args: argparse.Namespace) -> dict[str, Any]:
    from chain.anvil import free_port

    batch_orders = int(args.target * args.seconds * 1.3) + 2_000
    single_orders = int(args.single_rate * args.single_seconds) + 200
    print(f"signing {batch_orders + single_orders} orders on {os.cpu_count()} cores (not timed) ...", flush=True)
    t0 = time.perf_counter()
    signed = sign_orders(batch_orders + single_orders)
    print(f"  signed in {time.perf_counter() - t0:.1f}s", flush=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        cmd = [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--db",
            db_url,
            "--verify-workers",
            str(args.verify_workers),
            "--sqlite-synchronous",
            args.sqlite_synchronous,
        ]
        proc = subprocess.Popen(cmd)
        try:
            wait_ready(port, proc)
            creds = setup(port)
            per_maker_batch = batch_orders // MAKERS
            batch_part = {k: v[:per_maker_batch] for k, v in signed.items()}
            single_part = {k: v[per_maker_batch:] for k, v in signed.items()}
            batch_reqs = build_requests(batch_part, creds, BATCH, "/orders")
            single_reqs = build_requests(single_part, creds, 1, "/order")
            warm = max(20, len(batch_reqs) // 20)
            asyncio.run(closed_loop(port, batch_reqs[:warm], args.connections, 30))
            print(f"batch: {args.connections} connections x POST /orders of {BATCH}, {args.seconds}s ...", flush=True)
            batch = asyncio.run(closed_loop(port, batch_reqs[warm:], args.connections, args.seconds))
            rate = batch["accepted"] / batch["elapsed"]
            print(
                f"  {rate:,.0f} orders/s accepted ({batch['refused']} refused), {len(batch['latencies'])} requests, "
                f"p50 {sorted(batch['latencies'])[len(batch['latencies']) // 2] * 1000:.1f} ms, "
                f"p99 {p99(batch['latencies']):.1f} ms",
                flush=True,
            )
            count = int(args.single_rate * args.single_seconds)
            print(f"single: POST /order at {args.single_rate:.0f}/s for {args.single_seconds}s ...", flush=True)
            single = asyncio.run(open_loop(port, single_reqs[:count], args.single_rate))
            lat = single["latencies"]
            print(
                f"  {len(lat) / single['elapsed']:,.0f} orders/s sent, {single['refused']} refused, "
                f"p50 {sorted(lat)[len(lat) // 2] * 1000:.2f} ms, p99 {p99(lat):.2f} ms",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait(30)
    return {
        "batch_orders_per_s": round(rate),
        "batch_p99_ms": round(p99(batch["latencies"]), 1),
        "batch_refused": batch["refused"],
        "single_p99_ms": round(p99(single["latencies"]), 2),
        "single_refused": single["refused"],
        "connections": args.connections,
        "verify_workers": args.verify_workers,
        "sqlite_synchronous": args.sqlite_synchronous,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="batch phase duration (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="batch connections (default 16)")
    parser.add_argument("--target", type=float, default=10_000, help="orders/s to sign ahead for (default 10000)")
    parser.add_argument("--single-rate", type=float, default=500.0, help="single-order rate (default 500/s)")
    parser.add_argument("--single-seconds", type=float, default=6.0, help="single phase duration (default 6)")
    parser.add_argument(
        "--verify-workers",
        type=int,
        default=1 if (os.cpu_count() or 1) > 1 else 0,
        help="signature verification processes (default: 1 where a core is spare, as make run does)",
    )
    parser.add_argument("--skip-verify", action="store_true", help="skip the bench_verify measurement")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--db", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sqlite-synchronous",
        default="FULL",
        choices=("FULL", "NORMAL"),
        help="FULL (default, a commit survives power loss) or NORMAL (survives a killed process, not an OS crash)",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.verify_workers, args.sqlite_synchronous)
        return
    result: dict[str, Any] = {}
    if not args.skip_verify:
        print("signature verification (bench/bench_verify.py):", flush=True)
        result.update(verification_figures())
    print("CPU cost per order, in-process:", flush=True)
    result.update(cpu_breakdown())
    result.update(run_load(args))
    load = os.getloadavg()[0]
    result["load_avg_1m"] = round(load, 2)
    print(f"machine load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cores", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
