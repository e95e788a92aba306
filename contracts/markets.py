"""The on-chain half of a market's life: create (oracle question → condition → positions → registered tokens),
resolve (propose → dispute window → settle, or arbitrate) and redeem.

A binary market is a ConditionalTokens condition with two outcome slots whose oracle is our ``OptimisticOracle``:

1. ``oracle.initialize(questionId, bond, liveness)`` prepares the condition (oracle = the OptimisticOracle);
2. the position ids of index sets 1 (YES) and 2 (NO) over the collateral are the outcome token ids;
3. ``exchange.registerToken(yes, no, conditionId)`` lets the exchange settle them.

The off-chain half (the market row, the book) is the admin API's ``POST /admin/markets``; ``create_market_cli``
does both. Resolution is reported by the oracle to ConditionalTokens; the indexer sees ``ConditionResolution`` and
the exchange halts the book (see docs/runbook.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from contracts.chain import Signer, contract_at
from contracts.deploy import Manifest

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


def create_market(
    admin: Signer, manifest: Manifest, question: str, bond: int = 10_000_000, liveness: int = 7200
) -> OnchainMarket:
    """Initialize the oracle question, derive the tokens and register them on the exchange (admin-only calls)."""
    w3 = admin.w3
    oracle: Any = contract_at(w3, "OptimisticOracle", manifest.contracts["oracle"])
    ctf: Any = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    exchange: Any = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    qid = Web3.keccak(text=question)
    admin.transact(oracle.functions.initialize(qid, bond, liveness))
    condition = bytes(ctf.functions.getConditionId(oracle.address, qid, 2).call())
    market = register_tokens(admin, exchange, ctf, manifest.contracts["collateral"], condition)
    return OnchainMarket("0x" + bytes(qid).hex(), "0x" + condition.hex(), market.yes, market.no)


def propose(proposer: Signer, manifest: Manifest, question_id: str, outcome: int) -> None:
    """Post the bond and propose ``outcome`` (0 YES, 1 NO, 2 invalid); approves the bond first."""
    w3 = proposer.w3
    oracle: Any = contract_at(w3, "OptimisticOracle", manifest.contracts["oracle"])
    usdc: Any = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    proposer.transact(usdc.functions.approve(oracle.address, 2**256 - 1))
    proposer.transact(oracle.functions.propose(bytes.fromhex(question_id[2:]), outcome))


def settle(caller: Signer, manifest: Manifest, question_id: str) -> None:
    """After the dispute window: report the undisputed proposal to ConditionalTokens."""
    oracle: Any = contract_at(caller.w3, "OptimisticOracle", manifest.contracts["oracle"])
    caller.transact(oracle.functions.settle(bytes.fromhex(question_id[2:])))


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


def main(argv: list[str] | None = None) -> int:
    """``python -m contracts.markets create|propose|settle|redeem ...``: a market's life from the command line."""
    import argparse
    import json
    from pathlib import Path

    import httpx

    from contracts.anvil import dev_key
    from contracts.chain import connect

    parser = argparse.ArgumentParser(description="Create a binary market: oracle question, tokens, book.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create")
    create.add_argument("--question", required=True)
    create.add_argument("--state-dir", type=Path, default=Path("var"))
    create.add_argument("--api-url", default="http://127.0.0.1:8080")
    create.add_argument("--admin-key", default=dev_key(0), help="exchange admin (and collateral owner) key")
    create.add_argument("--tick-size", default="0.01")
    create.add_argument("--min-order-size", default="5")
    create.add_argument("--fee-rate-bps", type=int, default=0)
    create.add_argument("--bond", type=int, default=10_000_000, help="oracle bond, collateral base units")
    create.add_argument("--liveness", type=int, default=7200, help="dispute window, seconds")
    for name, helptext in (("propose", "post the bond and propose an outcome"), ("settle", "settle after the window")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--question-id", required=True)
        p.add_argument("--key", required=True, help="the caller's private key")
        p.add_argument("--state-dir", type=Path, default=Path("var"))
        if name == "propose":
            p.add_argument("--outcome", type=int, choices=(0, 1, 2), required=True, help="0 YES, 1 NO, 2 invalid")
    redeem_p = sub.add_parser("redeem", help="redeem a holder's positions of a resolved market")
    redeem_p.add_argument("--condition-id", required=True)
    redeem_p.add_argument("--key", required=True, help="the holder's private key")
    redeem_p.add_argument("--state-dir", type=Path, default=Path("var"))
    args = parser.parse_args(argv)

    manifest = Manifest.load(args.state_dir / "deployment.json")
    if args.cmd != "create":
        signer = Signer.from_key(connect(manifest.rpc_url), args.key)
        if args.cmd == "propose":
            propose(signer, manifest, args.question_id, args.outcome)
        elif args.cmd == "settle":
            settle(signer, manifest, args.question_id)
        else:
            print(json.dumps({"redeemed": redeem(signer, manifest, args.condition_id)}))
        return 0
    admin = Signer.from_key(connect(manifest.rpc_url), args.admin_key)
    market = create_market(admin, manifest, args.question, args.bond, args.liveness)
    token = (args.state_dir / "admin.token").read_text().strip()
    body = {
        "condition_id": market.condition_id,
        "question_id": market.question_id,
        "yes_token_id": str(market.yes_token),
        "no_token_id": str(market.no_token),
        "tick_size": args.tick_size,
        "min_order_size": args.min_order_size,
        "fee_rate_bps": args.fee_rate_bps,
        "question": args.question,
        "oracle": manifest.contracts["oracle"],
    }
    resp = httpx.post(
        f"{args.api_url}/admin/markets", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    if resp.status_code != 200:
        print(resp.text)
        return 1
    print(json.dumps(market.to_json()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
