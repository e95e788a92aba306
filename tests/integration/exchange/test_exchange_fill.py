"""fillOrder / fillOrders: the operator as counterparty, partial fills, fees kept by the operator, events."""

from __future__ import annotations

from web3 import Web3
from web3.logs import DISCARD

from chain.exchange import Side, order_tuple
from tests.integration.exchange.exchange_model import model_fill_order
from tests.integration.exchange.exchange_support import USDC, ExchangeEnv, assert_conserved, assert_matches_model


def test_fill_buy_and_sell_partially_with_fees(env: ExchangeEnv) -> None:
    yes = env.market.yes
    buy = env.buy(1, yes, 100, 0.30, fee=100)
    sell = env.sell(2, yes, 50, 0.70, fee=1000)
    before = env.balances()
    ledger = env.ledger(before)
    f1 = model_fill_order(ledger, buy, 12 * USDC, env.operator.address)
    f2 = model_fill_order(ledger, sell, 50 * USDC, env.operator.address)
    ex = env.exchange.functions
    receipt = env.operator.transact(ex.fillOrders([order_tuple(buy), order_tuple(sell)], [12 * USDC, 50 * USDC]))
    after = env.balances()
    assert_matches_model(env, ledger, after)
    assert_conserved(env, before, after, receipt)
    events = [dict(e["args"]) for e in env.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)]
    assert [(e["makerAmountFilled"], e["takerAmountFilled"], e["fee"]) for e in events] == [
        (f1.making, f1.taking, f1.fee),
        (f2.making, f2.taking, f2.fee),
    ]
    assert all(e["taker"] == env.operator.address for e in events)
    assert (events[0]["makerAssetId"], events[0]["takerAssetId"]) == (0, yes)
    assert (events[1]["makerAssetId"], events[1]["takerAssetId"]) == (yes, 0)
    # fillOrder keeps the fee implicitly: no FeeCharged event (as in CTFExchange).
    assert not env.exchange.events.FeeCharged().process_receipt(receipt, errors=DISCARD)
    assert f1.fee > 0
    assert f2.fee > 0
    assert env.order_status(buy) == (False, 18 * USDC)
    assert env.order_status(sell) == (True, 0)


def test_fill_rest_of_a_partially_filled_order(env: ExchangeEnv) -> None:
    order = env.order(3, env.market.no, Side.SELL, 7 * USDC, 3 * USDC)
    ex = env.exchange.functions
    env.operator.transact(ex.fillOrder(order_tuple(order), 2 * USDC))
    assert env.order_status(order) == (False, 5 * USDC)
    before = env.balances()
    ledger = env.ledger(before)
    model_fill_order(ledger, order, 5 * USDC, env.operator.address)
    receipt = env.operator.transact(ex.fillOrder(order_tuple(order), 5 * USDC))
    after = env.balances()
    assert_matches_model(env, ledger, after)
    assert_conserved(env, before, after, receipt)
    assert env.order_status(order) == (True, 0)
    event = env.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert event["orderHash"] == env.exchange.functions.hashOrder(order_tuple(order)).call()
    assert event["maker"] == Web3.to_checksum_address(order.maker)
