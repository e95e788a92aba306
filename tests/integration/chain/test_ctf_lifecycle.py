"""ConditionalTokens on a real anvil chain: prepare → split → merge → report → redeem, every balance asserted."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from chain.rpc import contract_at
from tests.support.chain import Chain

ZERO32 = b"\x00" * 32
USDC = 10**6


def test_condition_full_lifecycle(chain: Chain) -> None:
    w3 = chain.w3
    owner = chain.deployer
    usdc: Any = contract_at(w3, "MockUSDC", chain.manifest.contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", chain.manifest.contracts["ctf"])
    oracle = chain.signer(1)
    trader = chain.signer(2)
    question = Web3.keccak(text="Will the test pass?")

    owner.transact(ctf.functions.prepareCondition(oracle.address, question, 2))
    condition = ctf.functions.getConditionId(oracle.address, question, 2).call()
    assert ctf.functions.getOutcomeSlotCount(condition).call() == 2
    yes = ctf.functions.getPositionId(usdc.address, ctf.functions.getCollectionId(ZERO32, condition, 1).call()).call()
    no = ctf.functions.getPositionId(usdc.address, ctf.functions.getCollectionId(ZERO32, condition, 2).call()).call()
    assert yes != no

    owner.transact(usdc.functions.mint(trader.address, 100 * USDC))
    trader.transact(usdc.functions.approve(ctf.address, 2**256 - 1))

    def balances() -> tuple[int, int, int, int]:
        return (
            usdc.functions.balanceOf(trader.address).call(),
            ctf.functions.balanceOf(trader.address, yes).call(),
            ctf.functions.balanceOf(trader.address, no).call(),
            usdc.functions.balanceOf(ctf.address).call(),
        )

    assert balances() == (100 * USDC, 0, 0, 0)
    trader.transact(ctf.functions.splitPosition(usdc.address, ZERO32, condition, [1, 2], 40 * USDC))
    assert balances() == (60 * USDC, 40 * USDC, 40 * USDC, 40 * USDC)

    trader.transact(ctf.functions.mergePositions(usdc.address, ZERO32, condition, [1, 2], 15 * USDC))
    assert balances() == (75 * USDC, 25 * USDC, 25 * USDC, 25 * USDC)

    # Only the oracle can resolve; YES wins.
    oracle.transact(ctf.functions.reportPayouts(question, [1, 0]))
    assert ctf.functions.payoutDenominator(condition).call() == 1
    assert ctf.functions.payoutNumerators(condition, 0).call() == 1
    assert ctf.functions.payoutNumerators(condition, 1).call() == 0

    trader.transact(ctf.functions.redeemPositions(usdc.address, ZERO32, condition, [1, 2]))
    # 25 YES pay 25 USDC; 25 NO pay nothing; both positions are burned.
    assert balances() == (100 * USDC, 0, 0, 0)
