"""chain.exchange helpers: calldata builders agree with web3's encoder; revert data decodes to error names."""

from __future__ import annotations

from eth_abi.abi import encode
from web3 import Web3

from chain.exchange import (
    Match,
    MatchType,
    RevertReason,
    Side,
    decode_revert,
    fill_order_calldata,
    fill_orders_calldata,
    match_orders_calldata,
    match_type,
    order_tuple,
    revert_data,
)
from tests.integration.exchange.exchange_support import USDC, ExchangeEnv


def test_calldata_builders_match_web3(env: ExchangeEnv) -> None:
    yes = env.market.yes
    taker = env.buy(0, yes, 100, 0.60)
    makers = (env.sell(1, yes, 60, 0.55), env.sell(2, yes, 40, 0.60))
    m = Match(taker, makers, 57 * USDC, (60 * USDC, 40 * USDC))
    ex = env.exchange.functions
    assert "0x" + match_orders_calldata(m).hex() == ex.matchOrders(*m.as_args())._encode_transaction_data()
    assert "0x" + fill_order_calldata(taker, 5).hex() == ex.fillOrder(order_tuple(taker), 5)._encode_transaction_data()
    assert (
        "0x" + fill_orders_calldata(makers, [1, 2]).hex()
        == ex.fillOrders([order_tuple(o) for o in makers], [1, 2])._encode_transaction_data()
    )
    # The builder's calldata settles when sent raw.
    tx = {"to": env.exchange.address, "data": "0x" + match_orders_calldata(m).hex()}
    env.operator.wait(env.operator.send(tx))  # type: ignore[arg-type]
    assert env.order_status(makers[0]) == (True, 0)


def test_decode_revert_from_a_real_simulation(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5, nonce=3)
    try:
        env.exchange.functions.fillOrder(order_tuple(order), 1).call({"from": env.operator.address})
    except Exception as exc:  # web3's ContractCustomError
        reason = decode_revert(revert_data(exc))
    else:
        raise AssertionError("expected a revert")
    assert reason == RevertReason("InvalidNonce", (), Web3.keccak(text="InvalidNonce()")[:4])


def test_decode_revert_shapes() -> None:
    error_string = Web3.keccak(text="Error(string)")[:4] + encode(["string"], ["SafeMath: subtraction overflow"])
    assert decode_revert(error_string).name == "Error"
    assert decode_revert(error_string).args == ("SafeMath: subtraction overflow",)
    panic = Web3.keccak(text="Panic(uint256)")[:4] + encode(["uint256"], [0x11])
    assert decode_revert("0x" + panic.hex()) == RevertReason("Panic", (0x11,), panic)
    cast = Web3.keccak(text="SafeCastOverflowedUintDowncast(uint8,uint256)")[:4] + encode(
        ["uint8", "uint256"], [248, 5]
    )
    assert decode_revert(cast).args == (248, 5)
    assert decode_revert(b"").name == "unknown"
    assert decode_revert(None).name == "unknown"
    assert decode_revert("0xdeadbeef").name == "unknown"
    assert decode_revert("not hex").name == "unknown"


def test_match_type() -> None:
    assert match_type(Side.BUY, Side.SELL) == MatchType.COMPLEMENTARY
    assert match_type(Side.SELL, Side.BUY) == MatchType.COMPLEMENTARY
    assert match_type(Side.BUY, Side.BUY) == MatchType.MINT
    assert match_type(Side.SELL, Side.SELL) == MatchType.MERGE
