"""The reconciler's command line: ``python -m reconcile --db URL [--json] [--balances index|chain|none]
[--list [--all]]`` (see ``main``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chain.deploy import Manifest
from chain.rpc import connect
from chain.stack import rpc_url_for
from clob.service.chain_view import CachedChainView, Web3ChainState
from clob.settings import Settings
from reconcile.runs import Reconciler, dumps
from reconcile.snapshot import HoldingsSource, IndexedHoldings, ReconcileError, ViewHoldings
from store.db import Database, connect_database
from store.queries.reconciliation import list_discrepancies


def _holdings_for(args: argparse.Namespace, db: Database) -> HoldingsSource | None:
    if args.balances == "none":
        return None
    if args.balances == "index":
        return IndexedHoldings(db)
    manifest = Manifest.load(args.manifest)
    c = manifest.contracts
    state = Web3ChainState(
        connect(args.rpc_url or rpc_url_for(args.manifest, manifest.rpc_url)), c["collateral"], c["ctf"], c["exchange"]
    )
    return ViewHoldings(CachedChainView(state))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reconcile --db URL [--json] [--balances index|chain|none] [--list [--all]]``.

    Runs one reconciliation (or with ``--list`` only lists stored discrepancies) and prints a summary, or JSON.
    Exit status: 0 when no discrepancy is open, 2 when some are, 1 when it could not run."""
    parser = argparse.ArgumentParser(prog="python -m reconcile", description="Reconcile the book with the chain.")
    settings = Settings()
    parser.add_argument("--db", default=settings.database_url)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--name", default="main", help="the indexer cursor whose confirmed block is used")
    parser.add_argument("--balances", choices=("index", "chain", "none"), default="index")
    parser.add_argument("--manifest", type=Path, default=settings.manifest_path, help="for --balances chain")
    parser.add_argument("--rpc-url", default=None, help="for --balances chain (default: the manifest's)")
    parser.add_argument("--list", action="store_true", help="list stored discrepancies without running")
    parser.add_argument("--all", action="store_true", help="with --list: resolved ones too")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    db = connect_database(args.db)
    try:
        if args.list:
            rows = list_discrepancies(db, resolved=None if args.all else False, limit=1000)
            if args.json:
                print(dumps({"discrepancies": [r.to_json() for r in rows]}))
            else:
                for r in rows:
                    state = "resolved" if r.resolved else "open"
                    print(f"{r.kind:<26} {r.subject}  {state}  first_seen_ms={r.first_seen_ms} run={r.run_id}")
            return 2 if any(not r.resolved for r in rows) else 0
        try:
            result = Reconciler(db, holdings=_holdings_for(args, db), cursor=args.name).run_once()
        except ReconcileError as exc:
            print(
                dumps({"error": str(exc)}) if args.json else f"error: {exc}",
                file=sys.stdout if args.json else sys.stderr,
            )
            return 1
        if args.json:
            print(
                dumps(
                    {
                        "run_id": result.run_id,
                        "confirmed_block": result.confirmed_block,
                        "found": len(result.discrepancies),
                        "opened": len(result.opened),
                        "resolved": len(result.resolved),
                        "stats": dict(result.stats),
                        "discrepancies": [
                            {"kind": str(x.kind), "subject": x.subject, "evidence": dict(x.evidence)}
                            for x in result.discrepancies
                        ],
                    }
                )
            )
        else:
            print(
                f"run {result.run_id} at confirmed block {result.confirmed_block}: {len(result.discrepancies)} open "
                f"({len(result.opened)} new), {len(result.resolved)} resolved; checked {dict(result.stats)}"
            )
            for x in result.discrepancies:
                print(f"{x.kind:<26} {x.subject}")
        return 2 if result.discrepancies else 0
    finally:
        db.dispose()
