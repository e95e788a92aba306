"""Properties of the neg-risk adapter on chain (Hypothesis, few examples: every step is a transaction).

For random sequences of splits, merges and conversions by several traders on one event:
- value is conserved: for every possible winner w, each trader's USDC plus the payout its outcome tokens would get
  if w won is unchanged by every operation, and the adapter's pool of collateral equals exactly what the tokens
  still in circulation would pay (collateral is neither created nor lost, whatever the winner);
- exactly one outcome pays: once a winner is reported, its YES pays 1 and every other outcome's NO pays 1, and
  after everyone redeems every trader holds exactly its value for that winner and the pool is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chain.markets import add_outcome
from tests.integration.negrisk.negrisk_support import USDC, NegRiskEnv

USERS = 3


@dataclass(frozen=True)
class Op:
    kind: str  # split | merge | convert
    user: int
    target: int  # outcome index (split, merge) or index set seed (convert)
    amount: int  # split: whole USDC / 20 + 1; merge/convert: per-mille of what the user can give


ops = st.builds(
    Op,
    kind=st.sampled_from(["split", "split", "merge", "convert", "convert"]),
    user=st.integers(0, USERS - 1),
    target=st.integers(0, 2**8 - 1),
    amount=st.integers(1, 1000),
)


def holdings(nr: NegRiskEnv, n: int, who: str) -> tuple[int, list[int], list[int]]:
    """(USDC, YES of each outcome, NO of each outcome)."""
    return all_holdings(nr, n, [who])[who]


def all_holdings(nr: NegRiskEnv, n: int, users: list[str]) -> dict[str, tuple[int, list[int], list[int]]]:
    """``holdings`` of several users in one batch of calls."""
    ids = [nr.yes(i) for i in range(n)] + [nr.no(i) for i in range(n)]
    with nr.w3.batch_requests() as batch:
        for u in users:
            batch.add(nr.usdc.functions.balanceOf(u))
            batch.add(nr.ctf.functions.balanceOfBatch([u] * len(ids), ids))
        results = batch.execute()
    out = {}
    for k, u in enumerate(users):
        tokens = [int(x) for x in results[2 * k + 1]]
        out[u] = (int(results[2 * k]), tokens[:n], tokens[n:])
    return out


def values(usdc: int, yes: list[int], no: list[int]) -> list[int]:
    """What the holder would have if outcome w won, for each w."""
    n = len(yes)
    total_no = sum(no)
    return [usdc + yes[w] + total_no - no[w] for w in range(n)]


def apply(nr: NegRiskEnv, n: int, op: Op) -> None:
    trader = nr.traders[op.user]
    _usdc, yes, no = holdings(nr, n, trader.address)
    if op.kind == "split":
        nr.split(trader, op.target % n, (op.amount // 20 + 1) * USDC)
    elif op.kind == "merge":
        i = op.target % n
        amount = min(yes[i], no[i]) * op.amount // 1000
        if amount:
            nr.merge(trader, i, amount)
    else:
        index_set = op.target % (2**n - 1) + 1  # any non-empty subset
        held = min(no[i] for i in range(n) if index_set >> i & 1)
        amount = held * op.amount // 1000
        if amount:
            nr.convert(trader, index_set, amount)


# No shrinking: each example is tens of transactions, and a failing sequence of at most six steps reads as is.
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra_outcomes=st.integers(0, 1),
    steps=st.lists(ops, min_size=3, max_size=6),
    winner_seed=st.integers(0, 255),
)
def test_value_is_conserved_and_exactly_one_outcome_pays(
    nr: NegRiskEnv, extra_outcomes: int, steps: list[Op], winner_seed: int
) -> None:
    snap = nr.anvil.snapshot()
    try:
        markets = list(nr.event.markets)
        for k in range(extra_outcomes):
            markets.append(add_outcome(nr.admin, nr.manifest, nr.event.event_id, f"extra {k}"))
        nr.markets = markets
        n = len(markets)
        users = [t.address for t in nr.traders[:USERS]]
        # Every trader starts with value to split: a few splits of every outcome.
        for t in nr.traders[:USERS]:
            for i in range(n):
                nr.split(t, i, 20 * USDC)
        start = {u: values(*h) for u, h in all_holdings(nr, n, users).items()}

        for op in steps:
            apply(nr, n, op)
            claims = [0] * n
            for u, (usdc, yes, no) in all_holdings(nr, n, users).items():
                assert values(usdc, yes, no) == start[u], f"value changed by {op}"
                for w in range(n):
                    claims[w] += yes[w] + sum(no) - no[w]
            pool = nr.usdc_of(nr.adapter.address)
            assert claims == [pool] * n, "the pool must equal what the tokens in circulation pay, for any winner"

        winner = winner_seed % n
        nr.admin.transact(nr.adapter.functions.reportOutcome(bytes.fromhex(markets[winner].question_id[2:]), True))
        for i, market in enumerate(markets):
            condition = bytes.fromhex(market.condition_id[2:])
            numerators = [int(nr.ctf.functions.payoutNumerators(condition, s).call()) for s in (0, 1)]
            assert numerators == ([1, 0] if i == winner else [0, 1])
        for t in nr.traders[:USERS]:
            _usdc, yes, no = holdings(nr, n, t.address)
            for i, market in enumerate(markets):
                if yes[i] or no[i]:
                    t.transact(
                        nr.adapter.functions.redeemPositions(bytes.fromhex(market.condition_id[2:]), [yes[i], no[i]])
                    )
            usdc, yes, no = holdings(nr, n, t.address)
            assert (yes, no) == ([0] * n, [0] * n)
            assert usdc == start[t.address][winner], "each trader ends with exactly its value for the winner"
        assert nr.usdc_of(nr.adapter.address) == 0
    finally:
        nr.markets = list(nr.event.markets)
        nr.anvil.revert(snap)
        nr.reset_nonces()
