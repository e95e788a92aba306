"""Deployment of ExchangeV2 and the CrossMatcher: in every fresh deployment with the right roles, added to a live
deployment from before them, and markets created afterwards registered on both exchanges."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chain.anvil import dev_key
from chain.deploy import Manifest, ensure_deployed
from chain.markets import create_market
from chain.rpc import contract_at
from tests.support.chain import Chain


def test_fresh_deployment_has_exchange_v2_and_the_matcher(chain: Chain) -> None:
    contracts = chain.manifest.contracts
    v1 = contract_at(chain.w3, "Exchange", contracts["exchange"])
    v2 = contract_at(chain.w3, "ExchangeV2", contracts["exchange_v2"])
    cross = contract_at(chain.w3, "CrossMatcher", contracts["cross_matcher"])
    assert v2.functions.getCollateral().call() == v1.functions.getCollateral().call()
    assert v2.functions.getCtf().call() == v1.functions.getCtf().call()
    assert v2.functions.isOperator(chain.manifest.operator).call()
    assert v1.functions.isOperator(cross.address).call()
    assert v2.functions.isOperator(cross.address).call()
    assert cross.functions.isOperator(chain.manifest.operator).call()
    assert v2.functions.domainSeparator().call() != v1.functions.domainSeparator().call()


def test_a_live_deployment_without_them_gets_them_added(chain: Chain, tmp_path: Path) -> None:
    added = ("exchange_v2", "cross_matcher")
    old_contracts = {k: v for k, v in chain.manifest.contracts.items() if k not in added}
    path = tmp_path / "deployment.json"
    replace(chain.manifest, contracts=old_contracts).save(path)
    manifest = ensure_deployed(chain.anvil.url, dev_key(0), path)
    assert {k: manifest.contracts[k] for k in old_contracts} == old_contracts
    for key in added:
        assert len(chain.w3.eth.get_code(manifest.contracts[key])) > 0
        assert manifest.contracts[key] != chain.manifest.contracts[key]
    assert Manifest.load(path).contracts == manifest.contracts
    assert ensure_deployed(chain.anvil.url, dev_key(0), path).contracts == manifest.contracts


def test_created_market_is_registered_on_both_exchanges(chain: Chain) -> None:
    market = create_market(chain.deployer, chain.manifest, "Will V2 settle? (exchange_v2 deploy test)")
    v2 = contract_at(chain.w3, "ExchangeV2", chain.manifest.contracts["exchange_v2"])
    assert int(v2.functions.getComplement(market.yes_token).call()) == market.no_token
    condition = bytes.fromhex(market.condition_id[2:])
    assert bytes(v2.functions.getConditionId(market.no_token).call()) == condition
