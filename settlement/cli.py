"""``python -m settlement``: run the batcher against a deployment manifest and the exchange's database.

    .venv/bin/python -m settlement --manifest var/deployment.json --db sqlite:///var/polyclob.db

Defaults come from the environment like every service (``POLYCLOB_DATABASE_URL``, ``POLYCLOB_MANIFEST_PATH``,
the RPC URL from ``--rpc-url``, else the stack running on the manifest's state directory (its ``stack.json``), else
the manifest's own ``rpc_url`` (a standalone deploy's)), the operator key from
``--key`` or ``POLYCLOB_OPERATOR_KEY`` (default: anvil's dev account 0, the local deployer and operator).
``--until-idle`` exits once nothing is pending or in flight (scripts, tests); ``--crash-at POINT`` is the
crash-test hook (the process ``os._exit``s with code 77 the first time it reaches POINT).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from chain.deploy import Manifest
from chain.stack import rpc_url_for
from clob.logconfig import configure_logging
from clob.settings import Settings
from settlement.batcher import Batcher
from settlement.chain import RpcChain
from settlement.config import CRASH_POINTS, SettlementConfig
from settlement.service import SettlementService
from settlement.signer import OperatorSigner
from store.db import connect_database

log = logging.getLogger("settlement")


def create_batcher(
    manifest: Manifest,
    database_url: str,
    operator_key: str,
    config: SettlementConfig | None = None,
    rpc_url: str | None = None,
) -> Batcher:
    """A batcher for ``manifest``'s exchange, signing with ``operator_key``, on the (migrated) database."""
    config = config or SettlementConfig()
    db = connect_database(database_url)
    chain = RpcChain(rpc_url or manifest.rpc_url, timeout=config.rpc_timeout)
    signer = OperatorSigner(operator_key, manifest.chain_id)
    contracts = manifest.contracts
    return Batcher(
        db,
        chain,
        signer,
        contracts["exchange"],
        config,
        collateral=contracts.get("collateral", ""),
        ctf=contracts.get("ctf", ""),
    )


def _parser() -> argparse.ArgumentParser:
    settings = Settings()
    defaults = SettlementConfig()
    p = argparse.ArgumentParser(prog="python -m settlement", description="Settle matched trades on chain.")
    p.add_argument("--manifest", type=Path, default=settings.manifest_path)
    p.add_argument("--db", default=settings.database_url, help="SQLAlchemy URL of the exchange database")
    p.add_argument("--rpc-url", default=None, help="override the manifest's RPC URL")
    p.add_argument("--key", default=os.environ.get("POLYCLOB_OPERATOR_KEY"), help="operator private key (0x hex)")
    p.add_argument("--confirmations", type=int, default=defaults.confirmations)
    p.add_argument("--flush-interval", type=float, default=defaults.flush_interval)
    p.add_argument("--flush-size", type=int, default=defaults.flush_size)
    p.add_argument("--poll-interval", type=float, default=defaults.poll_interval)
    p.add_argument("--max-in-flight", type=int, default=defaults.max_in_flight)
    p.add_argument("--max-gas-per-tx", type=int, default=defaults.max_gas_per_tx)
    p.add_argument("--max-trades-per-tx", type=int, default=defaults.max_trades_per_tx)
    p.add_argument("--no-batch", action="store_true", help="one matchOrders transaction per trade")
    p.add_argument("--replace-after", type=float, default=defaults.replace_after)
    p.add_argument("--priority-fee-gwei", type=float, default=None)
    p.add_argument("--crash-at", choices=CRASH_POINTS, default=None)
    p.add_argument("--until-idle", action="store_true", help="exit once nothing is pending or in flight")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    key = args.key
    if not key:
        from chain.anvil import dev_key

        key = dev_key(0)
    config = SettlementConfig(
        confirmations=args.confirmations,
        flush_interval=args.flush_interval,
        flush_size=args.flush_size,
        poll_interval=args.poll_interval,
        use_batch=not args.no_batch,
        max_gas_per_tx=args.max_gas_per_tx,
        max_trades_per_tx=args.max_trades_per_tx,
        max_in_flight=args.max_in_flight,
        replace_after=args.replace_after,
        priority_fee_wei=None if args.priority_fee_gwei is None else int(args.priority_fee_gwei * 10**9),
        crash_at=args.crash_at,
    )
    manifest = Manifest.load(args.manifest)
    rpc_url = args.rpc_url or rpc_url_for(args.manifest, manifest.rpc_url)
    batcher = create_batcher(manifest, args.db, key, config, rpc_url)
    log.info("settling for operator %s on %s", batcher.operator, rpc_url)
    service = SettlementService(batcher)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bus_settings = Settings()
    if bus_settings.mode == "distributed":
        # wake on every fill of every shard (durable consumer "settlement", explicit acks; the trades table stays
        # the source of truth, so a wake-up more or less changes nothing), and tell every gateway's users about
        # each status change
        from clob.distributed.feed import follow_trades
        from clob.distributed.status import StatusPublisher

        batcher.add_row_listener(StatusPublisher(bus_settings.nats_servers, bus_settings.stream_replicas))
        follow_trades(bus_settings.nats_servers, "settlement", lambda _trade: service.notify(), stop)
    service.start()
    try:
        while not stop.wait(0.2):
            if args.until_idle and batcher.stats.steps > 0 and batcher.idle():
                break
    finally:
        service.stop()
    log.info("stopped: %s", batcher.stats)
    return 0
