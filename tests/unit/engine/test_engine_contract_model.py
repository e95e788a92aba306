"""The contract model itself: it must accept what the exchange accepts and revert where the exchange reverts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from contract_model import (
    ContractModel,
    ContractRevertError,
    SignedOrder,
    calculate_fee,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from clob.engine import PRICE_SCALE, MatchType, Side
from clob.engine.pricing import GRAIN, UNIT, fee_at_price, maker_fee, taker_fee

YES, NO = 101, 102
SHARE = 1_000_000
TEN = 10 * SHARE


def _model() -> ContractModel:
    model = ContractModel("operator")
    model.register_token(YES, NO, "cond")
    for who in ("alice", "bob", "carol"):
        model.deposit(who, 1_000 * SHARE)
        model.split(who, "cond", 100 * SHARE)
    return model


def _order(oid: str, who: str, token: int, side: Side, price: int, shares: int) -> SignedOrder:
    usdc = shares * price // PRICE_SCALE
    maker, taker = (usdc, shares) if side == Side.BUY else (shares, usdc)
    return SignedOrder(oid, who, token, side, maker, taker, 0, 0)


def test_complementary_match_pays_the_maker_its_price_and_refunds_the_taker() -> None:
    model = _model()
    taker = _order("t", "alice", YES, Side.BUY, 6000, TEN)
    maker = _order("m", "bob", YES, Side.SELL, 5500, TEN)
    alice_usdc, bob_usdc = model.balance("alice", 0), model.balance("bob", 0)
    result = model.match_orders(taker, [maker], 6 * SHARE, [TEN], block_time=0)
    assert result.refund == 500_000
    assert model.balance("alice", 0) == alice_usdc - 5_500_000
    assert model.balance("alice", YES) == 110 * SHARE
    assert model.balance("bob", 0) == bob_usdc + 5_500_000
    assert result.makers[0].match_type == MatchType.COMPLEMENTARY
    assert model.remaining_of(taker) == 0
    assert model.remaining_of(maker) == 0


def test_mint_and_merge_move_collateral_through_the_ctf() -> None:
    model = _model()
    locked = model.ctf_collateral
    mint = model.match_orders(
        _order("t1", "alice", YES, Side.BUY, 6000, TEN),
        [_order("m1", "bob", NO, Side.BUY, 4000, TEN)],
        6 * SHARE,
        [4 * SHARE],
        0,
    )
    assert mint.makers[0].match_type == MatchType.MINT
    assert model.ctf_collateral == locked + TEN
    merge = model.match_orders(
        _order("t2", "alice", YES, Side.SELL, 6000, TEN), [_order("m2", "bob", NO, Side.SELL, 4000, TEN)], TEN, [TEN], 0
    )
    assert merge.makers[0].match_type == MatchType.MERGE
    assert merge.taker.taking == 6 * SHARE
    assert model.ctf_collateral == locked


BID = _order("t", "alice", YES, Side.BUY, 6000, TEN)  # taker: BUY 10 YES at 0.60
ASK = _order("m", "bob", YES, Side.SELL, 5500, TEN)  # maker: SELL 10 YES at 0.55
REVERTS = [
    ("not_crossing", replace(BID, maker_amount=5 * SHARE), ASK, 5 * SHARE, TEN, 0, "NotCrossing"),
    ("making_gt_remaining", BID, ASK, 6 * SHARE, TEN + 1, 0, "MakingGtRemaining"),
    ("taker_short_of_its_minimum", BID, ASK, 6 * SHARE, TEN - SHARE, 0, "TooLittleTokensReceived"),
    ("complementary_needs_same_token", BID, replace(ASK, token_id=NO), 6 * SHARE, TEN, 0, "MismatchedTokenIds"),
    ("expired_maker", BID, replace(ASK, expiration=99), 6 * SHARE, TEN, 100, "OrderExpired"),
    ("fee_above_ten_percent", replace(BID, fee_rate_bps=1001), ASK, 6 * SHARE, TEN, 0, "FeeTooHigh"),
]


@pytest.mark.parametrize(
    ("name", "taker", "maker", "taker_fill", "maker_fill", "now", "error"), REVERTS, ids=[r[0] for r in REVERTS]
)
def test_contract_model_reverts_atomically(
    name: str, taker: SignedOrder, maker: SignedOrder, taker_fill: int, maker_fill: int, now: int, error: str
) -> None:
    model = _model()
    balances = dict(model.balances)
    with pytest.raises(ContractRevertError) as raised:
        model.match_orders(taker, [maker], taker_fill, [maker_fill], now)
    assert raised.value.args[0] == error, name
    assert model.balances == balances
    assert model.remaining == {}


def test_fee_formula_examples() -> None:
    # BUY at 0.30, 1%: 1% * min(0.3, 0.7) * 10 shares / 0.3 = 0.1 share
    assert calculate_fee(100, TEN, 3 * SHARE, TEN, Side.BUY) == 100_000
    # SELL at 0.30, 1%: 1% * 0.3 * 10 = 0.03 USDC
    assert calculate_fee(100, TEN, TEN, 3 * SHARE, Side.SELL) == 30_000
    # symmetric around 0.5: at 0.70 the BUY fee uses 1 - p
    assert calculate_fee(100, TEN, 7 * SHARE, TEN, Side.BUY) == 42_857  # 1% * 0.3 * 10 / 0.7
    assert calculate_fee(0, TEN, 3 * SHARE, TEN, Side.BUY) == 0


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    rate=st.integers(0, 1000),
    price=st.integers(1, PRICE_SCALE - 1),
    granules=st.integers(1, 10**6),
    sell=st.booleans(),
)
def test_engine_maker_fee_equals_the_contract_fee(rate: int, price: int, granules: int, sell: bool) -> None:
    shares = granules * GRAIN[price]
    usdc = granules * UNIT[price]
    side = Side.SELL if sell else Side.BUY
    making, taking = (shares, usdc) if sell else (usdc, shares)
    signed_maker, signed_taker = (shares, usdc) if sell else (usdc, shares)
    outcome = making if sell else taking
    expected = calculate_fee(rate, outcome, signed_maker, signed_taker, side)
    assert maker_fee(rate, int(sell), price, making, taking) == expected
    assert fee_at_price(rate, outcome, price * 10**14, not sell) == expected


@settings(max_examples=300, derandomize=True, deadline=None)
@given(rate=st.integers(0, 1000), making=st.integers(1, 10**12), taking=st.integers(1, 10**12), buy=st.booleans())
def test_engine_taker_fee_equals_the_contract_fee(rate: int, making: int, taking: int, buy: bool) -> None:
    side = Side.BUY if buy else Side.SELL
    expected = calculate_fee(rate, taking if buy else making, making, taking, side)
    assert taker_fee(rate, buy, making, taking) == expected
