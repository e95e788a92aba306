"""Run the indexer: ``python -m indexer [run|status] ...``.

    python -m indexer run --manifest build/deployment.json --db sqlite:///var/clob.db [--confirmations 10] [--once]
    python -m indexer status --db sqlite:///var/clob.db [--rpc-url http://127.0.0.1:8545]

``run`` follows the manifest's exchange, ctf and collateral contracts from its deploy block (or ``--start-block``),
polling the head every ``--poll`` seconds until SIGINT/SIGTERM; ``--once`` catches up and exits. ``status`` prints
the cursor (last indexed block, confirmed block, lag) as JSON.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from chain.deploy import Manifest
from chain.stack import rpc_url_for
from clob.logconfig import configure_logging
from clob.settings import Settings
from indexer.follower import Indexer, IndexerConfig
from indexer.source import RpcSource
from store import connect_database
from store.queries.chain import indexer_status


def _run(args: argparse.Namespace) -> int:
    manifest = Manifest.load(args.manifest)
    overrides: dict[str, Any] = {
        "confirmations": args.confirmations,
        "follow_unconfirmed": not args.confirmed_only,
        "name": args.name,
        "traders": frozenset(args.trader or ()),
    }
    if args.start_block is not None:
        overrides["start_block"] = args.start_block
    config = IndexerConfig.from_manifest(manifest, **overrides)
    db = connect_database(args.db)
    source = RpcSource(args.rpc_url or rpc_url_for(args.manifest, manifest.rpc_url))
    indexer = Indexer(db, source, config)
    try:
        if args.once:
            steps = indexer.run_until_synced()
            print(json.dumps({"steps": len(steps), "logs": sum(s.new_logs for s in steps)}))
            return 0
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        indexer.run_forever(stop, poll_interval=args.poll)
        return 0
    finally:
        source.close()
        db.dispose()


def _status(args: argparse.Namespace) -> int:
    db = connect_database(args.db)
    try:
        head = RpcSource(args.rpc_url).head() if args.rpc_url else None
        status = indexer_status(db, args.name, chain_head=head)
        print(json.dumps(asdict(status) if status is not None else None))
        return 0 if status is not None else 1
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Follow the exchange's chain logs.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="follow the chain (default)")
    run.add_argument("--manifest", type=Path, default=Settings().manifest_path)
    run.add_argument("--db", default=Settings().database_url)
    run.add_argument("--rpc-url", default=None, help="default: the stack running on the manifest's state dir")
    run.add_argument("--confirmations", type=int, default=10)
    run.add_argument("--confirmed-only", action="store_true", help="never index past head - confirmations")
    run.add_argument("--start-block", type=int, default=None, help="default: the manifest's deploy block")
    run.add_argument("--trader", action="append", help="follow only these traders' collateral logs (repeatable)")
    run.add_argument("--name", default="main")
    run.add_argument("--poll", type=float, default=1.0, help="seconds between head polls")
    run.add_argument("--once", action="store_true", help="catch up to the head, then exit")
    status = sub.add_parser("status", help="print the cursor and lag as JSON")
    status.add_argument("--db", default=Settings().database_url)
    status.add_argument("--rpc-url", default=None, help="to compute the lag against the live head")
    status.add_argument("--name", default="main")
    argv_list = list(sys.argv[1:] if argv is None else argv)
    if argv_list and argv_list[0] == "reconcile":  # the reconciler is its own package now
        print("reconciliation is `python -m reconcile` (same arguments)", file=sys.stderr)
        return 2
    if not argv_list or argv_list[0] not in ("run", "status", "-h", "--help"):
        argv_list = ["run", *argv_list]
    args = parser.parse_args(argv_list)
    configure_logging()
    return _status(args) if args.command == "status" else _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
