"""Property test on anvil: random crossing order sets (every match type, partial fills, fees, self-trades).

For each generated match the chain must agree with the CTFExchange model on every balance, conserve collateral
and both outcome tokens (fees go to the operator), and no order may pay more or receive less than its signed
limit allows: each order gives exactly its fill, receives at least fill * takerAmount / makerAmount (rounded
down), and pays a fee within its signed rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chain.exchange import Order, Side
from tests.integration.exchange.exchange_model import taking_amount
from tests.integration.exchange.exchange_support import ExchangeEnv, filled_events, settle_and_check

UNIT = 10_000  # 0.01 share: the client's size precision
FEES = st.sampled_from([0, 0, 10, 100, 1000])


@dataclass(frozen=True)
class MakerSpec:
    kind: str  # "comp" or "sets" (MINT for a BUY taker, MERGE for a SELL taker)
    cents: int  # offset into the crossing range, resolved against the taker's price
    size: int  # in UNITs
    fill_permille: int
    fee: int
    self_trade: bool


maker_specs = st.builds(
    MakerSpec,
    kind=st.sampled_from(["comp", "sets"]),
    cents=st.integers(0, 98),
    size=st.integers(1, 30_000),
    fill_permille=st.integers(1, 1000),
    fee=FEES,
    self_trade=st.sampled_from([False, False, False, True]),
)


@dataclass(frozen=True)
class Scenario:
    taker_side: Side
    taker_cents: int
    makers: tuple[MakerSpec, ...]
    taker_fee: int
    extra_size: int
    fill_pick: int  # permille within the valid taker-fill range


scenarios = st.builds(
    Scenario,
    taker_side=st.sampled_from([Side.BUY, Side.SELL]),
    taker_cents=st.integers(1, 99),
    makers=st.lists(maker_specs, min_size=1, max_size=4).map(tuple),
    taker_fee=FEES,
    extra_size=st.integers(0, 5_000),
    fill_pick=st.integers(0, 1000),
)


def build(env: ExchangeEnv, sc: Scenario) -> tuple[Order, list[Order], int, list[int]] | None:
    yes, no = env.market.yes, env.market.no
    p = sc.taker_cents
    makers: list[Order] = []
    fills: list[int] = []
    delivered = consumed = 0  # taker's receive asset delivered; taker's give asset consumed
    for i, spec in enumerate(sc.makers):
        who = 0 if spec.self_trade and i == 0 else i + 1
        size = spec.size * UNIT
        if sc.taker_side == Side.BUY:
            if spec.kind == "comp":  # maker SELL YES at an ask <= p
                cents = 1 + spec.cents % p
                order = env.order(who, yes, Side.SELL, size, size * cents // 100, spec.fee)
            else:  # MINT: maker BUY NO at a bid >= 1 - p
                cents = (100 - p) + spec.cents % p
                order = env.order(who, no, Side.BUY, size * cents // 100, size, spec.fee)
        else:
            if spec.kind == "comp":  # maker BUY YES at a bid >= p
                cents = p + spec.cents % (100 - p)
                order = env.order(who, yes, Side.BUY, size * cents // 100, size, spec.fee)
            else:  # MERGE: maker SELL NO at an ask <= 1 - p
                cents = 1 + spec.cents % (100 - p)
                order = env.order(who, no, Side.SELL, size, size * cents // 100, spec.fee)
        if order.maker_amount == 0 or order.taker_amount == 0:
            return None
        fill = max(1, order.maker_amount * spec.fill_permille // 1000)
        taking = taking_amount(fill, order.maker_amount, order.taker_amount)
        if sc.taker_side == Side.BUY:
            if spec.kind == "comp":
                delivered, consumed = delivered + fill, consumed + taking
            else:
                delivered, consumed = delivered + taking, consumed + max(taking - fill, 0)
        elif spec.kind == "comp":
            delivered, consumed = delivered + fill, consumed + taking
        else:
            delivered, consumed = delivered + fill - taking, consumed + fill
        makers.append(order)
        fills.append(fill)
    # The taker: size in shares, rounded up to a whole number of shares so its amounts are exact.
    if sc.taker_side == Side.BUY:
        shares = -(-(delivered + sc.extra_size * UNIT) // 10**6) * 10**6
        taker = env.order(0, yes, Side.BUY, shares * p // 100, shares, sc.taker_fee)
        # Largest fill whose limit-price proceeds the makers still cover.
        hi = ((delivered + 1) * taker.maker_amount - 1) // taker.taker_amount
    else:
        shares = -(-(consumed + sc.extra_size * UNIT) // 10**6) * 10**6
        taker = env.order(0, yes, Side.SELL, shares, shares * p // 100, sc.taker_fee)
        hi = ((delivered + 1) * taker.maker_amount - 1) // taker.taker_amount
    hi = min(hi, taker.maker_amount)
    lo = consumed
    if lo > hi or hi == 0:
        return None
    taker_fill = max(lo + (hi - lo) * sc.fill_pick // 1000, 1)
    return taker, makers, taker_fill, fills


@settings(
    max_examples=35,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(sc=scenarios)
def test_random_crossing_matches_conserve_and_respect_limits(env: ExchangeEnv, sc: Scenario) -> None:
    built = build(env, sc)
    assume(built is not None)
    assert built is not None
    taker, makers, taker_fill, fills = built
    snap = env.anvil.snapshot()
    try:
        receipt, _, _ = settle_and_check(env, taker, makers, taker_fill, fills)
        events = filled_events(env, receipt)
        for event, order, fill in zip(events, [*makers, taker], [*fills, taker_fill], strict=True):
            making, taking, fee = event["makerAmountFilled"], event["takerAmountFilled"], event["fee"]
            assert making == fill  # gives exactly its fill, never more
            assert taking >= taking_amount(making, order.maker_amount, order.taker_amount)  # at least its limit
            assert fee * 10_000 <= order.fee_rate_bps * (taking + 1)  # within its signed rate
            assert fee <= taking
    finally:
        env.anvil.revert(snap)
        env.reset_nonces()
