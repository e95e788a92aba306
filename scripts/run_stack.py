"""Run the whole exchange locally on embedded defaults: ``make run`` (``make run API_PORT=8080 CHAIN_PORT=8545``).

What it starts, in order:

1. anvil on 127.0.0.1:CHAIN_PORT mining a block every second (``--block-time``), its state kept in
   ``var/anvil-state.json`` (dumped every few seconds and on exit);
2. the contracts, deployed idempotently (manifest ``var/deployment.json``; if the chain state was lost, the old
   database no longer matches it and the embedded SQLite file is started afresh);
3. the API with its WebSockets and heartbeat monitor on 127.0.0.1:API_PORT (SQLite ``var/polyclob.db``;
   ``POLYCLOB_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/polyclob`` for PostgreSQL);
4. the settlement batcher, the chain indexer and the resolution watcher, on threads of this process
   (``scripts/wiring.py`` says how they are connected);
   In the distributed mode (``POLYCLOB_MODE=distributed``, see docs/distributed.md) it first starts one
   sequencer process per shard (``POLYCLOB_SHARDS``, NATS at ``POLYCLOB_NATS_URL``), serves gateway 0 in this
   process and ``--gateways N`` - 1 more gateway processes on the next ports;
5. a demo market (on chain: oracle question, condition, registered tokens; off chain: the book) with two funded,
   approved demo traders and a seeded book.

It prints where everything is and, as its LAST line before serving, one JSON object with ``api_url``, ``ws_url``,
``rpc_url``, ``chain_id``, ``exchange``, ``collateral``, ``ctf``, ``markets`` (``condition_id`` + ``token_ids``) and
``demo_traders`` (private keys). Ctrl-C (or SIGTERM) stops everything cleanly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from clob.logconfig import configure_logging
from contracts.anvil import Anvil, dev_key
from contracts.chain import Signer, connect
from contracts.deploy import Manifest, ensure_deployed
from contracts.markets import create_market, fund_trader

ROOT = Path(__file__).resolve().parent.parent
USDC = 1_000_000
DEMO_QUESTION = "Will the demo market resolve YES?"
log = logging.getLogger("stack")


def _settings(args: argparse.Namespace, manifest: Manifest, rpc_url: str) -> Any:
    from clob.settings import Settings

    state = args.state_dir
    master = state / "master.key"
    admin = state / "admin.token"
    if not admin.exists():
        admin.write_text(secrets.token_hex(16))
        admin.chmod(0o600)
    env_url = os.environ.get("POLYCLOB_DATABASE_URL")
    # Signatures are verified in a worker process when there is a core to spare (POLYCLOB_VERIFY_WORKERS wins).
    workers = os.environ.get("POLYCLOB_VERIFY_WORKERS") or (1 if (os.cpu_count() or 1) > 1 else 0)
    return Settings(
        verify_workers=int(workers),
        database_url=env_url or f"sqlite:///{state / 'polyclob.db'}",
        rpc_url=rpc_url,
        chain_id=manifest.chain_id,
        manifest_path=state / "deployment.json",
        exchange_address=manifest.contracts["exchange"],
        collateral_address=manifest.contracts["collateral"],
        ctf_address=manifest.contracts["ctf"],
        master_secret_path=master,
        admin_token=admin.read_text().strip(),
    )


def _serve_api(settings: Any, port: int) -> tuple[Any, threading.Thread, Any]:
    import uvicorn

    from clob.api import create_app

    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on port {port}")
        time.sleep(0.05)
    return server, thread, app


def _demo_market(args: argparse.Namespace, api_url: str, settings: Any, manifest: Manifest, w3: Any) -> dict[str, Any]:
    """Create the demo market once (on chain and in the book) and seed it; reuse it on later runs."""
    import httpx

    from clob.client import ClobHttpClient

    saved = args.state_dir / "demo-market.json"
    if saved.exists():
        market: dict[str, Any] = json.loads(saved.read_text())
        if httpx.get(f"{api_url}/markets/{market['condition_id']}", timeout=10).status_code == 200:
            return market
    admin = Signer.from_key(w3, dev_key(0))
    onchain = create_market(admin, manifest, f"{DEMO_QUESTION} ({manifest.deploy_block})")
    body = {
        "condition_id": onchain.condition_id,
        "question_id": onchain.question_id,
        "yes_token_id": str(onchain.yes_token),
        "no_token_id": str(onchain.no_token),
        "tick_size": "0.01",
        "min_order_size": "5",
        "fee_rate_bps": 0,
        "question": DEMO_QUESTION,
        "market_slug": "demo-market",
        "oracle": manifest.contracts["oracle"],
    }
    resp = httpx.post(
        f"{api_url}/admin/markets", json=body, headers={"Authorization": f"Bearer {settings.admin_token}"}, timeout=30
    )
    resp.raise_for_status()
    # Two demo traders (anvil dev accounts 1 and 2): funded, approved, holding YES and NO to sell.
    for index in (1, 2):
        fund_trader(
            admin, Signer.from_key(w3, dev_key(index)), manifest, 10_000 * USDC, {onchain.condition_id: 1_000 * USDC}
        )
    maker_a = ClobHttpClient(api_url, dev_key(1), manifest.chain_id, manifest.contracts["exchange"])
    maker_b = ClobHttpClient(api_url, dev_key(2), manifest.chain_id, manifest.contracts["exchange"])
    maker_a.create_api_key()
    maker_b.create_api_key()
    yes, no = onchain.yes_token, onchain.no_token
    maker_a.post_orders(
        [maker_a.limit_order(yes, "BUY", p, "100") for p in ("0.45", "0.44", "0.43")]
        + [maker_a.limit_order(yes, "SELL", p, "100") for p in ("0.55", "0.56", "0.57")]
    )
    maker_b.post_orders(
        [maker_b.limit_order(no, "BUY", p, "50") for p in ("0.40", "0.39")]
        + [maker_b.limit_order(no, "SELL", p, "50") for p in ("0.60", "0.62")]
    )
    maker_a.close()
    maker_b.close()
    market = {
        "condition_id": onchain.condition_id,
        "question_id": onchain.question_id,
        "token_ids": [str(yes), str(no)],
    }
    saved.write_text(json.dumps(market))
    return market


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local exchange stack (chain, contracts, API, services).")
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", 8080)))
    parser.add_argument("--chain-port", type=int, default=int(os.environ.get("CHAIN_PORT", 8545)))
    parser.add_argument("--state-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--no-demo", action="store_true", help="do not create or seed the demo market")
    parser.add_argument("--block-time", type=float, default=1.0, help="anvil block interval in seconds")
    parser.add_argument(
        "--gateways", type=int, default=2, help="distributed mode: API gateway processes (ports API_PORT, +1, ...)"
    )
    args = parser.parse_args(argv)
    configure_logging()

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    state: Path = args.state_dir
    state.mkdir(parents=True, exist_ok=True)
    chain_state = state / "anvil-state.json"
    node = Anvil(
        port=args.chain_port,
        block_time=args.block_time,
        log_path=state / "anvil.log",
        extra_args=("--state", str(chain_state), "--state-interval", "5"),
    )
    node.start()
    children: list[Any] = []  # distributed mode: shard sequencers and extra gateways
    try:
        manifest = ensure_deployed(node.url, dev_key(0), state / "deployment.json")
        if _redeployed(manifest, state):
            for stale in ("polyclob.db", "polyclob.db-wal", "polyclob.db-shm", "demo-market.json"):
                (state / stale).unlink(missing_ok=True)
        settings = _settings(args, manifest, node.url)
        distributed = settings.mode == "distributed"
        if distributed:  # the shards' sequencers first: a gateway only forwards commands to them
            from scripts.distributed_stack import start_sequencers

            children += start_sequencers(settings, state)
        server, api_thread, app = _serve_api(settings, args.api_port)
        api_url = f"http://127.0.0.1:{args.api_port}"
        gateway_urls = [api_url]
        if distributed and args.gateways > 1:
            from scripts.distributed_stack import start_gateways

            ports = [args.api_port + i for i in range(1, args.gateways)]
            children += start_gateways(settings, state, ports)
            gateway_urls += [f"http://127.0.0.1:{p}" for p in ports]
        w3 = connect(node.url)
        markets = [] if args.no_demo else [_demo_market(args, api_url, settings, manifest, w3)]
        from scripts.wiring import start_services

        services = start_services(app, settings, manifest, dev_key(0))
        print("batcher    running (operator = deployer)", file=sys.stderr)
        print("indexer    running (confirmations 1), resolution watcher running", file=sys.stderr)

        print(f"chain      {node.url} (chain id {manifest.chain_id}, state {chain_state})", file=sys.stderr)
        for role, address in sorted(manifest.contracts.items()):
            print(f"{role:<10} {address}", file=sys.stderr)
        print(f"api        {api_url}  (OpenAPI: {api_url}/docs)", file=sys.stderr)
        print(f"websocket  ws://127.0.0.1:{args.api_port}/ws/market, /ws/user", file=sys.stderr)
        print(f"database   {settings.database_url}", file=sys.stderr)
        if distributed:
            print(f"mode       distributed: shards {settings.shards} over {settings.nats_url}", file=sys.stderr)
            print(f"gateways   {' '.join(gateway_urls)}", file=sys.stderr)
        print(f"admin      token in {state / 'admin.token'}", file=sys.stderr)
        summary = {
            "api_url": api_url,
            "ws_url": f"ws://127.0.0.1:{args.api_port}/ws",
            "rpc_url": node.url,
            "chain_id": manifest.chain_id,
            "exchange": manifest.contracts["exchange"],
            "collateral": manifest.contracts["collateral"],
            "ctf": manifest.contracts["ctf"],
            "oracle": manifest.contracts.get("oracle"),
            "markets": [{"condition_id": m["condition_id"], "token_ids": m["token_ids"]} for m in markets],
            "demo_traders": [dev_key(1), dev_key(2)],
            "mode": settings.mode,
            "gateways": gateway_urls,
            "shards": settings.shard_list if distributed else [settings.stream],
        }
        print(json.dumps(summary), flush=True)
        while not stop.is_set() and api_thread.is_alive():
            stop.wait(0.5)
        print("stopping", file=sys.stderr)
        stop.set()
        services.stop()
        server.should_exit = True
        api_thread.join(15)
    finally:
        if children:
            from scripts.distributed_stack import stop_all

            stop_all(children)
        node.stop()
    return 0


def _redeployed(manifest: Manifest, state: Path) -> bool:
    """Whether this run deployed afresh (a new manifest): the old database then describes another chain."""
    marker = state / "deployment.stamp"
    stamp = f"{manifest.chain_id}:{manifest.deploy_block}:{sorted(manifest.contracts.items())}"
    if marker.exists() and marker.read_text() == stamp:
        return False
    marker.write_text(stamp)
    return True


if __name__ == "__main__":
    raise SystemExit(main())
