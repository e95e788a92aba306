"""Deployment of the neg-risk pair: in every fresh deployment, and added to a live deployment from before it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chain.anvil import dev_key
from chain.deploy import Manifest, ensure_deployed
from chain.rpc import contract_at
from tests.support.chain import Chain


def test_fresh_deployment_has_the_neg_risk_pair(chain: Chain) -> None:
    contracts = chain.manifest.contracts
    adapter = contract_at(chain.w3, "NegRiskAdapter", contracts["neg_risk_adapter"])
    exchange = contract_at(chain.w3, "NegRiskExchange", contracts["neg_risk_exchange"])
    assert adapter.functions.getCollateral().call() == contracts["collateral"]
    assert adapter.functions.getCtf().call() == contracts["ctf"]
    assert exchange.functions.getNegRiskAdapter().call() == adapter.address
    assert exchange.functions.isOperator(chain.manifest.operator).call()
    assert exchange.address != contracts["exchange"]
    # It trusts the same smart-wallet factories as the binary exchange.
    assert exchange.functions.getProxyFactory().call() == contracts["proxy_factory"]
    assert exchange.functions.getSafeFactory().call() == contracts["safe_factory"]


def test_a_live_deployment_without_them_gets_them_added(chain: Chain, tmp_path: Path) -> None:
    old_contracts = {k: v for k, v in chain.manifest.contracts.items() if not k.startswith("neg_risk_")}
    path = tmp_path / "deployment.json"
    replace(chain.manifest, contracts=old_contracts).save(path)
    manifest = ensure_deployed(chain.anvil.url, dev_key(0), path)
    assert {k: manifest.contracts[k] for k in old_contracts} == old_contracts  # nothing else redeployed
    assert manifest.deployment_id == chain.manifest.deployment_id
    for key in ("neg_risk_adapter", "neg_risk_exchange"):
        assert len(chain.w3.eth.get_code(manifest.contracts[key])) > 0
    assert Manifest.load(path).contracts == manifest.contracts
    # Adopted as is the next time.
    assert ensure_deployed(chain.anvil.url, dev_key(0), path).contracts == manifest.contracts
