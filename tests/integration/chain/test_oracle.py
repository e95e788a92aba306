"""The optimistic oracle on anvil: initialize (creator-bound ids) → propose → (dispute → arbitrate | expire | settle)
→ ConditionalTokens payouts, bonds; the admin's minimum bond and timelocked arbitrator replacement."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.logs import DISCARD

from chain.anvil import dev_key
from chain.build import load_artifact
from chain.deploy import ORACLE_ARBITRATION_WINDOW, ORACLE_DISPUTE_FEE_BPS, ORACLE_MIN_BOND
from chain.markets import (
    arbitrate,
    create_market,
    dispute,
    expire_dispute,
    fund_trader,
    propose,
    question_id,
    redeem,
)
from chain.markets import main as markets_main
from chain.rpc import Signer, TxRevertedError, contract_at
from tests.support.chain import Chain

USDC = 10**6
BOND = 100 * USDC
MIN_BOND = 10 * USDC
LIVENESS = 3600
WINDOW = 2 * 86400  # the arbitrator's time to rule
DELAY = 86400  # the arbitrator replacement's timelock
FEE_BPS = 5000  # of the loser's bond, to the fee recipient
FEE = BOND * FEE_BPS // 10_000
START = 1_000 * USDC

OPEN, PROPOSED, DISPUTED, RESOLVED = 1, 2, 3, 4


@dataclass
class Env:
    chain: Chain
    usdc: Any
    ctf: Any
    oracle: Any
    admin: Signer
    arbitrator: Signer
    proposer: Signer
    disputer: Signer
    outsider: Signer

    def init(self, text: str, bond: int = BOND, creator: Signer | None = None) -> bytes:
        """Initialize ``text`` as ``creator``'s question (default the admin); return its id."""
        who = creator or self.admin
        who.transact(self.oracle.functions.initialize(text.encode(), bond, LIVENESS))
        return bytes(self.oracle.functions.questionIdOf(who.address, text.encode()).call())

    def balance(self, who: Signer | str) -> int:
        return int(self.usdc.functions.balanceOf(who if isinstance(who, str) else who.address).call())

    def state(self, qid: bytes) -> int:
        return int(self.oracle.functions.getQuestion(qid).call()[0])

    def advance(self, seconds: int) -> None:
        self.chain.anvil.rpc("evm_increaseTime", seconds)
        self.chain.anvil.mine()

    def revert_name(self, fn: Any, sender: Signer) -> str:
        """Simulate ``fn`` (a call or a constructor) from ``sender``; the custom error's name (fails if it does not
        revert)."""
        try:
            if hasattr(fn, "call"):
                fn.call({"from": sender.address})
            else:
                fn.estimate_gas({"from": sender.address})
        except Exception as exc:  # web3 raises several types; decode whatever revert data it carries
            from chain.exchange import revert_data

            data = revert_data(exc)
            for item in self.oracle.abi:
                if item["type"] == "error":
                    sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                    if Web3.keccak(text=sig)[:4] == data[:4]:
                        return str(item["name"])
            return f"unknown revert 0x{data.hex()}"
        raise AssertionError("the call did not revert")


def setup(chain: Chain) -> Env:
    usdc: Any = contract_at(chain.w3, "MockUSDC", chain.manifest.contracts["collateral"])
    ctf: Any = contract_at(chain.w3, "ConditionalTokens", chain.manifest.contracts["ctf"])
    admin, arbitrator = chain.signer(2), chain.signer(3)
    oracle = admin.deploy(
        "OptimisticOracle", usdc.address, ctf.address, arbitrator.address, MIN_BOND, WINDOW, DELAY, FEE_BPS
    )
    env = Env(chain, usdc, ctf, oracle, admin, arbitrator, chain.signer(4), chain.signer(5), chain.signer(6))
    for who in (env.proposer, env.disputer, env.outsider):
        chain.deployer.transact(usdc.functions.mint(who.address, START))
        who.transact(usdc.functions.approve(oracle.address, 2**256 - 1))
    return env


def condition_of(ctf: Any, oracle: Any, qid: bytes) -> bytes:
    return bytes(ctf.functions.getConditionId(oracle.address, qid, 2).call())


def payouts(ctf: Any, condition: bytes) -> tuple[int, int, int]:
    return (
        ctf.functions.payoutDenominator(condition).call(),
        ctf.functions.payoutNumerators(condition, 0).call(),
        ctf.functions.payoutNumerators(condition, 1).call(),
    )


def test_undisputed_proposal_settles_after_liveness(chain: Chain) -> None:
    env = setup(chain)
    usdc, ctf, oracle, proposer, disputer = env.usdc, env.ctf, env.oracle, env.proposer, env.disputer
    qid = env.init("undisputed")
    condition = condition_of(ctf, oracle, qid)
    assert ctf.functions.getOutcomeSlotCount(condition).call() == 2

    proposer.transact(oracle.functions.propose(qid, 0))
    assert usdc.functions.balanceOf(proposer.address).call() == 900 * USDC
    with pytest.raises(TxRevertedError):
        chain.deployer.transact(oracle.functions.settle(qid), gas=300_000)  # liveness not over

    env.advance(LIVENESS)
    with pytest.raises(TxRevertedError):
        disputer.transact(oracle.functions.dispute(qid), gas=300_000)  # too late to dispute
    chain.deployer.transact(oracle.functions.settle(qid))
    assert payouts(ctf, condition) == (1, 1, 0)
    assert usdc.functions.balanceOf(proposer.address).call() == 1_000 * USDC
    assert env.state(qid) == RESOLVED


def test_disputed_proposal_goes_to_the_arbitrator(chain: Chain) -> None:
    env = setup(chain)
    oracle, proposer, disputer = env.oracle, env.proposer, env.disputer
    qid = env.init("disputed")
    proposer.transact(oracle.functions.propose(qid, 0))  # claims YES
    disputer.transact(oracle.functions.dispute(qid))
    assert env.balance(oracle.address) == 2 * BOND  # the disputer posted what the proposer posted
    assert env.revert_name(oracle.functions.arbitrate(qid, 1), proposer) == "NotArbitrator"
    assert env.revert_name(oracle.functions.settle(qid), chain.deployer) == "WrongState"  # disputed: no settling

    env.arbitrator.transact(oracle.functions.arbitrate(qid, 1))  # NO wins: the disputer was right
    assert payouts(env.ctf, condition_of(env.ctf, oracle, qid)) == (1, 0, 1)
    assert env.balance(proposer) == START - BOND
    assert env.balance(disputer) == START + BOND - FEE  # its bond back, plus the proposer's minus the fee
    assert env.balance(env.admin) == FEE  # the fee recipient (the admin by default)
    assert env.balance(oracle.address) == 0


def test_invalid_ruling_splits_payouts_and_pays_whoever_it_agrees_with(chain: Chain) -> None:
    env = setup(chain)
    oracle, proposer, disputer = env.oracle, env.proposer, env.disputer
    qid = env.init("invalid")
    assert env.revert_name(oracle.functions.propose(qid, 3), proposer) == "InvalidOutcome"
    proposer.transact(oracle.functions.propose(qid, 1))
    disputer.transact(oracle.functions.dispute(qid))
    env.arbitrator.transact(oracle.functions.arbitrate(qid, 2))  # NO was not the answer: the disputer wins
    assert payouts(env.ctf, condition_of(env.ctf, oracle, qid)) == (2, 1, 1)
    assert env.balance(proposer) == START - BOND
    assert env.balance(disputer) == START + BOND - FEE

    qid2 = env.init("invalid, proposed as such")
    proposer.transact(oracle.functions.propose(qid2, 2))
    disputer.transact(oracle.functions.dispute(qid2))
    env.arbitrator.transact(oracle.functions.arbitrate(qid2, 2))  # the proposal was right: the proposer wins
    assert env.balance(proposer) == START - BOND + (BOND - FEE)
    assert env.balance(disputer) == START + BOND - FEE - BOND
    assert env.balance(oracle.address) == 0


def test_a_front_run_initialize_gets_another_id_and_does_not_block_the_creator(chain: Chain) -> None:
    env = setup(chain)
    text = "Will the front-runner win?"
    attacker_qid = env.init(text, creator=env.outsider)  # seen in the mempool, sent first
    assert env.outsider.address != env.admin.address
    qid = env.init(text)  # the creator's own transaction still succeeds
    assert qid != attacker_qid
    assert qid == bytes.fromhex(question_id(env.admin.address, text)[2:])  # the Python derivation agrees
    assert env.state(qid) == OPEN
    assert env.state(attacker_qid) == OPEN
    assert env.ctf.functions.getOutcomeSlotCount(condition_of(env.ctf, env.oracle, qid)).call() == 2
    assert env.revert_name(env.oracle.functions.initialize(text.encode(), BOND, LIVENESS), env.admin) == (
        "AlreadyInitialized"
    )
    # The creator's question resolves independently of the attacker's.
    env.proposer.transact(env.oracle.functions.propose(qid, 1))
    env.advance(LIVENESS)
    env.outsider.transact(env.oracle.functions.settle(qid))
    assert payouts(env.ctf, condition_of(env.ctf, env.oracle, qid)) == (1, 0, 1)
    assert env.state(attacker_qid) == OPEN


def test_a_prepare_condition_front_run_cannot_block_initialize(chain: Chain) -> None:
    env = setup(chain)
    text = "Can a prepared condition block me?"
    qid = bytes.fromhex(question_id(env.admin.address, text)[2:])
    # The attacker prepares the very condition initialize would prepare (same oracle, question id and slots).
    env.outsider.transact(env.ctf.functions.prepareCondition(env.oracle.address, qid, 2))
    assert env.init(text) == qid  # adopted, not reverted
    assert env.state(qid) == OPEN
    env.proposer.transact(env.oracle.functions.propose(qid, 0))
    env.advance(LIVENESS)
    env.outsider.transact(env.oracle.functions.settle(qid))
    assert payouts(env.ctf, condition_of(env.ctf, env.oracle, qid)) == (1, 1, 0)


def test_zero_and_below_minimum_bonds_are_refused(chain: Chain) -> None:
    env = setup(chain)
    oracle = env.oracle
    assert oracle.functions.minBond().call() == MIN_BOND
    for bond in (0, MIN_BOND - 1):
        assert env.revert_name(oracle.functions.initialize(b"cheap", bond, LIVENESS), env.admin) == "BondTooLow"
    assert env.revert_name(oracle.functions.initialize(b"instant", BOND, 0), env.admin) == "ZeroValue"
    env.init("just enough", bond=MIN_BOND)

    # Only the admin sets the minimum, never to zero.
    assert env.revert_name(oracle.functions.setMinBond(1), env.outsider) == "NotAdmin"
    assert env.revert_name(oracle.functions.setMinBond(0), env.admin) == "ZeroValue"
    receipt = env.admin.transact(oracle.functions.setMinBond(BOND))
    assert oracle.events.MinBondSet().process_receipt(receipt, errors=DISCARD)[0]["args"]["minBond"] == BOND
    assert env.revert_name(oracle.functions.initialize(b"old minimum", MIN_BOND, LIVENESS), env.admin) == "BondTooLow"
    # The constructor refuses a zero minimum as well, and a fee above half of the loser's bond.
    artifact = load_artifact("OptimisticOracle")
    factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    parties = (env.usdc.address, env.ctf.address, env.arbitrator.address)
    assert env.revert_name(factory.constructor(*parties, 0, WINDOW, DELAY, 0), env.admin) == "ZeroValue"
    assert env.revert_name(factory.constructor(*parties, MIN_BOND, WINDOW, DELAY, 5001), env.admin) == "FeeTooHigh"


def test_a_self_dispute_is_refused_and_a_dispute_costs_the_loser_a_full_bond(chain: Chain) -> None:
    env = setup(chain)
    oracle, proposer = env.oracle, env.proposer
    qid = env.init("self-dispute")
    proposer.transact(oracle.functions.propose(qid, 0))
    assert env.revert_name(oracle.functions.dispute(qid), proposer) == "SelfDispute"

    # Disputing from a second account of the proposer's: the disputer posts a full bond and loses all of it;
    # the winner is paid the loser's bond minus the fee, so the pair is down the fee.
    sybil = env.outsider
    sybil.transact(oracle.functions.dispute(qid))
    assert env.balance(sybil) == START - BOND
    env.arbitrator.transact(oracle.functions.arbitrate(qid, 0))
    assert env.balance(sybil) == START - BOND
    assert env.balance(proposer) == START + BOND - FEE
    assert env.balance(proposer) + env.balance(sybil) == 2 * START - FEE
    ruled = oracle.events.DisputeRuled().get_logs(from_block=0)[-1]["args"]
    assert (ruled["winner"], ruled["paid"], ruled["fee"]) == (proposer.address, 2 * BOND - FEE, FEE)


def test_an_arbitrator_that_misses_its_deadline_lets_the_question_reopen(chain: Chain) -> None:
    env = setup(chain)
    oracle, proposer, disputer = env.oracle, env.proposer, env.disputer
    qid = env.init("silent arbitrator")
    proposer.transact(oracle.functions.propose(qid, 0))
    receipt = disputer.transact(oracle.functions.dispute(qid))
    deadline = oracle.events.OutcomeDisputed().process_receipt(receipt, errors=DISCARD)[0]["args"][
        "arbitrationDeadline"
    ]
    assert deadline == chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + WINDOW
    assert env.revert_name(oracle.functions.expireDispute(qid), env.outsider) == "ArbitrationPending"

    env.advance(WINDOW)
    assert env.revert_name(oracle.functions.arbitrate(qid, 0), env.arbitrator) == "ArbitrationExpired"
    env.outsider.transact(oracle.functions.expireDispute(qid))  # anyone may
    assert env.state(qid) == OPEN
    assert env.balance(proposer) == START  # both bonds refunded
    assert env.balance(disputer) == START
    assert env.balance(oracle.address) == 0
    assert env.revert_name(oracle.functions.expireDispute(qid), env.outsider) == "WrongState"

    # A new proposal resolves it the ordinary way.
    disputer.transact(oracle.functions.propose(qid, 1))
    env.advance(LIVENESS)
    env.outsider.transact(oracle.functions.settle(qid))
    assert payouts(env.ctf, condition_of(env.ctf, oracle, qid)) == (1, 0, 1)
    assert env.balance(disputer) == START


def test_the_arbitrator_is_replaced_only_by_the_admin_after_the_delay(chain: Chain) -> None:
    env = setup(chain)
    oracle, successor = env.oracle, chain.signer(7)
    assert env.revert_name(oracle.functions.proposeArbitrator(successor.address), env.outsider) == "NotAdmin"
    assert env.revert_name(oracle.functions.proposeArbitrator(successor.address), env.arbitrator) == "NotAdmin"
    assert env.revert_name(oracle.functions.activateArbitrator(), env.admin) == "NoPendingArbitrator"
    receipt = env.admin.transact(oracle.functions.proposeArbitrator(successor.address))
    proposed = oracle.events.ArbitratorProposed().process_receipt(receipt, errors=DISCARD)[0]["args"]
    now = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert (proposed["arbitrator"], proposed["effectiveAt"]) == (successor.address, now + DELAY)
    assert oracle.functions.pendingArbitrator().call() == successor.address

    # A dispute opened meanwhile is still the old arbitrator's to rule while it is in office.
    qid = env.init("who rules?")
    env.proposer.transact(oracle.functions.propose(qid, 0))
    env.disputer.transact(oracle.functions.dispute(qid))
    assert env.revert_name(oracle.functions.activateArbitrator(), env.admin) == "ArbitratorTimelock"
    env.advance(DELAY - 10)
    assert env.revert_name(oracle.functions.activateArbitrator(), env.admin) == "ArbitratorTimelock"
    env.advance(10)
    assert env.revert_name(oracle.functions.activateArbitrator(), env.outsider) == "NotAdmin"
    assert env.revert_name(oracle.functions.activateArbitrator(), successor) == "NotAdmin"
    receipt = env.admin.transact(oracle.functions.activateArbitrator())
    changed = oracle.events.ArbitratorChanged().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (changed["previous"], changed["arbitrator"]) == (env.arbitrator.address, successor.address)
    assert oracle.functions.arbitrator().call() == successor.address
    assert oracle.functions.pendingArbitrator().call() == "0x" + "00" * 20

    assert env.revert_name(oracle.functions.arbitrate(qid, 1), env.arbitrator) == "NotArbitrator"
    successor.transact(oracle.functions.arbitrate(qid, 1))
    assert env.state(qid) == RESOLVED

    # A pending replacement can be cancelled; then nothing can be activated.
    env.admin.transact(oracle.functions.proposeArbitrator(env.outsider.address))
    assert env.revert_name(oracle.functions.cancelArbitrator(), env.outsider) == "NotAdmin"
    receipt = env.admin.transact(oracle.functions.cancelArbitrator())
    assert oracle.events.ArbitratorProposalCancelled().process_receipt(receipt, errors=DISCARD)[0]["args"][
        "arbitrator"
    ] == (env.outsider.address)
    env.advance(DELAY)
    assert env.revert_name(oracle.functions.activateArbitrator(), env.admin) == "NoPendingArbitrator"
    assert oracle.functions.arbitrator().call() == successor.address


def test_the_market_helpers_drive_the_deployed_oracle(chain: Chain) -> None:
    """``chain.markets`` over the deployment of ``chain.deploy``: create, propose, dispute, expire after the
    arbitrator's deadline, propose again, settle, redeem."""
    manifest, admin = chain.manifest, chain.deployer
    oracle = chain.contract("OptimisticOracle", "oracle")
    assert oracle.functions.minBond().call() == ORACLE_MIN_BOND
    assert oracle.functions.arbitrator().call() == admin.address == oracle.functions.admin().call()
    bond = 5 * USDC
    market = create_market(admin, manifest, "Helpers?", bond=bond, liveness=LIVENESS)
    assert market.question_id == question_id(admin.address, "Helpers?")
    usdc = chain.contract("MockUSDC", "collateral")
    proposer, disputer, holder = chain.signer(4), chain.signer(5), chain.signer(6)
    for who in (proposer, disputer):
        admin.transact(usdc.functions.mint(who.address, bond))
    fund_trader(admin, holder, manifest, 0, {market.condition_id: 3 * USDC})

    propose(proposer, manifest, market.question_id, 1)
    dispute(disputer, manifest, market.question_id)
    assert int(usdc.functions.balanceOf(oracle.address).call()) == 2 * bond
    chain.anvil.rpc("evm_increaseTime", ORACLE_ARBITRATION_WINDOW)
    chain.anvil.mine()
    expire_dispute(holder, manifest, market.question_id)
    assert [int(usdc.functions.balanceOf(w.address).call()) for w in (proposer, disputer)] == [bond, bond]

    propose(disputer, manifest, market.question_id, 0)
    dispute(proposer, manifest, market.question_id)
    arbitrate(admin, manifest, market.question_id, 0)  # the deployer is the arbitrator
    fee = bond * ORACLE_DISPUTE_FEE_BPS // 10_000
    assert int(usdc.functions.balanceOf(disputer.address).call()) == 2 * bond - fee
    assert redeem(holder, manifest, market.condition_id) == 3 * USDC  # YES won: 3 YES pay 3 USDC, NO nothing


def test_the_cli_disputes_rules_and_expires(chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m chain.markets propose|dispute|arbitrate|expire|settle`` (in process) over a state directory."""
    manifest, admin = chain.manifest, chain.deployer
    manifest.save(tmp_path / "deployment.json")
    market = create_market(admin, manifest, "CLI?", bond=5 * USDC, liveness=LIVENESS)
    usdc, oracle = chain.contract("MockUSDC", "collateral"), chain.contract("OptimisticOracle", "oracle")
    keys = {i: dev_key(i) for i in (0, 4, 5)}
    for i in (4, 5):
        admin.transact(usdc.functions.mint(chain.signer(i).address, 10 * USDC))

    def cli(cmd: str, key: int, *extra: str) -> int:
        return markets_main(
            [cmd, "--question-id", market.question_id, "--key", keys[key], "--state-dir", str(tmp_path),
             "--rpc-url", chain.anvil.url, *extra]
        )  # fmt: skip

    def state() -> int:
        return int(oracle.functions.getQuestion(bytes.fromhex(market.question_id[2:])).call()[0])

    assert cli("propose", 4, "--outcome", "0") == 0
    assert cli("dispute", 4) == 2  # the proposer itself: refused, by name
    assert f"error: the oracle refused: SelfDispute({market.question_id})" in capsys.readouterr().err
    assert cli("dispute", 5) == 0
    assert state() == DISPUTED
    assert cli("expire", 5) == 2  # the arbitrator still has time
    assert "ArbitrationPending" in capsys.readouterr().err
    chain.anvil.rpc("evm_increaseTime", ORACLE_ARBITRATION_WINDOW)
    chain.anvil.mine()
    assert cli("expire", 5) == 0
    assert state() == OPEN
    assert cli("propose", 5, "--outcome", "1") == 0
    assert cli("dispute", 4) == 0
    assert cli("arbitrate", 4, "--outcome", "1") == 2  # not the arbitrator
    assert "the oracle refused: NotArbitrator()" in capsys.readouterr().err
    assert cli("arbitrate", 0, "--outcome", "1") == 0
    assert state() == RESOLVED


# --- a property: bonds are conserved across every path -------------------------------------------------------------

STEPS = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(0, 2)),  # (question, move, actor / outcome)
    min_size=4,
    max_size=14,
)


def step(env: Env, qid: bytes, move: int, pick: int) -> str:
    """One move valid in the question's state (chosen by ``move``), taken; returns what was done. Also checks
    that the moves the state forbids are refused."""
    fn, actors = env.oracle.functions, [env.proposer, env.disputer, env.outsider]
    q = env.oracle.functions.getQuestion(qid).call()
    state, proposed_at, liveness, proposer = q[0], q[3], q[4], q[6]
    now = env.chain.w3.eth.get_block("latest")["timestamp"]
    if state == OPEN:
        actors[pick].transact(fn.propose(qid, pick))
        return "propose"
    if state == PROPOSED:
        if move < 3 and now + 1 < proposed_at + liveness:  # still disputable (time moves on other questions)
            disputer = next(a for a in actors[pick:] + actors if a.address != proposer)
            disputer.transact(fn.dispute(qid))
            return "dispute"
        if now < proposed_at + liveness:
            env.advance(LIVENESS)
        assert env.revert_name(fn.dispute(qid), env.outsider) == "Liveness"
        actors[pick].transact(fn.settle(qid))
        return "settle"
    if state == DISPUTED:
        if move % 2 == 0 and now + 1 < q[5]:  # before the arbitration deadline
            env.arbitrator.transact(fn.arbitrate(qid, pick))
            return "arbitrate"
        if now < q[5]:
            env.advance(WINDOW)
        assert env.revert_name(fn.arbitrate(qid, pick), env.arbitrator) == "ArbitrationExpired"
        actors[pick].transact(fn.expireDispute(qid))
        return "expire"
    assert env.revert_name(fn.propose(qid, 0), env.outsider) == "WrongState"
    return "resolved"


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_bonds_are_conserved_across_every_path(chain: Chain, steps: list[tuple[int, int, int]]) -> None:
    """Random walks of propose / dispute / settle / arbitrate / expire over two questions with different bonds: the
    token total over the actors, the fee recipient and the oracle never changes; the oracle holds exactly the bonds
    of the questions in play (one while proposed, two while disputed); the fee recipient holds exactly the fees of
    the rulings."""
    snap = chain.anvil.snapshot()
    try:
        env = setup(chain)
        everyone = [a.address for a in (env.proposer, env.disputer, env.outsider, env.admin)] + [env.oracle.address]
        total = sum(env.balance(a) for a in everyone)
        qids = [env.init("conserved A"), env.init("conserved B", bond=MIN_BOND)]
        bonds = [BOND, MIN_BOND]
        fees = 0
        for which, move, pick in steps:
            if env.state(qids[which]) == RESOLVED:  # walk the other question while this one can
                which = 1 - which
            done = step(env, qids[which], move, pick)
            if done == "arbitrate":
                fees += bonds[which] * FEE_BPS // 10_000
            assert sum(env.balance(a) for a in everyone) == total
            held = sum(
                {PROPOSED: 1, DISPUTED: 2}.get(env.state(q), 0) * bond for q, bond in zip(qids, bonds, strict=True)
            )
            assert env.balance(env.oracle.address) == held
            assert env.balance(env.admin) == fees
    finally:
        chain.anvil.revert(snap)
        chain.deployer.nonce = None
