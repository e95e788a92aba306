"""matchOrders on anvil: each match type, with partial fills and fees, checked against the CTFExchange model.

Every scenario asserts every party's balances against the model, conservation of collateral and of both outcome
tokens (split/merge accounted), and the OrderFilled/OrdersMatched/FeeCharged events.
"""

from __future__ import annotations

from chain.exchange import Match, Side
from tests.integration.exchange.exchange_support import USDC, ExchangeEnv, settle_and_check


def test_complementary_taker_buy_gets_price_improvement(env: ExchangeEnv) -> None:
    yes = env.market.yes
    taker = env.buy(0, yes, 100, 0.60)
    maker = env.sell(1, yes, 100, 0.55)
    _, t, makers = settle_and_check(env, taker, [maker], 60 * USDC, [100 * USDC])
    # The maker gets its ask (55); the taker pays 55 of its 60, and receives all 100 shares.
    assert makers[0].taking == 55 * USDC
    assert (t.making, t.taking) == (60 * USDC, 100 * USDC)
    assert env.order_status(taker) == (True, 0)
    assert env.order_status(maker) == (True, 0)


def test_complementary_taker_buy_many_makers_partial_with_fees(env: ExchangeEnv) -> None:
    yes = env.market.yes
    taker = env.buy(0, yes, 300, 0.60, fee=100)
    makers = [env.sell(1, yes, 100, 0.50, fee=100), env.sell(2, yes, 80, 0.58, fee=50), env.sell(3, yes, 200, 0.60)]
    fills = [100 * USDC, 40 * USDC, 110 * USDC]  # maker 2 and 3 partially
    taker_fill = 150 * USDC
    _, t, fills_model = settle_and_check(env, taker, makers, taker_fill, fills)
    assert all(f.fee > 0 for f in fills_model[:2])
    assert fills_model[2].fee == 0
    assert t.fee > 0
    assert env.order_status(makers[1]) == (False, 40 * USDC)
    assert env.order_status(makers[2]) == (False, 90 * USDC)
    assert env.order_status(taker) == (False, 180 * USDC - taker_fill)


def test_complementary_taker_sell_partial_with_fees(env: ExchangeEnv) -> None:
    yes = env.market.yes
    taker = env.sell(0, yes, 250, 0.40, fee=200)
    makers = [env.buy(1, yes, 100, 0.45, fee=100), env.buy(2, yes, 100, 0.41, fee=1000)]
    # Makers BUY fill in collateral; the taker SELL fill in shares.
    # The makers take 100 + 48.78 shares; the taker's fill of 150 shares at 0.40 needs >= 60 USDC: it gets 65.
    _, t, _ = settle_and_check(env, taker, makers, 150 * USDC, [45 * USDC, 20 * USDC])
    assert t.taking == 65 * USDC
    assert env.order_status(taker) == (False, 100 * USDC)
    assert env.order_status(makers[1]) == (False, 21 * USDC)


def test_mint_two_makers_partial_with_fees(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    taker = env.buy(0, yes, 200, 0.60, fee=100)
    makers = [env.buy(1, no, 100, 0.45, fee=100), env.buy(2, no, 100, 0.40)]
    receipt, t, fills = settle_and_check(env, taker, makers, 90 * USDC, [45 * USDC, 20 * USDC])
    # One split for both makers: 100 + 50 full sets.
    assert env.sets_moved(receipt) == (150 * USDC, 0)
    assert [f.taking for f in fills] == [100 * USDC, 50 * USDC]
    assert t.taking == 150 * USDC
    assert env.order_status(makers[1]) == (False, 20 * USDC)


def test_mint_taker_fee_only(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    taker = env.buy(0, yes, 100, 0.70, fee=1000)
    maker = env.buy(1, no, 100, 0.30)
    settle_and_check(env, taker, [maker], 70 * USDC, [30 * USDC])


def test_merge_two_makers_partial_with_fees(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    taker = env.sell(0, yes, 300, 0.55, fee=100)
    makers = [env.sell(1, no, 100, 0.40, fee=300), env.sell(2, no, 150, 0.45)]
    receipt, t, _ = settle_and_check(env, taker, makers, 220 * USDC, [100 * USDC, 120 * USDC])
    assert env.sets_moved(receipt) == (0, 220 * USDC)
    # 220 sets merge into 220 USDC; makers get 40 + 54, the taker the rest (above its 0.55 limit).
    assert t.taking == 220 * USDC - 40 * USDC - 54 * USDC
    assert env.order_status(taker) == (False, 80 * USDC)


def test_mixed_complementary_and_mint(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    taker = env.buy(0, yes, 200, 0.60, fee=100)
    makers = [env.sell(1, yes, 100, 0.58, fee=100), env.buy(2, no, 100, 0.42, fee=100)]
    receipt, _, _ = settle_and_check(env, taker, makers, 120 * USDC, [100 * USDC, 42 * USDC])
    assert env.sets_moved(receipt) == (100 * USDC, 0)


def test_mixed_complementary_and_merge(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    taker = env.sell(0, yes, 200, 0.50, fee=50)
    makers = [env.buy(1, yes, 100, 0.52, fee=100), env.sell(2, no, 100, 0.48, fee=100)]
    receipt, _, _ = settle_and_check(env, taker, makers, 200 * USDC, [52 * USDC, 100 * USDC])
    assert env.sets_moved(receipt) == (0, 100 * USDC)


def test_maker_order_filled_across_two_matches(env: ExchangeEnv) -> None:
    yes = env.market.yes
    maker = env.sell(1, yes, 100, 0.50)
    settle_and_check(env, env.buy(0, yes, 30, 0.50), [maker], 15 * USDC, [30 * USDC])
    assert env.order_status(maker) == (False, 70 * USDC)
    settle_and_check(env, env.buy(2, yes, 70, 0.52), [maker], 70 * 52 * USDC // 100, [70 * USDC])
    assert env.order_status(maker) == (True, 0)
    again = env.buy(3, yes, 10, 0.50)
    fn = env.exchange.functions.matchOrders(*Match(again, (maker,), 5 * USDC, (10 * USDC,)).as_args())
    assert env.revert_name(fn) == "OrderFilledOrCancelled"


def test_rounding_down_in_maker_units(env: ExchangeEnv) -> None:
    yes = env.market.yes
    # 3 shares for 1 USDC: a fill of 1 base unit of shares pays floor(1/3) = 0.
    maker = env.order(1, yes, Side.SELL, 3_000_000, 1_000_000)
    taker = env.order(0, yes, Side.BUY, 1_000_000, 2_000_000)
    _, _, fills = settle_and_check(env, taker, [maker], 500_000, [1_000_001])
    assert fills[0].taking == 333_333


def test_mint_makers_bidding_above_one_leave_the_surplus_to_the_taker(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    # Maker bids 1.5 per NO token: pays 150 for 100 sets that cost 100; CTFExchange refunds the 50 to the taker.
    taker = env.order(0, yes, Side.BUY, 60 * USDC, 100 * USDC)
    maker = env.order(1, no, Side.BUY, 150 * USDC, 100 * USDC)
    receipt, t, _ = settle_and_check(env, taker, [maker], 60 * USDC, [150 * USDC])
    assert env.sets_moved(receipt) == (100 * USDC, 0)
    assert t.taking == 100 * USDC


def test_mint_fill_too_small_to_buy_a_set(env: ExchangeEnv) -> None:
    yes, no = env.market.yes, env.market.no
    # Maker bids 3 per NO token; a fill of 2 base units buys floor(2/3) = 0 sets. No split; the 2 units go to the
    # taker (CTFExchange's refund), nothing stays in the exchange.
    taker = env.order(0, yes, Side.BUY, 60 * USDC, 100 * USDC)
    maker = env.order(1, no, Side.BUY, 3, 1)
    receipt, _, fills = settle_and_check(env, taker, [maker], 0, [2])
    assert env.sets_moved(receipt) == (0, 0)
    assert fills[0].taking == 0
