"""A V1 order against a V2 order through the CrossMatcher: each exchange fills its own order against the matcher,
so balances move exactly as two `fillOrder`s at each order's own limit price, and each fill state is recorded by
the exchange that owns the order."""

from __future__ import annotations

from chain.exchange import Order, Side, order_tuple
from orders.v2 import protocol_fee
from tests.integration.exchange.exchange_support import USDC
from tests.integration.exchange_v2.conftest import V2Env


def _v1_buy(env: V2Env, who: int, token: int, shares: int, price: float, fee: int = 0) -> Order:
    return env.base.order(who, token, Side.BUY, round(shares * USDC * price), shares * USDC, fee)


def _v1_sell(env: V2Env, who: int, token: int, shares: int, price: float, fee: int = 0) -> Order:
    return env.base.order(who, token, Side.SELL, shares * USDC, round(shares * USDC * price), fee)


def test_complementary_v1_buy_against_v2_sell(env: V2Env) -> None:
    b, yes = env.base, env.base.market.yes
    env.base.operator.transact(env.v2.functions.setFeeParams(yes, 2_500, 2))
    v1 = _v1_buy(env, 1, yes, 100, 0.60)
    v2 = env.sell(2, yes, 100, 0.55)
    buyer, seller, cross = b.traders[1].address, b.traders[2].address, env.cross.address
    before = {(a, k): env.balance(a, k) for a in (buyer, seller, cross) for k in (0, yes)}
    env.cross_match(v1, 60 * USDC, v2, 100 * USDC)
    v2_fee = protocol_fee(2_500, 2, 1, 100 * USDC, 55 * USDC)
    assert env.balance(buyer, 0) == before[(buyer, 0)] - 60 * USDC
    assert env.balance(buyer, yes) == before[(buyer, yes)] + 100 * USDC
    assert env.balance(seller, 0) == before[(seller, 0)] + 55 * USDC - v2_fee
    assert env.balance(seller, yes) == before[(seller, yes)] - 100 * USDC
    # the matcher keeps the spread and the V2 fee; its tokens are back where they were
    assert env.balance(cross, 0) == before[(cross, 0)] + 5 * USDC + v2_fee
    assert env.balance(cross, yes) == before[(cross, yes)]
    assert b.order_status(v1) == (True, 0)
    assert env.status(v2) == (True, 0)


def test_mint_v1_buy_yes_against_v2_buy_no(env: V2Env) -> None:
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    v1 = _v1_buy(env, 1, yes, 100, 0.60, fee=100)  # a V1 order pays its signed fee rate
    v2 = env.buy(2, no, 100, 0.40)
    a, c, cross = b.traders[1].address, b.traders[2].address, env.cross.address
    before = {(h, k): env.balance(h, k) for h in (a, c, cross) for k in (0, yes, no)}
    receipt = env.cross_match(v1, 60 * USDC, v2, 40 * USDC)
    assert b.sets_moved(receipt) == (100 * USDC, 0)
    # V1 fee on a BUY at p = 0.6: rate * min(p, 1-p) * tokens / (p * 10_000)
    v1_fee = 100 * 4 * 10**17 * 100 * USDC // (6 * 10**17 * 10_000)
    assert env.balance(a, 0) == before[(a, 0)] - 60 * USDC
    assert env.balance(a, yes) == before[(a, yes)] + 100 * USDC - v1_fee
    assert env.balance(c, 0) == before[(c, 0)] - 40 * USDC
    assert env.balance(c, no) == before[(c, no)] + 100 * USDC
    assert env.balance(cross, 0) == before[(cross, 0)]
    assert env.balance(cross, yes) == before[(cross, yes)] + v1_fee
    assert b.order_status(v1) == (True, 0)
    assert env.status(v2) == (True, 0)


def test_merge_v1_sell_yes_against_v2_sell_no(env: V2Env) -> None:
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    v1 = _v1_sell(env, 1, yes, 100, 0.60)
    v2 = env.sell(2, no, 100, 0.35)
    a, c, cross = b.traders[1].address, b.traders[2].address, env.cross.address
    before = {(h, k): env.balance(h, k) for h in (a, c, cross) for k in (0, yes, no)}
    receipt = env.cross_match(v1, 100 * USDC, v2, 100 * USDC)
    assert b.sets_moved(receipt) == (0, 100 * USDC)
    assert env.balance(a, 0) == before[(a, 0)] + 60 * USDC
    assert env.balance(a, yes) == before[(a, yes)] - 100 * USDC
    assert env.balance(c, 0) == before[(c, 0)] + 35 * USDC
    assert env.balance(c, no) == before[(c, no)] - 100 * USDC
    assert env.balance(cross, 0) == before[(cross, 0)] + 5 * USDC


def test_cross_refuses_a_loss_a_wrong_pair_and_outsiders(env: V2Env) -> None:
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    from chain.exchange_v2 import order_v2_tuple

    # BUY YES at 0.30 and BUY NO at 0.30 do not pay for the full sets: the float would lose
    v1 = _v1_buy(env, 1, yes, 10, 0.30)
    v2 = env.buy(2, no, 10, 0.30)
    fn = env.cross.functions.matchCross(order_tuple(v1), 3 * USDC, order_v2_tuple(v2), 3 * USDC)
    assert b.revert_name(fn) == "Unbalanced"
    other = env.buy(2, b.other.no, 10, 0.80)
    fn = env.cross.functions.matchCross(order_tuple(v1), 3 * USDC, order_v2_tuple(other), 8 * USDC)
    assert b.revert_name(fn) == "NotAPair"
    fn = env.cross.functions.matchCross(order_tuple(v1), 3 * USDC, order_v2_tuple(v2), 3 * USDC)
    assert b.revert_name(fn, b.outsider) == "NotOperator"
