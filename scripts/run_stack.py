"""Run the whole stack on embedded defaults: a local anvil chain and the deployed contracts.

``make run`` calls this. It starts anvil on 127.0.0.1:CHAIN_PORT, deploys idempotently (manifest in
``var/deployment.json``), prints where everything is, and as its last line before serving ONE JSON object that
scripts and tests can parse. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from contracts.anvil import Anvil, dev_key
from contracts.deploy import ensure_deployed

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local exchange stack.")
    parser.add_argument("--api-port", type=int, default=8080)
    parser.add_argument("--chain-port", type=int, default=8545)
    parser.add_argument("--state-dir", type=Path, default=ROOT / "var")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    args.state_dir.mkdir(parents=True, exist_ok=True)
    with Anvil(port=args.chain_port, log_path=args.state_dir / "anvil.log") as node:
        manifest = ensure_deployed(node.url, dev_key(0), args.state_dir / "deployment.json")
        print(f"chain     {node.url} (chain id {manifest.chain_id})", file=sys.stderr)
        for role, address in sorted(manifest.contracts.items()):
            print(f"{role:<9} {address}", file=sys.stderr)
        summary = {
            "rpc_url": node.url,
            "chain_id": manifest.chain_id,
            "exchange": manifest.contracts.get("exchange"),
            "collateral": manifest.contracts["collateral"],
            "ctf": manifest.contracts["ctf"],
        }
        print(json.dumps(summary), flush=True)
        stop.wait()
        print("stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
