"""Deploy the exchange's contracts to a chain and write the deployment manifest that services read.

What gets deployed: a 6-decimal collateral (``MockUSDC``, mintable by the deployer) unless an existing collateral
address is given, Gnosis ``ConditionalTokens`` (compiled from the npm package's source), and our exchange
(``Exchange``, once its artifact exists) with the operator added. The manifest is JSON:

    {"chain_id", "rpc_url", "deploy_block", "deployer", "operator",
     "contracts": {"collateral", "ctf", "exchange"}, "build": <artifact build hash>}

Deploying is idempotent: ``ensure_deployed`` reuses a manifest whose addresses still hold code on the chain (same
chain id), and deploys afresh otherwise.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from contracts.build import BUILD_DIR, build
from contracts.chain import Signer, connect

EXCHANGE_ARTIFACT = "Exchange"


@dataclass(frozen=True, slots=True)
class Manifest:
    """Where the contracts of one deployment live."""

    chain_id: int
    rpc_url: str
    deploy_block: int
    deployer: str
    operator: str
    contracts: dict[str, str] = field(default_factory=dict)
    build: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json() + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls.from_json(path.read_text())


def exchange_available() -> bool:
    """True once the exchange contract exists in the build."""
    return (BUILD_DIR / f"{EXCHANGE_ARTIFACT}.json").exists()


def deploy(rpc_url: str, deployer_key: str, operator: str | None = None, collateral: str | None = None) -> Manifest:
    """Deploy everything afresh with ``deployer_key`` as owner/admin; return the manifest."""
    result = build()
    w3 = connect(rpc_url)
    signer = Signer.from_key(w3, deployer_key)
    start_block = w3.eth.block_number
    contracts: dict[str, str] = {}
    if collateral is None:
        usdc = signer.deploy("MockUSDC", signer.address)
        contracts["collateral"] = str(usdc.address)
    else:
        contracts["collateral"] = Web3.to_checksum_address(collateral)
    ctf = signer.deploy("ConditionalTokens")
    contracts["ctf"] = str(ctf.address)
    op = Web3.to_checksum_address(operator) if operator else signer.address
    if exchange_available():
        exchange = signer.deploy(EXCHANGE_ARTIFACT, contracts["collateral"], contracts["ctf"])
        contracts["exchange"] = str(exchange.address)
        if op != signer.address:
            signer.transact(exchange.functions.addOperator(op))
    # The market oracle: optimistic proposals with a bond, disputes settled by the arbitrator (the deployer here).
    oracle = signer.deploy("OptimisticOracle", contracts["collateral"], contracts["ctf"], signer.address)
    contracts["oracle"] = str(oracle.address)
    return Manifest(
        chain_id=int(w3.eth.chain_id),
        rpc_url=rpc_url,
        deploy_block=start_block + 1,
        deployer=signer.address,
        operator=op,
        contracts=contracts,
        build=result.digest,
    )


def is_live(manifest: Manifest, w3: Web3) -> bool:
    """Every address of the manifest holds code on this chain, and the chain id matches."""
    if int(w3.eth.chain_id) != manifest.chain_id:
        return False
    return all(len(w3.eth.get_code(Web3.to_checksum_address(a))) > 0 for a in manifest.contracts.values())


def ensure_deployed(rpc_url: str, deployer_key: str, manifest_path: Path, operator: str | None = None) -> Manifest:
    """Reuse the manifest at ``manifest_path`` if it is live on ``rpc_url``; otherwise deploy and save it."""
    if manifest_path.exists():
        manifest = Manifest.load(manifest_path)
        wants_exchange = exchange_available()
        if is_live(manifest, connect(rpc_url)) and (not wants_exchange or "exchange" in manifest.contracts):
            return manifest
    manifest = deploy(rpc_url, deployer_key, operator=operator)
    manifest.save(manifest_path)
    return manifest


def main(argv: list[str] | None = None) -> int:
    from contracts.anvil import dev_key

    parser = argparse.ArgumentParser(description="Deploy the exchange contracts and write a manifest.")
    parser.add_argument("--rpc-url", default="http://127.0.0.1:8545")
    parser.add_argument("--key", default=dev_key(0), help="deployer private key (default: anvil dev account 0)")
    parser.add_argument("--operator", default=None, help="operator address (default: the deployer)")
    parser.add_argument("--manifest", type=Path, default=Path("build/deployment.json"))
    args = parser.parse_args(argv)
    manifest = ensure_deployed(args.rpc_url, args.key, args.manifest, operator=args.operator)
    print(manifest.to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
