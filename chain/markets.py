"""The on-chain half of a market's life: create (oracle question → condition → positions → registered tokens),
resolve (propose → dispute window → settle; or dispute → arbitrate, or expire after the arbitrator's deadline and
propose again) and redeem.

A binary market is a ConditionalTokens condition with two outcome slots whose oracle is our ``OptimisticOracle``:

1. ``oracle.initialize(questionText, bond, liveness)`` creates the question, whose id is bound to its creator
   (``question_id(creator, text)``), and prepares its condition (oracle = the OptimisticOracle);
2. the position ids of index sets 1 (YES) and 2 (NO) over the collateral are the outcome token ids;
3. ``exchange.registerToken(yes, no, conditionId)`` lets the exchange settle them.

The off-chain half (the market row, the book) is the admin API's ``POST /admin/markets``;
``python -m chain.markets create`` does both. Resolution is reported by the oracle to ConditionalTokens; the indexer
sees ``ConditionResolution`` and the exchange halts the book (see docs/runbook.md).

Neg-risk events (``create_event``, ``add_outcome``, ``report_outcome``, ``resolve_event``; CLI ``create-event``,
``add-outcome``, ``report-no``, ``resolve-event``): N outcomes on the ``NegRiskAdapter``, each a binary condition
whose tokens are registered on the ``NegRiskExchange``; chain side only for now (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_abi.abi import encode as abi_encode
from web3 import Web3
from web3.logs import DISCARD

from chain.anvil import dev_key
from chain.deploy import Manifest
from chain.rpc import Signer, connect, contract_at
from chain.stack import StackNotRunningError, live_rpc_url, live_stack

ZERO32 = b"\x00" * 32
Splits = Sequence[tuple[bytes, int]]  # (condition id, collateral to split into YES+NO)


@dataclass(frozen=True, slots=True)
class OnchainMarket:
    """A prepared, registered binary market."""

    question_id: str
    condition_id: str
    yes_token: int
    no_token: int

    def to_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "condition_id": self.condition_id,
            "token_ids": [str(self.yes_token), str(self.no_token)],
        }


@dataclass(frozen=True, slots=True)
class Market:
    """A prepared binary CTF condition whose two positions are registered on the exchange (``prepare_market``)."""

    condition_id: bytes
    yes: int
    no: int


def question_id(creator: str, question: str) -> str:
    """The oracle's question id of ``question`` initialized by ``creator`` (``OptimisticOracle.questionIdOf``):
    keccak256(abi.encode(creator, keccak256(utf-8 text))). Bound to the creator, so nobody can take it first."""
    encoded = abi_encode(["address", "bytes32"], [Web3.to_checksum_address(creator), Web3.keccak(text=question)])
    return "0x" + bytes(Web3.keccak(encoded)).hex()


def position_ids(ctf: Any, collateral: str, condition_id: bytes) -> tuple[int, int]:
    """The YES (index set 1) and NO (index set 2) position ids of a condition."""
    yes, no = (
        int(
            ctf.functions.getPositionId(
                collateral, ctf.functions.getCollectionId(ZERO32, condition_id, i).call()
            ).call()
        )
        for i in (1, 2)
    )
    return yes, no


def register_tokens(admin: Signer, exchange: Any, ctf: Any, collateral: str, condition_id: bytes) -> Market:
    """Derive the condition's YES/NO position ids and register them on the exchange (an admin-only call)."""
    yes, no = position_ids(ctf, collateral, condition_id)
    admin.transact(exchange.functions.registerToken(yes, no, condition_id))
    return Market(condition_id, yes, no)


def prepare_market(
    admin: Signer, exchange: Any, ctf: Any, collateral: str, question: bytes, oracle: str | None = None
) -> Market:
    """A bare binary market for local chains (tests, benchmarks): prepare a 2-outcome condition whose oracle is
    ``oracle`` (default ``admin``, which can then report it directly) and register its tokens. ``create_market``
    is the production path, with the ``OptimisticOracle`` as the oracle."""
    oracle = admin.address if oracle is None else oracle
    admin.transact(ctf.functions.prepareCondition(oracle, question, 2))
    condition_id = bytes(ctf.functions.getConditionId(oracle, question, 2).call())
    return register_tokens(admin, exchange, ctf, collateral, condition_id)


def register_on_exchange_v2(admin: Signer, manifest: Manifest, condition: bytes, yes: int, no: int) -> bool:
    """Register a market's tokens on the V2 exchange too, when the manifest has one and they are not yet (V1 and V2
    orders of one market settle against the same tokens). Returns whether a registration was sent."""
    address = manifest.contracts.get("exchange_v2")
    if not address:
        return False
    exchange_v2: Any = contract_at(admin.w3, "ExchangeV2", address)
    if int(exchange_v2.functions.registry(yes).call()[0]) != 0:
        return False
    admin.transact(exchange_v2.functions.registerToken(yes, no, condition))
    return True


def create_market(
    admin: Signer, manifest: Manifest, question: str, bond: int = 10_000_000, liveness: int = 7200
) -> OnchainMarket:
    """Initialize ``admin``'s oracle question for ``question`` (its id bound to ``admin``), derive the tokens and
    register them on the exchange (admin-only calls)."""
    w3 = admin.w3
    oracle: Any = contract_at(w3, "OptimisticOracle", manifest.contracts["oracle"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange: Any = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    admin.transact(oracle.functions.initialize(question.encode(), bond, liveness))
    qid = bytes.fromhex(question_id(admin.address, question)[2:])
    condition = bytes(ctf.functions.getConditionId(oracle.address, qid, 2).call())
    market = register_tokens(admin, exchange, ctf, manifest.contracts["collateral"], condition)
    register_on_exchange_v2(admin, manifest, condition, market.yes, market.no)
    return OnchainMarket("0x" + qid.hex(), "0x" + condition.hex(), market.yes, market.no)


def market_for_question(
    w3: Web3, manifest: Manifest, question: str, creator: str | None = None
) -> tuple[str, str, bool, bool]:
    """(question id, condition id, initialized on the oracle, tokens registered on the exchange) of ``question``
    as ``creator`` (default the deployer) initializes it. A condition prepared on ConditionalTokens by somebody
    else does not count as initialized: only the oracle's question can resolve it."""
    oracle: Any = contract_at(w3, "OptimisticOracle", manifest.contracts["oracle"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange: Any = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    qid_hex = question_id(creator or manifest.deployer, question)
    qid = bytes.fromhex(qid_hex[2:])
    condition = bytes(ctf.functions.getConditionId(oracle.address, qid, 2).call())
    initialized = int(oracle.functions.getQuestion(qid).call()[0]) != 0
    yes, _no = position_ids(ctf, manifest.contracts["collateral"], condition)
    registered = bytes(exchange.functions.getConditionId(yes).call()) == condition
    return qid_hex, "0x" + condition.hex(), initialized, registered


def ensure_market(
    admin: Signer, manifest: Manifest, question: str, bond: int = 10_000_000, liveness: int = 7200
) -> tuple[OnchainMarket, bool]:
    """``create_market`` that adopts what the chain already has: ``admin``'s oracle question is initialized only if
    it is not, the tokens registered only if they are not. Returns the market and whether anything was created."""
    qid, condition, initialized, registered = market_for_question(admin.w3, manifest, question, admin.address)
    if not initialized:
        return create_market(admin, manifest, question, bond, liveness), True
    ctf: Any = contract_at(admin.w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange: Any = contract_at(admin.w3, "Exchange", manifest.contracts["exchange"])
    condition_bytes = bytes.fromhex(condition[2:])
    if registered:
        yes, no = position_ids(ctf, manifest.contracts["collateral"], condition_bytes)
    else:
        market = register_tokens(admin, exchange, ctf, manifest.contracts["collateral"], condition_bytes)
        yes, no = market.yes, market.no
    register_on_exchange_v2(admin, manifest, condition_bytes, yes, no)
    return OnchainMarket(qid, condition, yes, no), not registered


def registered_markets(w3: Web3, manifest: Manifest) -> list[OnchainMarket]:
    """Every binary market registered on the exchange since the deployment (``TokenRegistered`` logs), with the
    question id its condition was prepared with (``ConditionPreparation``)."""
    exchange: Any = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    logs = exchange.events.TokenRegistered().get_logs(from_block=manifest.deploy_block)
    conditions: list[bytes] = []
    for entry in logs:
        condition = bytes(entry["args"]["conditionId"])
        if condition not in conditions:
            conditions.append(condition)
    found = []
    for condition in conditions:
        prepared = ctf.events.ConditionPreparation().get_logs(
            from_block=manifest.deploy_block, argument_filters={"conditionId": condition}
        )
        qid = bytes(prepared[0]["args"]["questionId"]).hex() if prepared else ""
        yes, no = position_ids(ctf, manifest.contracts["collateral"], condition)
        found.append(OnchainMarket("0x" + qid, "0x" + condition.hex(), yes, no))
    return found


def _oracle(signer: Signer, manifest: Manifest) -> Any:
    return contract_at(signer.w3, "OptimisticOracle", manifest.contracts["oracle"])


def _approve_bond(signer: Signer, manifest: Manifest) -> None:
    """Let the oracle take ``signer``'s bond (once; an unlimited allowance)."""
    usdc: Any = contract_at(signer.w3, "MockUSDC", manifest.contracts["collateral"])
    oracle = manifest.contracts["oracle"]
    if int(usdc.functions.allowance(signer.address, oracle).call()) < 2**255:
        signer.transact(usdc.functions.approve(oracle, 2**256 - 1))


def propose(proposer: Signer, manifest: Manifest, question_id: str, outcome: int) -> None:
    """Post the bond and propose ``outcome`` (0 YES, 1 NO, 2 invalid); approves the bond first."""
    _approve_bond(proposer, manifest)
    proposer.transact(_oracle(proposer, manifest).functions.propose(bytes.fromhex(question_id[2:]), outcome))


def dispute(disputer: Signer, manifest: Manifest, question_id: str) -> None:
    """Within the dispute window: post an equal bond and send the proposal to the arbitrator (not the proposer's
    own account); approves the bond first."""
    _approve_bond(disputer, manifest)
    disputer.transact(_oracle(disputer, manifest).functions.dispute(bytes.fromhex(question_id[2:])))


def settle(caller: Signer, manifest: Manifest, question_id: str) -> None:
    """After the dispute window: report the undisputed proposal to ConditionalTokens."""
    caller.transact(_oracle(caller, manifest).functions.settle(bytes.fromhex(question_id[2:])))


def arbitrate(arbitrator: Signer, manifest: Manifest, question_id: str, outcome: int) -> None:
    """The arbitrator's final ruling on a disputed question, before its arbitration deadline."""
    arbitrator.transact(_oracle(arbitrator, manifest).functions.arbitrate(bytes.fromhex(question_id[2:]), outcome))


def expire_dispute(caller: Signer, manifest: Manifest, question_id: str) -> None:
    """After the arbitration deadline without a ruling: refund both bonds and reopen the question."""
    caller.transact(_oracle(caller, manifest).functions.expireDispute(bytes.fromhex(question_id[2:])))


def redeem(holder: Signer, manifest: Manifest, condition_id: str) -> int:
    """Redeem both positions of a resolved condition; return the collateral received."""
    w3 = holder.w3
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    before = int(usdc.functions.balanceOf(holder.address).call())
    holder.transact(ctf.functions.redeemPositions(usdc.address, ZERO32, bytes.fromhex(condition_id[2:]), [1, 2]))
    return int(usdc.functions.balanceOf(holder.address).call()) - before


def _fund(admin: Signer, trader: Signer, usdc: Any, ctf: Any, exchange: str, usdc_amount: int, splits: Splits) -> None:
    """Mint ``usdc_amount`` plus every split amount to ``trader`` (``admin`` owns the collateral), approve the
    exchange for USDC and CTF tokens, and split each ``(condition_id, amount)`` into YES+NO."""
    unlimited = 2**256 - 1
    admin.transact(usdc.functions.mint(trader.address, usdc_amount + sum(amount for _, amount in splits)))
    trader.transact(usdc.functions.approve(exchange, unlimited))
    trader.transact(ctf.functions.setApprovalForAll(exchange, True))
    if splits:
        trader.transact(usdc.functions.approve(ctf.address, unlimited))
        for condition_id, amount in splits:
            trader.transact(ctf.functions.splitPosition(usdc.address, ZERO32, condition_id, [1, 2], amount))


def fund_trader(admin: Signer, trader: Signer, manifest: Manifest, usdc_amount: int, split: dict[str, int]) -> None:
    """Mint collateral to ``trader``, approve the exchange (USDC and CTF), and split ``split[condition_id]`` of it
    into YES+NO for each listed market (hex condition ids); ``trader`` keeps ``usdc_amount`` USDC."""
    w3 = admin.w3
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    splits = [(bytes.fromhex(condition_id[2:]), amount) for condition_id, amount in split.items()]
    _fund(admin, trader, usdc, ctf, manifest.contracts["exchange"], usdc_amount, splits)


def ensure_funded(
    admin: Signer, trader: Signer, manifest: Manifest, usdc_amount: int, split: dict[str, int]
) -> dict[str, int]:
    """``fund_trader`` up to a target: mint and split only what ``trader`` lacks of ``usdc_amount`` USDC and of
    ``split[condition_id]`` YES and NO each, and approve only what is not approved. Returns what was added
    (``usdc`` and each condition id's sets)."""
    w3 = admin.w3
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange = manifest.contracts["exchange"]
    unlimited = 2**256 - 1
    splits: list[tuple[bytes, int]] = []
    for condition_id, target in split.items():
        condition = bytes.fromhex(condition_id[2:])
        yes, no = position_ids(ctf, usdc.address, condition)
        held = min(int(ctf.functions.balanceOf(trader.address, t).call()) for t in (yes, no))
        if held < target:
            splits.append((condition, target - held))
    usdc_short = max(0, usdc_amount - int(usdc.functions.balanceOf(trader.address).call()))
    minted = usdc_short + sum(amount for _, amount in splits)
    if minted:
        admin.transact(usdc.functions.mint(trader.address, minted))
    if int(usdc.functions.allowance(trader.address, exchange).call()) < unlimited // 2:
        trader.transact(usdc.functions.approve(exchange, unlimited))
    if not ctf.functions.isApprovedForAll(trader.address, exchange).call():
        trader.transact(ctf.functions.setApprovalForAll(exchange, True))
    if splits:
        if int(usdc.functions.allowance(trader.address, ctf.address).call()) < unlimited // 2:
            trader.transact(usdc.functions.approve(ctf.address, unlimited))
        for condition, amount in splits:
            trader.transact(ctf.functions.splitPosition(usdc.address, ZERO32, condition, [1, 2], amount))
    return {"usdc": usdc_short, **{"0x" + c.hex(): a for c, a in splits}}


def fund_account(
    admin: Signer,
    trader: Signer,
    usdc: Any,
    ctf: Any,
    exchange: str,
    collateral: int,
    sets: int = 0,
    markets: Sequence[Market] = (),
) -> None:
    """``fund_trader`` over contract objects: give ``trader`` ``collateral`` USDC plus ``sets`` YES and NO of each
    market (split from extra USDC minted by ``admin``), and approve the exchange for USDC and CTF tokens."""
    splits = [(market.condition_id, sets) for market in markets] if sets else []
    _fund(admin, trader, usdc, ctf, exchange, collateral, splits)


# ---- neg-risk events ---------------------------------------------------------------------------------------
# An event of N outcomes on the NegRiskAdapter: each outcome a binary condition (oracle: the adapter) whose YES and
# NO tokens trade on the NegRiskExchange. The account that creates the event is its oracle on the adapter: it
# adds outcomes and reports the winner (see docs/contracts.md, "Neg-risk events").

MIN_EVENT_OUTCOMES = 3


@dataclass(frozen=True, slots=True)
class OnchainEvent:
    """A neg-risk event and its outcomes (each a market registered on the neg-risk exchange)."""

    event_id: str
    title: str
    outcomes: tuple[str, ...]
    markets: tuple[OnchainMarket, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "title": self.title,
            "outcomes": list(self.outcomes),
            "markets": [m.to_json() for m in self.markets],
        }


def _neg_risk(w3: Web3, manifest: Manifest) -> tuple[Any, Any]:
    """The adapter and the neg-risk exchange of a deployment."""
    if "neg_risk_adapter" not in manifest.contracts:
        raise ValueError("this deployment has no neg-risk adapter (redeploy with the current build)")
    adapter: Any = contract_at(w3, "NegRiskAdapter", manifest.contracts["neg_risk_adapter"])
    exchange: Any = contract_at(w3, "NegRiskExchange", manifest.contracts["neg_risk_exchange"])
    return adapter, exchange


def event_id_of(oracle: str, title: str) -> str:
    """The adapter's id of the event ``title`` prepared by ``oracle``: keccak256(abi.encode(oracle, data)) with
    the last byte cleared."""
    from eth_abi.abi import encode

    digest = bytes(Web3.keccak(encode(["address", "bytes"], [Web3.to_checksum_address(oracle), title.encode()])))
    return "0x" + (digest[:31] + b"\x00").hex()


def _outcome_market(receipt: Any, adapter: Any) -> OnchainMarket:
    (log,) = adapter.events.OutcomePrepared().process_receipt(receipt, errors=DISCARD)
    args = log["args"]
    return OnchainMarket(
        "0x" + bytes(args["questionId"]).hex(),
        "0x" + bytes(args["conditionId"]).hex(),
        int(args["yesPositionId"]),
        int(args["noPositionId"]),
    )


def add_outcome(admin: Signer, manifest: Manifest, event_id: str, outcome: str) -> OnchainMarket:
    """Add an outcome to an event (``admin`` must be the event's oracle, i.e. its creator) and register its YES
    and NO tokens on the neg-risk exchange (``admin`` must be an exchange admin). An empty ``outcome`` makes a
    placeholder, named later off chain."""
    adapter, exchange = _neg_risk(admin.w3, manifest)
    receipt = admin.transact(adapter.functions.addOutcome(bytes.fromhex(event_id[2:]), outcome.encode()))
    market = _outcome_market(receipt, adapter)
    condition = bytes.fromhex(market.condition_id[2:])
    admin.transact(exchange.functions.registerToken(market.yes_token, market.no_token, condition))
    return market


def create_event(admin: Signer, manifest: Manifest, outcomes: Sequence[str], title: str | None = None) -> OnchainEvent:
    """Prepare a neg-risk event of ``outcomes`` (at least three) on the adapter, with ``admin`` as its oracle, and
    register every outcome's tokens on the neg-risk exchange. ``title`` (default: the outcomes joined) is the
    event's data; the same admin cannot create the same title twice."""
    if len(outcomes) < MIN_EVENT_OUTCOMES:
        raise ValueError(f"an event needs at least {MIN_EVENT_OUTCOMES} outcomes, got {len(outcomes)}")
    if len(set(outcomes)) != len(outcomes):
        raise ValueError("outcomes must be distinct")
    title = title if title is not None else " / ".join(outcomes)
    adapter, _exchange = _neg_risk(admin.w3, manifest)
    receipt = admin.transact(adapter.functions.prepareEvent(title.encode()))
    (log,) = adapter.events.EventPrepared().process_receipt(receipt, errors=DISCARD)
    event_id = "0x" + bytes(log["args"]["eventId"]).hex()
    markets = tuple(add_outcome(admin, manifest, event_id, outcome) for outcome in outcomes)
    return OnchainEvent(event_id, title, tuple(outcomes), markets)


def report_outcome(oracle: Signer, manifest: Manifest, question_id: str, outcome: bool) -> None:
    """Report one outcome of an event: YES resolves the event (every other outcome NO), NO only this outcome.
    ``oracle`` must be the event's oracle."""
    adapter, _exchange = _neg_risk(oracle.w3, manifest)
    oracle.transact(adapter.functions.reportOutcome(bytes.fromhex(question_id[2:]), outcome))


def resolve_event(oracle: Signer, manifest: Manifest, winner_question_id: str) -> None:
    """Resolve an event: the outcome ``winner_question_id`` YES, every other outcome NO."""
    report_outcome(oracle, manifest, winner_question_id, True)


def event_info(w3: Web3, manifest: Manifest, event_id: str) -> dict[str, Any]:
    """The adapter's view of an event: oracle, outcome count, whether determined, winner index (if determined)."""
    adapter, _exchange = _neg_risk(w3, manifest)
    oracle, count, determined, winner = adapter.functions.getEvent(bytes.fromhex(event_id[2:])).call()
    return {"oracle": oracle, "outcome_count": int(count), "determined": bool(determined), "winner": int(winner)}


def approve_neg_risk(trader: Signer, manifest: Manifest) -> None:
    """Approve the neg-risk exchange (settlement) and the adapter (split, merge, convert, redeem) for ``trader``'s
    USDC and outcome tokens, skipping approvals already in place."""
    w3 = trader.w3
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    unlimited = 2**256 - 1
    for spender in (manifest.contracts["neg_risk_exchange"], manifest.contracts["neg_risk_adapter"]):
        if int(usdc.functions.allowance(trader.address, spender).call()) < unlimited // 2:
            trader.transact(usdc.functions.approve(spender, unlimited))
        if not ctf.functions.isApprovedForAll(trader.address, spender).call():
            trader.transact(ctf.functions.setApprovalForAll(spender, True))


def fund_event_trader(
    admin: Signer, trader: Signer, manifest: Manifest, usdc_amount: int, split: dict[str, int]
) -> None:
    """Mint ``usdc_amount`` plus every split amount to ``trader`` (``admin`` owns the collateral), approve the
    neg-risk exchange and adapter, and split ``split[condition_id]`` into YES+NO through the adapter."""
    usdc: Any = contract_at(admin.w3, "MockUSDC", manifest.contracts["collateral"])
    adapter, _exchange = _neg_risk(admin.w3, manifest)
    admin.transact(usdc.functions.mint(trader.address, usdc_amount + sum(split.values())))
    approve_neg_risk(trader, manifest)
    split_fn = adapter.get_function_by_signature("splitPosition(bytes32,uint256)")
    for condition_id, amount in split.items():
        trader.transact(split_fn(bytes.fromhex(condition_id[2:]), amount))


def convert_positions(holder: Signer, manifest: Manifest, event_id: str, index_set: int, amount: int) -> None:
    """Convert ``amount`` NO of each outcome in ``index_set`` (bit i = outcome i) into collateral and the YES of
    the other outcomes (the holder must have approved the adapter)."""
    adapter, _exchange = _neg_risk(holder.w3, manifest)
    holder.transact(adapter.functions.convertPositions(bytes.fromhex(event_id[2:]), index_set, amount))


def redeem_outcome(holder: Signer, manifest: Manifest, condition_id: str) -> int:
    """Redeem all of ``holder``'s YES and NO of a resolved outcome through the adapter; return the collateral
    received."""
    w3 = holder.w3
    adapter, _exchange = _neg_risk(w3, manifest)
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    condition = bytes.fromhex(condition_id[2:])
    yes, no = adapter.functions.getPositionIds(condition).call()
    amounts = [int(ctf.functions.balanceOf(holder.address, t).call()) for t in (yes, no)]
    before = int(usdc.functions.balanceOf(holder.address).call())
    holder.transact(adapter.functions.redeemPositions(condition, amounts))
    return int(usdc.functions.balanceOf(holder.address).call()) - before


EVENTS_FILE = "neg_risk_events.json"


def remember_event(state_dir: Path, event: OnchainEvent) -> None:
    """Keep an event's outcomes (names and markets) in ``neg_risk_events.json`` of the state directory, by id."""
    path = state_dir / EVENTS_FILE
    known = known_events(state_dir)
    known[event.event_id] = event.to_json()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def known_events(state_dir: Path) -> dict[str, dict[str, Any]]:
    """What ``remember_event`` kept, by event id (empty if nothing or unreadable)."""
    try:
        data = json.loads((state_dir / EVENTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


MARKETS_FILE = "markets.json"


def remember_market(state_dir: Path, market: OnchainMarket, details: dict[str, Any]) -> None:
    """Keep what the chain does not hold (question text, tick size, minimum size, fee) in ``markets.json`` of the
    state directory, so that a new store can adopt the market with it (`polyclob.startup`)."""
    path = state_dir / MARKETS_FILE
    known = known_markets(state_dir)
    known[market.condition_id] = {**market.to_json(), **details}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def known_markets(state_dir: Path) -> dict[str, dict[str, Any]]:
    """What ``remember_market`` kept, by condition id (empty if nothing or unreadable)."""
    try:
        data = json.loads((state_dir / MARKETS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def main(argv: list[str] | None = None) -> int:
    """``python -m chain.markets create|propose|dispute|settle|arbitrate|expire|redeem ...``: a market's life from
    the command line.
    The RPC and API are those of the stack running on ``--state-dir`` (its ``stack.json``) unless given."""
    parser = argparse.ArgumentParser(description="Create a binary market: oracle question, tokens, book.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create")
    create.add_argument("--question", required=True)
    create.add_argument("--state-dir", type=Path, default=Path("var"))
    create.add_argument("--api-url", default=None, help="default: the API of the stack running on --state-dir")
    create.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
    create.add_argument("--admin-key", default=None, help="exchange admin (and collateral owner) key")
    create.add_argument("--tick-size", default="0.01")
    create.add_argument("--min-order-size", default="5")
    create.add_argument("--fee-rate-bps", type=int, default=0)
    create.add_argument(
        "--bond",
        type=int,
        default=10_000_000,
        help="oracle bond, collateral base units (at least the oracle's minBond)",
    )
    create.add_argument("--liveness", type=int, default=7200, help="dispute window, seconds")
    for name, helptext in (
        ("propose", "post the bond and propose an outcome"),
        ("dispute", "post an equal bond and send the proposal to the arbitrator"),
        ("settle", "settle after the window"),
        ("arbitrate", "the arbitrator's ruling on a disputed question"),
        ("expire", "refund a dispute the arbitrator did not rule on in time and reopen the question"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--question-id", required=True)
        p.add_argument("--key", required=True, help="the caller's private key")
        p.add_argument("--state-dir", type=Path, default=Path("var"))
        p.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
        if name in ("propose", "arbitrate"):
            p.add_argument("--outcome", type=int, choices=(0, 1, 2), required=True, help="0 YES, 1 NO, 2 invalid")
    event_p = sub.add_parser("create-event", help="a neg-risk event of 3 or more outcomes, on the adapter")
    event_p.add_argument("--outcome", action="append", required=True, help="an outcome (repeat, at least 3)")
    event_p.add_argument("--title", default=None, help="the event's data (default: the outcomes joined)")
    event_p.add_argument("--state-dir", type=Path, default=Path("var"))
    event_p.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
    event_p.add_argument("--admin-key", default=None, help="exchange admin key; becomes the event's oracle")
    add_p = sub.add_parser("add-outcome", help="add an outcome (empty: a placeholder) to a neg-risk event")
    add_p.add_argument("--event-id", required=True)
    add_p.add_argument("--outcome", default="", help="the outcome (default empty: a placeholder)")
    add_p.add_argument("--state-dir", type=Path, default=Path("var"))
    add_p.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
    add_p.add_argument("--admin-key", default=None, help="the event's oracle, also an exchange admin")
    for name, helptext in (
        ("resolve-event", "report the winning outcome: YES for it, NO for every other outcome"),
        ("report-no", "report one outcome NO (e.g. a withdrawn candidate) before the winner is known"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--question-id", required=True, help="the outcome's question id")
        p.add_argument("--state-dir", type=Path, default=Path("var"))
        p.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
        p.add_argument("--key", default=None, help="the event's oracle key (default: anvil dev account 0)")
    redeem_p = sub.add_parser("redeem", help="redeem a holder's positions of a resolved market")
    redeem_p.add_argument("--condition-id", required=True)
    redeem_p.add_argument("--key", required=True, help="the holder's private key")
    redeem_p.add_argument("--state-dir", type=Path, default=Path("var"))
    redeem_p.add_argument("--rpc-url", default=None, help="default: the chain of the stack running on --state-dir")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (StackNotRunningError, CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("POLYCLOB_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc} (POLYCLOB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


class CliError(Exception):
    """A one-line failure of the CLI."""


def oracle_refusal(exc: BaseException) -> str | None:
    """The OptimisticOracle custom error carried by a web3 exception, as ``Name(args)``; None if it carries none."""
    from eth_abi.abi import decode as abi_decode

    from chain.build import load_artifact
    from chain.exchange import revert_data

    data = revert_data(exc)
    for item in load_artifact("OptimisticOracle")["abi"]:
        if item["type"] != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        if bytes(Web3.keccak(text=f"{item['name']}({','.join(types)})"))[:4] == data[:4]:
            values = abi_decode(types, data[4:])
            shown = ", ".join("0x" + v.hex() if isinstance(v, bytes) else str(v) for v in values)
            return f"{item['name']}({shown})"
    return None


def _oracle_command(args: Any, signer: Signer, manifest: Manifest) -> None:
    """One of the CLI's resolution commands (everything but ``create``)."""
    if args.cmd == "propose":
        propose(signer, manifest, args.question_id, args.outcome)
    elif args.cmd == "dispute":
        dispute(signer, manifest, args.question_id)
    elif args.cmd == "settle":
        settle(signer, manifest, args.question_id)
    elif args.cmd == "arbitrate":
        arbitrate(signer, manifest, args.question_id, args.outcome)
    elif args.cmd == "expire":
        expire_dispute(signer, manifest, args.question_id)
    else:
        print(json.dumps({"redeemed": redeem(signer, manifest, args.condition_id)}))


def _run(args: Any) -> int:
    state: Path = args.state_dir
    manifest_path = state / "deployment.json"
    if not manifest_path.exists():
        raise CliError(f"no deployment in {state}: start the stack with make run (STATE_DIR={state})")
    manifest = Manifest.load(manifest_path)
    if args.cmd in ("create-event", "add-outcome", "resolve-event", "report-no"):
        return _run_event(args, manifest)
    if args.cmd != "create":
        signer = Signer.from_key(connect(args.rpc_url or live_rpc_url(state)), args.key)
        try:
            _oracle_command(args, signer, manifest)
        except Exception as exc:
            refusal = oracle_refusal(exc)
            if refusal is None:
                raise
            raise CliError(f"the oracle refused: {refusal}") from exc
        return 0
    api_url, rpc_url = args.api_url, args.rpc_url
    if api_url is None or rpc_url is None:
        stack = live_stack(state)
        api_url, rpc_url = api_url or stack.api_url, rpc_url or stack.rpc_url
    admin = Signer.from_key(connect(rpc_url), args.admin_key or dev_key(0))
    # A market already on chain (a run that stopped half-way) is adopted: the book gets it from the chain's facts.
    market, _created = ensure_market(admin, manifest, args.question, args.bond, args.liveness)
    details = {
        "question": args.question,
        "tick_size": args.tick_size,
        "min_order_size": args.min_order_size,
        "fee_rate_bps": args.fee_rate_bps,
    }
    remember_market(state, market, details)
    token = (state / "admin.token").read_text().strip()
    body = {
        "condition_id": market.condition_id,
        "question_id": market.question_id,
        "yes_token_id": str(market.yes_token),
        "no_token_id": str(market.no_token),
        "oracle": manifest.contracts["oracle"],
        **details,
    }
    resp = httpx.post(f"{api_url}/admin/markets", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if resp.status_code != 200:
        raise CliError(f"the API refused the market ({resp.status_code}): {resp.text[:300]}")
    print(json.dumps(market.to_json()))
    return 0


def _run_event(args: Any, manifest: Manifest) -> int:
    """The neg-risk subcommands: chain side only (the event is kept in the state directory's
    ``neg_risk_events.json``; the API does not list these markets yet)."""
    from chain.anvil import dev_key
    from chain.rpc import connect
    from chain.stack import live_rpc_url

    state: Path = args.state_dir
    w3 = connect(args.rpc_url or live_rpc_url(state))
    if "neg_risk_adapter" not in manifest.contracts:
        raise CliError(f"the deployment in {state} has no neg-risk adapter: redeploy with the current build")
    if args.cmd == "create-event":
        admin = Signer.from_key(w3, args.admin_key or dev_key(0))
        try:
            event = create_event(admin, manifest, args.outcome, args.title)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        remember_event(state, event)
        print(json.dumps(event.to_json()))
    elif args.cmd == "add-outcome":
        admin = Signer.from_key(w3, args.admin_key or dev_key(0))
        market = add_outcome(admin, manifest, args.event_id, args.outcome)
        known = known_events(state).get(args.event_id.lower())
        if known is not None:
            event = OnchainEvent(
                args.event_id.lower(),
                known["title"],
                (*known["outcomes"], args.outcome),
                (*(_market_from_json(m) for m in known["markets"]), market),
            )
            remember_event(state, event)
        print(json.dumps(market.to_json()))
    else:
        oracle = Signer.from_key(w3, args.key or dev_key(0))
        report_outcome(oracle, manifest, args.question_id, args.cmd == "resolve-event")
        question = bytes.fromhex(args.question_id[2:])
        event_id = "0x" + (question[:31] + b"\x00").hex()
        print(json.dumps({"event_id": event_id, **event_info(w3, manifest, event_id)}))
    return 0


def _market_from_json(data: dict[str, Any]) -> OnchainMarket:
    yes, no = data["token_ids"]
    return OnchainMarket(data["question_id"], data["condition_id"], int(yes), int(no))


if __name__ == "__main__":
    raise SystemExit(main())
