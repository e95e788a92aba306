"""Run the whole exchange locally on embedded defaults: ``make run`` (``make run API_PORT=8080 CHAIN_PORT=8545``),
i.e. ``python -m scripts.run_stack`` (or ``python -m polyclob``).

What it starts, in order:

1. anvil on 127.0.0.1:CHAIN_PORT mining a block every second (``--block-time``), its state kept in
   ``STATE_DIR/anvil-state.json`` (dumped every few seconds and on exit; ``STATE_DIR`` is ``var/`` unless
   ``--state-dir``), or the chain a killed runner left running on that port, adopted (`polyclob.startup`);
2. the contracts, deployed idempotently (manifest ``STATE_DIR/deployment.json``: deployment facts only); the store
   records which deployment it belongs to: the state directory's own SQLite file of another chain is moved aside
   and started afresh, any other store of another chain is refused with one line saying what to do;
3. the API with its WebSockets and heartbeat monitor on 127.0.0.1:API_PORT (SQLite ``var/polyclob.db``;
   ``POLYCLOB_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/polyclob`` for PostgreSQL);
4. the settlement batcher (in a child process, ``settlement.process``), the chain indexer and the resolution
   watcher (on threads of this process); `polyclob.wiring` says how they are connected;
   In the distributed mode (``POLYCLOB_MODE=distributed``, see docs/distributed.md) it first starts one
   sequencer process per shard (``POLYCLOB_SHARDS``, NATS at ``POLYCLOB_NATS_URL``), serves gateway 0 in this
   process and ``--gateways N`` - 1 more gateway processes on the next ports;
5. a demo market (on chain: oracle question, condition, registered tokens; off chain: the book) with two funded,
   approved demo traders and a seeded book; on a chain that has it (and any other market) but a store that does not,
   the market is opened in the book from the chain's facts, and the traders are funded up to their targets only.

It prints where everything is and, as its LAST line before serving, one JSON object with ``api_url``, ``ws_url``,
``rpc_url``, ``chain_id``, ``exchange``, ``collateral``, ``ctf``, ``markets`` (``condition_id`` + ``token_ids``) and
``demo_traders`` (private keys), ``proxy_factory``, ``safe_factory`` and ``demo_wallets`` (each demo trader's key
with its proxy wallet and Safe, funded and approved as the traders are). The same facts (and the pids) go to
``STATE_DIR/stack.json``, where CLIs find the running stack; a clean stop removes it. Ctrl-C (or SIGTERM) stops
everything cleanly. A start-up failure is one line saying what to do and exit code 2 (1 for the unexpected;
``--debug`` or ``POLYCLOB_DEBUG=1`` for the traceback).
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
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from typing import Any

import uvicorn
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import Manifest, ensure_deployed
from chain.markets import ensure_funded, ensure_market, remember_market
from chain.rpc import Signer, connect
from chain.stack import StackInfo
from chain.stack import remove as remove_stack_file
from chain.wallets import ready_fields
from clob.api import create_app
from clob.api.app import build_ws_hub
from clob.client import ClobHttpClient
from clob.logconfig import configure_logging
from clob.service.exchange import ExchangeService
from clob.settings import Settings
from clob.ws.hub import WsHub
from polyclob.distributed import start_gateways, start_sequencers, stop_all
from polyclob.exchange import build_exchange
from polyclob.startup import (
    Chain,
    StartupError,
    adopt_markets,
    bind_store,
    check_command_streams,
    check_no_runner,
    check_ports,
    has_book,
    open_in_book,
    start_chain,
)
from polyclob.wiring import Services, start_services
from reconcile.api import router as chain_router

ROOT = Path(__file__).resolve().parent.parent
USDC = 1_000_000
DEMO_QUESTION = "Will the demo market resolve YES?"
log = logging.getLogger("stack")


def _settings(args: argparse.Namespace, manifest: Manifest, rpc_url: str) -> Settings:
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


@dataclass
class Api:
    """The API served by this process (gateway 0 in the distributed mode), and what the services wire to."""

    server: uvicorn.Server
    thread: threading.Thread
    service: ExchangeService
    hub: WsHub


def _serve_api(settings: Settings, port: int) -> Api:
    exchange = build_exchange(settings)
    hub = build_ws_hub(exchange.service)
    app = create_app(
        exchange.service,
        settings=settings,
        status_feed=exchange.status_feed,
        extra_routers=[chain_router],
        hub=hub,
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on port {port}")
        time.sleep(0.05)
    return Api(server, thread, exchange.service, hub)


def _demo_market(api_url: str, settings: Settings, manifest: Manifest, w3: Web3, state: Path) -> dict[str, Any]:
    """The demo market: created on chain once (adopted when the chain has it), opened in the book when the book
    lacks it (and then seeded), its two traders funded up to their targets."""
    admin = Signer.from_key(w3, dev_key(0))
    question = f"{DEMO_QUESTION} ({manifest.deploy_block})"
    onchain, _created = ensure_market(admin, manifest, question)
    details = {"question": DEMO_QUESTION, "market_slug": "demo-market", "tick_size": "0.01", "min_order_size": "5"}
    remember_market(state, onchain, details)
    fresh = not has_book(api_url, onchain.yes_token)
    if fresh:
        open_in_book(api_url, settings.admin_token, manifest, onchain, details)
    # Two demo traders (anvil dev accounts 1 and 2): funded, approved, holding YES and NO to sell (up to the target).
    for index in (1, 2):
        ensure_funded(
            admin, Signer.from_key(w3, dev_key(index)), manifest, 10_000 * USDC, {onchain.condition_id: 1_000 * USDC}
        )
    yes, no = onchain.yes_token, onchain.no_token
    if fresh:  # a book just opened is seeded; a book that exists keeps its orders
        maker_a = ClobHttpClient(api_url, dev_key(1), manifest.chain_id, manifest.contracts["exchange"])
        maker_b = ClobHttpClient(api_url, dev_key(2), manifest.chain_id, manifest.contracts["exchange"])
        maker_a.create_api_key()
        maker_b.create_api_key()
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
    return {"condition_id": onchain.condition_id, "question_id": onchain.question_id, "token_ids": [str(yes), str(no)]}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Run the local exchange stack (chain, contracts, API, services).")
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", 8080)))
    parser.add_argument("--chain-port", type=int, default=int(os.environ.get("CHAIN_PORT", 8545)))
    parser.add_argument("--state-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--no-demo", action="store_true", help="do not create or seed the demo market")
    parser.add_argument("--block-time", type=float, default=1.0, help="anvil block interval in seconds")
    parser.add_argument(
        "--gateways", type=int, default=2, help="distributed mode: API gateway processes (ports API_PORT, +1, ...)"
    )
    parser.add_argument("--debug", action="store_true", help="a start-up failure shows its traceback (POLYCLOB_DEBUG)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging()
    debug = args.debug or bool(os.environ.get("POLYCLOB_DEBUG"))
    try:
        return _run(args)
    except StartupError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except Exception as exc:
        if debug:
            raise
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        print(
            f"error: the stack failed: {type(exc).__name__}: {reason} (POLYCLOB_DEBUG=1 or --debug shows the "
            f"traceback; logs in {args.state_dir})",
            file=sys.stderr,
            flush=True,
        )
        return 1


@dataclass
class Stack:
    """What ``make run`` started, once it serves."""

    chain: Chain
    manifest: Manifest
    settings: Settings
    api: Api
    api_url: str
    services: Services
    gateway_urls: list[str]
    markets: list[dict[str, Any]] = field(default_factory=list)
    wallet_fields: dict[str, Any] = field(default_factory=dict)
    """The READY line's smart-wallet fields (`chain.wallets.ready_fields`)."""

    @property
    def distributed(self) -> bool:
        return self.settings.mode == "distributed"


def _state_dir(args: argparse.Namespace) -> Path:
    state: Path = args.state_dir.resolve()
    args.state_dir = state
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"state directory {state} cannot be created ({exc.strerror}): choose another STATE_DIR"
        ) from None
    return state


def _run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    state = _state_dir(args)
    previous = check_no_runner(state)
    api_ports = {args.api_port: "API"}
    if os.environ.get("POLYCLOB_MODE", "embedded") == "distributed":
        api_ports.update({args.api_port + i: "gateway" for i in range(1, args.gateways)})
    check_ports(api_ports)
    chain = start_chain(state, args.chain_port, args.block_time, previous)
    me = os.getpid()
    StackInfo(str(state), me, chain.url, chain.port, anvil_pid=chain.pid).save(state)
    children: list[Popen[bytes]] = []  # distributed mode: shard sequencers and extra gateways
    try:
        stack = _start(args, state, chain, children)
        _announce(args, state, stack, me)
        while not stop.is_set() and stack.api.thread.is_alive():
            stop.wait(0.5)
        print("stopping", file=sys.stderr)
        stop.set()
        stack.services.stop()
        stack.api.server.should_exit = True
        stack.api.thread.join(15)
    finally:
        if children:
            stop_all(children)
        chain.stop()
        remove_stack_file(state, me)
    return 0


def _start(args: argparse.Namespace, state: Path, chain: Chain, children: list[Popen[bytes]]) -> Stack:
    """Contracts, store, (shard sequencers,) the API, (more gateways,) markets and the background services."""
    for note in chain.notes:
        print(f"chain      {note}", file=sys.stderr)
    manifest = ensure_deployed(chain.url, dev_key(0), state / "deployment.json", save_rpc_url=False)
    w3 = connect(chain.url)
    settings = _settings(args, manifest, chain.url)
    own_sqlite = not os.environ.get("POLYCLOB_DATABASE_URL")
    for note in bind_store(settings.database_url, manifest, w3, state, own_sqlite):
        print(f"database   {note}", file=sys.stderr)
    distributed = settings.mode == "distributed"
    if distributed:  # the shards' sequencers first: a gateway only forwards commands to them
        check_command_streams(settings.database_url, settings.nats_url, settings.nats_servers, settings.shard_list)
        children += start_sequencers(settings, state)
    api = _serve_api(settings, args.api_port)
    api_url = f"http://127.0.0.1:{args.api_port}"
    gateway_urls = [api_url]
    if distributed and args.gateways > 1:
        ports = [args.api_port + i for i in range(1, args.gateways)]
        children += start_gateways(settings, state, ports)
        gateway_urls += [f"http://127.0.0.1:{p}" for p in ports]
    markets = [] if args.no_demo else [_demo_market(api_url, settings, manifest, w3, state)]
    # Smart-wallet demo traders: the demo traders' proxy wallets and Safes, funded in every demo market.
    wallet_fields = ready_fields(
        Signer.from_key(w3, dev_key(0)),
        [] if args.no_demo else [dev_key(1), dev_key(2)],
        manifest.contracts,
        10_000 * USDC,
        {m["condition_id"]: 1_000 * USDC for m in markets},
    )
    adopted = adopt_markets(api_url, settings.admin_token, manifest, w3, state)
    if adopted:
        print(f"markets    opened {len(adopted)} market(s) of the chain in this store's book", file=sys.stderr)
    services = start_services(api.service, api.hub, settings, manifest, dev_key(0))
    print("batcher    running (operator = deployer)", file=sys.stderr)
    print("indexer    running (confirmations 1), resolution watcher running", file=sys.stderr)
    return Stack(chain, manifest, settings, api, api_url, services, gateway_urls, markets, wallet_fields)


def _announce(args: argparse.Namespace, state: Path, stack: Stack, me: int) -> None:
    """Where everything is (stderr), the ready record in ``stack.json``, and the READY line (the last of stdout)."""
    chain, manifest, settings, api_url = stack.chain, stack.manifest, stack.settings, stack.api_url
    dump = state / "anvil-state.json"
    print(f"chain      {chain.url} (chain id {manifest.chain_id}, state {dump})", file=sys.stderr)
    for role, address in sorted(manifest.contracts.items()):
        print(f"{role:<10} {address}", file=sys.stderr)
    print(f"api        {api_url}  (OpenAPI: {api_url}/docs)", file=sys.stderr)
    print(f"console    {api_url}/console", file=sys.stderr)
    print(f"websocket  ws://127.0.0.1:{args.api_port}/ws/market, /ws/user", file=sys.stderr)
    print(f"database   {settings.database_url}", file=sys.stderr)
    if stack.distributed:
        print(f"mode       distributed: shards {settings.shards} over {settings.nats_url}", file=sys.stderr)
        print(f"gateways   {' '.join(stack.gateway_urls)}", file=sys.stderr)
    print(f"admin      token in {state / 'admin.token'}", file=sys.stderr)
    print(f"stack      {state / 'stack.json'} (where CLIs find this stack)", file=sys.stderr)
    StackInfo(
        str(state),
        me,
        chain.url,
        chain.port,
        anvil_pid=chain.pid,
        phase="ready",
        api_url=api_url,
        api_port=args.api_port,
        chain_id=manifest.chain_id,
        gateways=stack.gateway_urls,
    ).save(state)
    summary = {
        "api_url": api_url,
        "console_url": f"{api_url}/console",
        "ws_url": f"ws://127.0.0.1:{args.api_port}/ws",
        "rpc_url": chain.url,
        "chain_id": manifest.chain_id,
        "exchange": manifest.contracts["exchange"],
        "exchange_v2": manifest.contracts.get("exchange_v2"),
        "collateral": manifest.contracts["collateral"],
        "ctf": manifest.contracts["ctf"],
        "oracle": manifest.contracts.get("oracle"),
        "markets": [{"condition_id": m["condition_id"], "token_ids": m["token_ids"]} for m in stack.markets],
        "demo_traders": [dev_key(1), dev_key(2)],
        **stack.wallet_fields,
        "mode": settings.mode,
        "gateways": stack.gateway_urls,
        "shards": settings.shard_list if stack.distributed else [settings.stream],
        "state_dir": str(state),
        "pid": me,
        "chain_pid": chain.pid,
        "chain_adopted": chain.adopted,
    }
    print(json.dumps(summary), flush=True)
