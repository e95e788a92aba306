"""The optimistic oracle on anvil: propose → (dispute → arbitrate | settle) → ConditionalTokens payouts, bonds."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from chain.rpc import Signer, TxRevertedError, contract_at
from tests.support.chain import Chain

USDC = 10**6
BOND = 100 * USDC
LIVENESS = 3600


def setup(chain: Chain) -> tuple[Any, Any, Any, Signer, Signer, Signer]:
    usdc: Any = contract_at(chain.w3, "MockUSDC", chain.manifest.contracts["collateral"])
    ctf: Any = contract_at(chain.w3, "ConditionalTokens", chain.manifest.contracts["ctf"])
    arbitrator = chain.signer(3)
    oracle = chain.deployer.deploy("OptimisticOracle", usdc.address, ctf.address, arbitrator.address)
    proposer, disputer = chain.signer(4), chain.signer(5)
    for who in (proposer, disputer):
        chain.deployer.transact(usdc.functions.mint(who.address, 1_000 * USDC))
        who.transact(usdc.functions.approve(oracle.address, 2**256 - 1))
    return usdc, ctf, oracle, arbitrator, proposer, disputer


def condition_of(ctf: Any, oracle: Any, qid: bytes) -> bytes:
    return bytes(ctf.functions.getConditionId(oracle.address, qid, 2).call())


def payouts(ctf: Any, condition: bytes) -> tuple[int, int, int]:
    return (
        ctf.functions.payoutDenominator(condition).call(),
        ctf.functions.payoutNumerators(condition, 0).call(),
        ctf.functions.payoutNumerators(condition, 1).call(),
    )


def test_undisputed_proposal_settles_after_liveness(chain: Chain) -> None:
    usdc, ctf, oracle, _arb, proposer, disputer = setup(chain)
    qid = Web3.keccak(text="undisputed")
    chain.deployer.transact(oracle.functions.initialize(qid, BOND, LIVENESS))
    condition = condition_of(ctf, oracle, qid)
    assert ctf.functions.getOutcomeSlotCount(condition).call() == 2

    proposer.transact(oracle.functions.propose(qid, 0))
    assert usdc.functions.balanceOf(proposer.address).call() == 900 * USDC
    with pytest.raises(TxRevertedError):
        chain.deployer.transact(oracle.functions.settle(qid), gas=300_000)  # liveness not over

    chain.anvil.rpc("evm_increaseTime", LIVENESS)
    chain.anvil.mine()
    with pytest.raises(TxRevertedError):
        disputer.transact(oracle.functions.dispute(qid), gas=300_000)  # too late to dispute
    chain.deployer.transact(oracle.functions.settle(qid))
    assert payouts(ctf, condition) == (1, 1, 0)
    assert usdc.functions.balanceOf(proposer.address).call() == 1_000 * USDC
    assert oracle.functions.getQuestion(qid).call()[0] == 4  # Resolved


def test_disputed_proposal_goes_to_the_arbitrator(chain: Chain) -> None:
    usdc, ctf, oracle, arbitrator, proposer, disputer = setup(chain)
    qid = Web3.keccak(text="disputed")
    chain.deployer.transact(oracle.functions.initialize(qid, BOND, LIVENESS))
    proposer.transact(oracle.functions.propose(qid, 0))  # claims YES
    disputer.transact(oracle.functions.dispute(qid))
    with pytest.raises(TxRevertedError):
        proposer.transact(oracle.functions.arbitrate(qid, 1), gas=300_000)  # not the arbitrator
    with pytest.raises(TxRevertedError):
        chain.deployer.transact(oracle.functions.settle(qid), gas=300_000)  # disputed: no settling

    arbitrator.transact(oracle.functions.arbitrate(qid, 1))  # NO wins: the disputer was right
    assert payouts(ctf, condition_of(ctf, oracle, qid)) == (1, 0, 1)
    assert usdc.functions.balanceOf(proposer.address).call() == 900 * USDC
    assert usdc.functions.balanceOf(disputer.address).call() == 1_100 * USDC
    assert usdc.functions.balanceOf(oracle.address).call() == 0


def test_invalid_ruling_splits_payouts_and_returns_bonds(chain: Chain) -> None:
    usdc, ctf, oracle, arbitrator, proposer, disputer = setup(chain)
    qid = Web3.keccak(text="invalid")
    chain.deployer.transact(oracle.functions.initialize(qid, BOND, LIVENESS))
    with pytest.raises(TxRevertedError):
        proposer.transact(oracle.functions.propose(qid, 3), gas=300_000)
    proposer.transact(oracle.functions.propose(qid, 1))
    disputer.transact(oracle.functions.dispute(qid))
    arbitrator.transact(oracle.functions.arbitrate(qid, 2))
    assert payouts(ctf, condition_of(ctf, oracle, qid)) == (2, 1, 1)
    assert usdc.functions.balanceOf(proposer.address).call() == 1_000 * USDC
    assert usdc.functions.balanceOf(disputer.address).call() == 1_000 * USDC
