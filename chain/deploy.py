"""Deploy the exchange's contracts to a chain and write the deployment manifest that services read.

What gets deployed: a 6-decimal collateral (``MockUSDC``, mintable by the deployer) unless an existing collateral
address is given, Gnosis ``ConditionalTokens`` (compiled from the npm package's source), the smart-wallet factories
(``chain.wallets``: our proxy-wallet factory, and a Safe factory over the Safe package's singleton), our exchange
(``Exchange``, once its artifact exists, trusting those two factories) with the operator added, the optimistic
oracle, and the neg-risk pair: ``NegRiskAdapter`` (multi-outcome events over the same conditional tokens) and
``NegRiskExchange`` (the exchange for those events' outcome tokens, its own EIP-712 verifying contract, trusting the
same wallet factories) with the operator added, and ``ExchangeV2`` (Polymarket V2 orders over the same collateral
and conditional tokens) with the ``CrossMatcher`` (V1 against V2 orders) and the operator added. The manifest is
JSON:

    {"chain_id", "deploy_block", "deploy_block_hash", "deployer", "operator",
     "contracts": {"collateral", "ctf", "exchange", "oracle", "neg_risk_adapter", "neg_risk_exchange",
                   "proxy_factory", "safe_factory", "safe_singleton", "safe_fallback_handler",
                   "exchange_v2", "cross_matcher"},
     "build": <artifact build hash>}

plus ``rpc_url`` when a standalone deploy was given one. A stack's state directory keeps deployment facts only: the
RPC address of the running stack is in its ``stack.json`` (``chain.stack``), not here.

Deploying is idempotent: ``ensure_deployed`` reuses a manifest whose addresses still hold code on the chain (same
chain id, and the same block hash at the deploy block: a chain reset and redeployed at the same addresses is another
chain), and deploys afresh otherwise. ``Manifest.deployment_id`` names the deployment; stores record it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from web3 import Web3

from chain.anvil import dev_key
from chain.build import BUILD_DIR, build
from chain.rpc import Signer, connect, contract_at

EXCHANGE_ARTIFACT = "Exchange"
# OptimisticOracle settings (docs/contracts.md, "The oracle"): the smallest bond a question may ask (collateral
# base units, 1 USDC), the arbitrator's time to rule on a dispute, the timelock on replacing the arbitrator, and
# the share of a dispute loser's bond that goes to the fee recipient rather than the winner.
ORACLE_MIN_BOND = 1_000_000
ORACLE_ARBITRATION_WINDOW = 7 * 86_400
ORACLE_ARBITRATOR_DELAY = 2 * 86_400
ORACLE_DISPUTE_FEE_BPS = 5_000
NEG_RISK_ADAPTER_ARTIFACT = "NegRiskAdapter"
NEG_RISK_EXCHANGE_ARTIFACT = "NegRiskExchange"
EXCHANGE_V2_ARTIFACT = "ExchangeV2"
CROSS_MATCHER_ARTIFACT = "CrossMatcher"
COLLATERAL_DECIMALS = 6
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


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
    deploy_block_hash: str = ""

    @property
    def deployment_id(self) -> str:
        """Which deployment on which chain: chain id, the deploy block's hash and the exchange's address."""
        exchange = self.contracts.get("exchange", "").lower()
        return f"{self.chain_id}:{self.deploy_block_hash or self.deploy_block}:{exchange}"

    def to_json(self) -> str:
        data = asdict(self)
        if not data["rpc_url"]:
            del data["rpc_url"]
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        data.setdefault("rpc_url", "")
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


def neg_risk_available() -> bool:
    """True once the neg-risk adapter and exchange exist in the build."""
    return all(
        (BUILD_DIR / f"{name}.json").exists() for name in (NEG_RISK_ADAPTER_ARTIFACT, NEG_RISK_EXCHANGE_ARTIFACT)
    )


def deploy_neg_risk(
    signer: Signer,
    collateral: str,
    ctf: str,
    operator: str,
    proxy_factory: str = ZERO_ADDRESS,
    safe_factory: str = ZERO_ADDRESS,
) -> dict[str, str]:
    """Deploy the neg-risk adapter and its exchange over ``collateral`` and ``ctf``, the exchange trusting the given
    wallet factories (none by default); ``operator`` becomes an operator of the exchange (the deployer is one
    already). Returns the two addresses by manifest key."""
    adapter = signer.deploy(NEG_RISK_ADAPTER_ARTIFACT, collateral, ctf, COLLATERAL_DECIMALS)
    exchange = signer.deploy(NEG_RISK_EXCHANGE_ARTIFACT, collateral, ctf, adapter.address, proxy_factory, safe_factory)
    if Web3.to_checksum_address(operator) != signer.address:
        signer.transact(exchange.functions.addOperator(Web3.to_checksum_address(operator)))
    return {"neg_risk_adapter": str(adapter.address), "neg_risk_exchange": str(exchange.address)}


def exchange_v2_available() -> bool:
    """True once the V2 exchange exists in the build."""
    return exchange_available() and all(
        (BUILD_DIR / f"{name}.json").exists() for name in (EXCHANGE_V2_ARTIFACT, CROSS_MATCHER_ARTIFACT)
    )


def deploy_exchange_v2(
    signer: Signer,
    collateral: str,
    ctf: str,
    exchange_v1: str,
    operator: str,
    proxy_factory: str = ZERO_ADDRESS,
    safe_factory: str = ZERO_ADDRESS,
) -> dict[str, str]:
    """Deploy the V2 exchange over the V1 exchange's ``collateral`` and ``ctf``, and the ``CrossMatcher`` that
    settles a V1 order against a V2 order (an operator of both exchanges). ``operator`` becomes an operator of the
    V2 exchange and of the cross matcher (the deployer is one already). Returns the manifest keys ``exchange_v2``
    and ``cross_matcher``. The wallet factories are the V1 exchange's (proxy and Safe makers)."""
    exchange = signer.deploy(EXCHANGE_V2_ARTIFACT, collateral, ctf, proxy_factory, safe_factory)
    cross = signer.deploy(CROSS_MATCHER_ARTIFACT, collateral, ctf, exchange_v1, exchange.address)
    v1: Any = contract_at(signer.w3, EXCHANGE_ARTIFACT, exchange_v1)
    signer.transact(v1.functions.addOperator(cross.address))
    signer.transact(exchange.functions.addOperator(cross.address))
    if Web3.to_checksum_address(operator) != signer.address:
        signer.transact(exchange.functions.addOperator(Web3.to_checksum_address(operator)))
        signer.transact(cross.functions.addOperator(Web3.to_checksum_address(operator)))
    return {"exchange_v2": str(exchange.address), "cross_matcher": str(cross.address)}


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
        from chain.wallets import deploy_factories  # chain.wallets imports chain.markets, which imports this module

        contracts.update(deploy_factories(signer))
        exchange = signer.deploy(
            EXCHANGE_ARTIFACT,
            contracts["collateral"],
            contracts["ctf"],
            contracts["proxy_factory"],
            contracts["safe_factory"],
        )
        contracts["exchange"] = str(exchange.address)
        if op != signer.address:
            signer.transact(exchange.functions.addOperator(op))
    # The market oracle: optimistic proposals with a bond, disputes settled by the arbitrator (the deployer here,
    # also its admin: minimum bond, fee recipient, timelocked arbitrator replacement).
    oracle = signer.deploy(
        "OptimisticOracle",
        contracts["collateral"],
        contracts["ctf"],
        signer.address,
        ORACLE_MIN_BOND,
        ORACLE_ARBITRATION_WINDOW,
        ORACLE_ARBITRATOR_DELAY,
        ORACLE_DISPUTE_FEE_BPS,
    )
    contracts["oracle"] = str(oracle.address)
    factories = (contracts.get("proxy_factory", ZERO_ADDRESS), contracts.get("safe_factory", ZERO_ADDRESS))
    if neg_risk_available():
        contracts.update(deploy_neg_risk(signer, contracts["collateral"], contracts["ctf"], op, *factories))
    if exchange_v2_available():
        contracts.update(
            deploy_exchange_v2(signer, contracts["collateral"], contracts["ctf"], contracts["exchange"], op, *factories)
        )
    block_hash = "0x" + bytes(w3.eth.get_block(start_block + 1)["hash"]).hex()
    return Manifest(
        chain_id=int(w3.eth.chain_id),
        rpc_url=rpc_url,
        deploy_block=start_block + 1,
        deployer=signer.address,
        operator=op,
        contracts=contracts,
        build=result.digest,
        deploy_block_hash=block_hash,
    )


def is_live(manifest: Manifest, w3: Web3) -> bool:
    """Every address of the manifest holds code on this chain, the chain id matches, and (when the manifest has it)
    the deploy block has the recorded hash."""
    if int(w3.eth.chain_id) != manifest.chain_id:
        return False
    if manifest.deploy_block_hash:
        try:
            block = w3.eth.get_block(manifest.deploy_block)
        except Exception:  # the chain is shorter than the deploy block: another chain
            return False
        if "0x" + bytes(block["hash"]).hex() != manifest.deploy_block_hash.lower():
            return False
    return all(len(w3.eth.get_code(Web3.to_checksum_address(a))) > 0 for a in manifest.contracts.values())


def ensure_deployed(
    rpc_url: str, deployer_key: str, manifest_path: Path, operator: str | None = None, save_rpc_url: bool = True
) -> Manifest:
    """Reuse the manifest at ``manifest_path`` if it is live on ``rpc_url``; otherwise deploy and save it. The
    manifest returned carries ``rpc_url``; the file does only when ``save_rpc_url`` (a stack's state directory
    keeps deployment facts only). A live manifest written before deploy block hashes were recorded gets its hash."""
    w3 = connect(rpc_url)
    if manifest_path.exists():
        manifest = Manifest.load(manifest_path)
        wants_exchange = exchange_available()
        # A deployment from before the exchange (or before its wallet factories) is replaced.
        complete = {"exchange", "proxy_factory", "safe_factory"} <= manifest.contracts.keys()
        if is_live(manifest, w3) and (not wants_exchange or complete):
            stored = manifest
            if not manifest.deploy_block_hash:
                block_hash = "0x" + bytes(w3.eth.get_block(manifest.deploy_block)["hash"]).hex()
                stored = replace(manifest, deploy_block_hash=block_hash)
            stored = replace(stored, rpc_url=rpc_url if save_rpc_url else "")
            if neg_risk_available() and "neg_risk_exchange" not in stored.contracts:
                # A deployment from before the neg-risk contracts: add them, keep everything else.
                signer = Signer.from_key(w3, deployer_key)
                added = deploy_neg_risk(
                    signer,
                    stored.contracts["collateral"],
                    stored.contracts["ctf"],
                    stored.operator,
                    stored.contracts.get("proxy_factory", ZERO_ADDRESS),
                    stored.contracts.get("safe_factory", ZERO_ADDRESS),
                )
                stored = replace(stored, contracts={**stored.contracts, **added})
            if exchange_v2_available() and "exchange_v2" not in stored.contracts:
                # A deployment from before the V2 exchange: add it, keep everything else.
                signer = Signer.from_key(w3, deployer_key)
                added = deploy_exchange_v2(
                    signer,
                    stored.contracts["collateral"],
                    stored.contracts["ctf"],
                    stored.contracts["exchange"],
                    stored.operator,
                    stored.contracts.get("proxy_factory", ZERO_ADDRESS),
                    stored.contracts.get("safe_factory", ZERO_ADDRESS),
                )
                stored = replace(stored, contracts={**stored.contracts, **added})
            if stored != manifest:
                stored.save(manifest_path)
            return replace(stored, rpc_url=rpc_url)
    manifest = deploy(rpc_url, deployer_key, operator=operator)
    replace(manifest, rpc_url=rpc_url if save_rpc_url else "").save(manifest_path)
    return manifest


def main(argv: list[str] | None = None) -> int:
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
