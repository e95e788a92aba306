"""matchOrdersBatch: independent matches settle in one transaction; any failing match reverts the whole batch."""

from __future__ import annotations

from chain.exchange import Match, decode_revert, match_orders_batch_calldata
from tests.integration.exchange.exchange_model import model_match_orders
from tests.integration.exchange.exchange_support import (
    USDC,
    ExchangeEnv,
    assert_conserved,
    assert_matches_model,
    filled_events,
)


def three_matches(env: ExchangeEnv) -> list[Match]:
    yes, no = env.market.yes, env.market.no
    return [
        Match(env.buy(0, yes, 100, 0.60, fee=100), (env.sell(1, yes, 100, 0.58, fee=100),), 60 * USDC, (100 * USDC,)),
        Match(env.buy(2, yes, 50, 0.55), (env.buy(3, no, 50, 0.45, fee=50),), 27_500_000, (22_500_000,)),
        Match(env.sell(4, yes, 80, 0.50, fee=10), (env.sell(5, no, 80, 0.50),), 80 * USDC, (80 * USDC,)),
    ]


def test_batch_settles_every_match_like_separate_calls(env: ExchangeEnv) -> None:
    matches = three_matches(env)
    before = env.balances()
    ledger = env.ledger(before)
    for m in matches:
        model_match_orders(
            ledger,
            m.taker_order,
            list(m.maker_orders),
            m.taker_fill_amount,
            list(m.maker_fill_amounts),
            env.operator.address,
            env.complements(),
        )
    receipt = env.operator.transact(env.exchange.functions.matchOrdersBatch([m.as_args() for m in matches]))
    after = env.balances()
    assert_matches_model(env, ledger, after)
    assert_conserved(env, before, after, receipt)
    assert len(filled_events(env, receipt)) == 6
    assert env.sets_moved(receipt) == (50 * USDC, 80 * USDC)


def test_batch_calldata_helper_matches_web3(env: ExchangeEnv) -> None:
    matches = three_matches(env)
    ours = match_orders_batch_calldata(matches)
    theirs = env.exchange.functions.matchOrdersBatch([m.as_args() for m in matches])._encode_transaction_data()
    assert "0x" + ours.hex() == theirs


def test_one_bad_match_reverts_the_batch_with_its_error(env: ExchangeEnv) -> None:
    matches = three_matches(env)
    env.traders[5].transact(env.exchange.functions.incrementNonce())  # invalidates the third match's maker
    ex = env.exchange.functions
    assert env.revert_name(ex.matchOrdersBatch([m.as_args() for m in matches])) == "InvalidNonce"
    # Simulating the matches one by one isolates the bad one; the rest settle as a batch.
    reasons = []
    for m in matches:
        try:
            env.w3.eth.call({"to": env.exchange.address, "from": env.operator.address, "data": _data(m)})
            reasons.append("ok")
        except Exception as exc:
            from chain.exchange import revert_data

            reasons.append(decode_revert(revert_data(exc)).name)
    assert reasons == ["ok", "ok", "InvalidNonce"]
    good = [m for m, r in zip(matches, reasons, strict=True) if r == "ok"]
    env.operator.transact(ex.matchOrdersBatch([m.as_args() for m in good]))
    assert env.order_status(good[0].taker_order) == (True, 0)


def test_later_matches_see_earlier_fills(env: ExchangeEnv) -> None:
    yes = env.market.yes
    maker = env.sell(1, yes, 100, 0.50)
    first = Match(env.buy(0, yes, 60, 0.50), (maker,), 30 * USDC, (60 * USDC,))
    second = Match(env.buy(2, yes, 40, 0.50), (maker,), 20 * USDC, (40 * USDC,))
    env.operator.transact(env.exchange.functions.matchOrdersBatch([first.as_args(), second.as_args()]))
    assert env.order_status(maker) == (True, 0)
    third = Match(env.buy(3, yes, 1, 0.50), (maker,), 500_000, (USDC,))
    assert env.revert_name(env.exchange.functions.matchOrdersBatch([third.as_args()])) == "OrderFilledOrCancelled"


def _data(m: Match) -> str:
    from chain.exchange import match_orders_calldata

    return "0x" + match_orders_calldata(m).hex()
