"""Every revert path of the settlement functions, with the exact custom error (decoded from the revert data)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from chain.anvil import dev_key
from chain.exchange import (
    MAX_FEE_RATE_BPS,
    ZERO_ADDRESS,
    Match,
    Order,
    Side,
    SignatureType,
    hash_order,
    order_tuple,
    sign_digest,
)
from tests.integration.exchange.exchange_support import USDC, ExchangeEnv

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def fill(env: ExchangeEnv, order: Order, amount: int | None = None) -> Any:
    return env.exchange.functions.fillOrder(order_tuple(order), order.maker_amount if amount is None else amount)


def match(taker: Order, makers: list[Order], taker_fill: int, maker_fills: list[int]) -> Match:
    return Match(taker, tuple(makers), taker_fill, tuple(maker_fills))


def match_fn(env: ExchangeEnv, m: Match) -> Any:
    return env.exchange.functions.matchOrders(*m.as_args())


def simple_match(env: ExchangeEnv, taker: Order | None = None, maker: Order | None = None) -> Match:
    yes = env.market.yes
    taker = taker or env.buy(0, yes, 100, 0.60)
    maker = maker or env.sell(1, yes, 100, 0.60)
    return match(taker, [maker], 60 * USDC, [100 * USDC])


def resign(env: ExchangeEnv, order: Order, key: str) -> Order:
    return replace(order, signature=sign_digest(hash_order(order, env.chain_id, env.exchange.address), key))


# -- signatures ----------------------------------------------------------------------------------------------


def test_signature_by_another_key_is_invalid(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5, sign_with=dev_key(7))
    assert env.revert_name(fill(env, order)) == "InvalidSignature"


def test_tampered_order_is_invalid(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    assert env.revert_name(fill(env, replace(order, taker_amount=order.taker_amount + 1))) == "InvalidSignature"


def test_signer_not_maker_is_invalid(env: ExchangeEnv) -> None:
    # A valid signature by `signer`, but EOA orders need signer == maker.
    other = env.traders[2]
    order = env.sell(1, env.market.yes, 10, 0.5, signer=other.address, sign_with=env.keys[2])
    assert env.revert_name(fill(env, order)) == "InvalidSignature"


@pytest.mark.parametrize("length", [0, 64, 66])
def test_wrong_signature_length_is_invalid(env: ExchangeEnv, length: int) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    sig = (order.signature * 2)[:length]
    assert env.revert_name(fill(env, replace(order, signature=sig))) == "InvalidSignature"


@pytest.mark.parametrize("v", [0, 1, 26, 29])
def test_bad_v_is_invalid(env: ExchangeEnv, v: int) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    assert env.revert_name(fill(env, replace(order, signature=order.signature[:64] + bytes([v])))) == "InvalidSignature"


def test_high_s_twin_is_invalid(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    sig = order.signature
    s = int.from_bytes(sig[32:64], "big")
    twin = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])  # 27 <-> 28
    assert env.revert_name(fill(env, replace(order, signature=twin))) == "InvalidSignature"


@pytest.mark.parametrize(
    "sig_type", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE, SignatureType.POLY_1271]
)
def test_wallet_signature_types_with_an_eoa_maker_are_invalid(env: ExchangeEnv, sig_type: int) -> None:
    # A validly signed order of an EOA maker under a wallet type: the EOA is no wallet of its signer (nor a
    # contract answering EIP-1271).
    order = env.sell(1, env.market.yes, 10, 0.5, signature_type=sig_type)
    assert env.revert_name(fill(env, order)) == "InvalidSignature"
    maker = env.sell(1, env.market.yes, 100, 0.6, signature_type=sig_type)
    assert env.revert_name(match_fn(env, simple_match(env, maker=maker))) == "InvalidSignature"


@pytest.mark.parametrize("sig_type", [4, 7, 255])
def test_unsupported_signature_types(env: ExchangeEnv, sig_type: int) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5, signature_type=sig_type)
    assert env.revert_name(fill(env, order)) == "UnsupportedSignatureType"
    assert (
        env.revert_name(
            match_fn(env, simple_match(env, maker=env.sell(1, env.market.yes, 100, 0.6, signature_type=sig_type)))
        )
        == "UnsupportedSignatureType"
    )


# -- order checks ----------------------------------------------------------------------------------------------


def test_expired_order(env: ExchangeEnv) -> None:
    now = int(env.w3.eth.get_block("latest")["timestamp"])
    order = env.sell(1, env.market.yes, 10, 0.5, expiration=now - 1)
    assert env.revert_name(fill(env, order)) == "OrderExpired"
    live = env.sell(1, env.market.yes, 10, 0.5, expiration=now + 3600)
    env.operator.transact(fill(env, live))


def test_wrong_nonce(env: ExchangeEnv) -> None:
    assert env.revert_name(fill(env, env.sell(1, env.market.yes, 10, 0.5, nonce=1))) == "InvalidNonce"
    old = env.sell(1, env.market.yes, 10, 0.5)
    env.traders[1].transact(env.exchange.functions.incrementNonce())
    assert env.revert_name(fill(env, old)) == "InvalidNonce"
    env.operator.transact(fill(env, env.sell(1, env.market.yes, 10, 0.5, nonce=1)))


def test_cancelled_order(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    env.traders[1].transact(env.exchange.functions.cancelOrder(order_tuple(order)))
    assert env.revert_name(fill(env, order)) == "OrderFilledOrCancelled"
    m = match(env.buy(0, env.market.yes, 10, 0.5), [order], 5 * USDC, [10 * USDC])
    assert env.revert_name(match_fn(env, m)) == "OrderFilledOrCancelled"


def test_filled_order_cannot_fill_again(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    env.operator.transact(fill(env, order))
    assert env.revert_name(fill(env, order)) == "OrderFilledOrCancelled"


def test_overfill(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    assert env.revert_name(fill(env, order, order.maker_amount + 1)) == "MakingGtRemaining"
    env.operator.transact(fill(env, order, 4 * USDC))
    assert env.revert_name(fill(env, order, 6 * USDC + 1)) == "MakingGtRemaining"
    m = simple_match(env)
    assert env.revert_name(match_fn(env, replace(m, maker_fill_amounts=(100 * USDC + 1,)))) == "MakingGtRemaining"
    assert env.revert_name(match_fn(env, replace(m, taker_fill_amount=60 * USDC + 1))) == "MakingGtRemaining"


def test_remaining_too_large_to_store(env: ExchangeEnv) -> None:
    # A partial fill whose remainder does not fit the packed status word (248 bits) is refused, never truncated.
    huge = env.order(1, env.market.yes, Side.SELL, 2**250, 1)
    name = env.revert_name(fill(env, huge, 1))
    assert name == "SafeCastOverflowedUintDowncast"


def test_fee_above_cap(env: ExchangeEnv) -> None:
    too_high = env.sell(1, env.market.yes, 10, 0.5, fee=MAX_FEE_RATE_BPS + 1)
    assert env.revert_name(fill(env, too_high)) == "FeeTooHigh"
    m = simple_match(env, taker=env.buy(0, env.market.yes, 100, 0.60, fee=MAX_FEE_RATE_BPS + 1))
    assert env.revert_name(match_fn(env, m)) == "FeeTooHigh"
    at_cap = env.sell(1, env.market.yes, 10, 0.5, fee=MAX_FEE_RATE_BPS)
    env.operator.transact(fill(env, at_cap))


def test_fee_never_exceeds_what_the_order_signed(env: ExchangeEnv) -> None:
    # Fees come from each order's own signed rate: the same match at 0 bps charges nothing, at 100 bps exactly
    # the formula's amount; the operator has no way to pass a fee in.
    yes = env.market.yes
    receipt = env.match(simple_match(env))
    assert not env.exchange.events.FeeCharged().process_receipt(receipt, errors=DISCARD)
    taker = env.buy(0, yes, 100, 0.60, fee=100)
    maker = env.sell(1, yes, 100, 0.60, fee=100)
    receipt = env.match(simple_match(env, taker, maker))
    fees = [e["args"]["amount"] for e in env.exchange.events.FeeCharged().process_receipt(receipt, errors=DISCARD)]
    # SELL maker: 100 bps * min(0.6, 0.4) * 100 shares = 0.4 USDC; BUY taker: 0.4/0.6 * 1% * 100 = 0.6666 shares.
    assert fees == [400_000, 666_666]


def test_unregistered_token(env: ExchangeEnv) -> None:
    unregistered = 12345
    assert env.revert_name(fill(env, env.sell(1, unregistered, 10, 0.5))) == "InvalidTokenId"
    taker = env.buy(0, unregistered, 100, 0.60)
    assert env.revert_name(match_fn(env, simple_match(env, taker=taker))) == "InvalidTokenId"


def test_mismatched_token_in_complementary_match(env: ExchangeEnv) -> None:
    maker = env.sell(1, env.other.yes, 100, 0.60)  # registered, but another market's token
    assert env.revert_name(match_fn(env, simple_match(env, maker=maker))) == "MismatchedTokenIds"


def test_mint_with_a_token_that_is_not_the_complement(env: ExchangeEnv) -> None:
    maker = env.buy(1, env.other.no, 100, 0.40)
    m = match(env.buy(0, env.market.yes, 100, 0.60), [maker], 60 * USDC, [40 * USDC])
    assert env.revert_name(match_fn(env, m)) == "InvalidComplement"
    same = env.buy(1, env.market.yes, 100, 0.40)  # BUY vs BUY of the same token is not a MINT
    m = match(env.buy(0, env.market.yes, 100, 0.60), [same], 60 * USDC, [40 * USDC])
    assert env.revert_name(match_fn(env, m)) == "InvalidComplement"


@pytest.mark.parametrize(
    ("taker_args", "maker_args", "fills"),
    [
        # COMPLEMENTARY: bid 0.50 < ask 0.55.
        (("buy", "yes", 100, 0.50), ("sell", "yes", 100, 0.55), (50, 100)),
        # COMPLEMENTARY, taker SELL: ask 0.60 > bid 0.59.
        (("sell", "yes", 100, 0.60), ("buy", "yes", 100, 0.59), (100, 59)),
        # MINT: 0.60 + 0.39 < 1.
        (("buy", "yes", 100, 0.60), ("buy", "no", 100, 0.39), (60, 39)),
        # MERGE: 0.60 + 0.41 > 1.
        (("sell", "yes", 100, 0.60), ("sell", "no", 100, 0.41), (100, 100)),
    ],
)
def test_prices_that_do_not_cross(
    env: ExchangeEnv, taker_args: tuple[Any, ...], maker_args: tuple[Any, ...], fills: tuple[int, int]
) -> None:
    def make(who: int, args: tuple[Any, ...]) -> Order:
        side, token, shares, price = args
        tok = env.market.yes if token == "yes" else env.market.no
        return (env.buy if side == "buy" else env.sell)(who, tok, shares, price)

    m = match(make(0, taker_args), [make(1, maker_args)], fills[0] * USDC, [fills[1] * USDC])
    assert env.revert_name(match_fn(env, m)) == "NotCrossing"


def test_taker_field_must_be_zero_or_the_operator(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5, taker=env.traders[3].address)
    assert env.revert_name(fill(env, order)) == "NotTaker"
    mine = env.sell(1, env.market.yes, 10, 0.5, taker=env.operator.address)
    env.operator.transact(fill(env, mine))


def test_validation_order(env: ExchangeEnv) -> None:
    now = int(env.w3.eth.get_block("latest")["timestamp"])
    # NotTaker before OrderExpired before InvalidSignature before FeeTooHigh before InvalidTokenId before nonce.
    base = env.sell(1, 999, 10, 0.5, fee=5000, nonce=7, expiration=now - 1, sign_with=dev_key(7))
    assert env.revert_name(fill(env, replace(base, taker=env.traders[3].address))) == "NotTaker"
    assert env.revert_name(fill(env, base)) == "OrderExpired"
    base = replace(base, expiration=0)
    assert env.revert_name(fill(env, base)) == "InvalidSignature"
    base = resign(env, base, env.keys[1])
    assert env.revert_name(fill(env, base)) == "FeeTooHigh"
    base = resign(env, replace(base, fee_rate_bps=0), env.keys[1])
    assert env.revert_name(fill(env, base)) == "InvalidTokenId"
    base = resign(env, replace(base, token_id=env.market.yes), env.keys[1])
    assert env.revert_name(fill(env, base)) == "InvalidNonce"


def test_makers_cannot_consume_more_than_the_taker_fill(env: ExchangeEnv) -> None:
    # The maker's 100 shares cost 60 USDC, but the taker only commits 50.
    yes = env.market.yes
    m = match(env.buy(0, yes, 100, 0.60), [env.sell(1, yes, 100, 0.60)], 50 * USDC, [100 * USDC])
    assert env.revert_name(match_fn(env, m)) == "TooLittleTokensReceived"


def test_taker_must_receive_its_limit(env: ExchangeEnv) -> None:
    # The taker commits 60 USDC at 0.60 (100 shares) but the maker fill delivers only 90 shares.
    yes = env.market.yes
    m = match(env.buy(0, yes, 100, 0.60), [env.sell(1, yes, 100, 0.60)], 60 * USDC, [90 * USDC])
    assert env.revert_name(match_fn(env, m)) == "TooLittleTokensReceived"
    no = env.market.no
    merge = match(env.sell(0, yes, 100, 0.60), [env.sell(1, no, 100, 0.40)], 100 * USDC, [90 * USDC])
    assert env.revert_name(match_fn(env, merge)) == "TooLittleTokensReceived"


def test_length_mismatch(env: ExchangeEnv) -> None:
    m = simple_match(env)
    args = list(m.as_args())
    args[3] = [100 * USDC, 1]
    assert env.revert_name(env.exchange.functions.matchOrders(*args)) == "LengthMismatch"
    o = env.sell(1, env.market.yes, 10, 0.5)
    assert env.revert_name(env.exchange.functions.fillOrders([order_tuple(o)], [])) == "LengthMismatch"


# -- roles and pause -------------------------------------------------------------------------------------------


def test_not_operator(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    m = simple_match(env)
    ex = env.exchange.functions
    for fn in (
        fill(env, order),
        ex.fillOrders([order_tuple(order)], [order.maker_amount]),
        match_fn(env, m),
        ex.matchOrdersBatch([m.as_args()]),
    ):
        assert env.revert_name(fn, env.outsider) == "NotOperator"


def test_paused(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    m = simple_match(env)
    ex = env.exchange.functions
    env.operator.transact(ex.pauseTrading())
    for fn in (
        fill(env, order),
        ex.fillOrders([order_tuple(order)], [order.maker_amount]),
        match_fn(env, m),
        ex.matchOrdersBatch([m.as_args()]),
    ):
        assert env.revert_name(fn) == "Paused"
    # Cancels and nonce increments still work while paused.
    env.traders[1].transact(ex.cancelOrder(order_tuple(order)))
    env.traders[1].transact(ex.incrementNonce())
    env.operator.transact(ex.unpauseTrading())
    env.operator.transact(fill(env, env.sell(1, env.market.yes, 10, 0.5, nonce=1)))


def test_only_the_maker_cancels(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5)
    ex = env.exchange.functions
    assert env.revert_name(ex.cancelOrder(order_tuple(order)), env.traders[2]) == "NotOwner"
    assert env.revert_name(ex.cancelOrders([order_tuple(order)]), env.operator) == "NotOwner"
    env.traders[1].transact(ex.cancelOrder(order_tuple(order)))
    assert env.revert_name(ex.cancelOrder(order_tuple(order)), env.traders[1]) == "OrderFilledOrCancelled"


def test_zero_address_taker_field_is_open(env: ExchangeEnv) -> None:
    order = env.sell(1, env.market.yes, 10, 0.5, taker=ZERO_ADDRESS)
    env.operator.transact(fill(env, order))


@pytest.mark.parametrize(("word", "byte"), [(2, 0), (3, 11), (4, 5), (11, 30), (12, 0)])
def test_dirty_calldata_is_rejected(env: ExchangeEnv, word: int, byte: int) -> None:
    """An address or uint8 field with high bits set never settles (Solidity's calldata validation reverts)."""
    from chain.exchange import fill_order_calldata

    order = env.sell(1, env.market.yes, 10, 0.5)
    data = bytearray(fill_order_calldata(order, order.maker_amount))
    # Layout: selector, the order's offset, the fill amount, then the order's words (word k is 1-based).
    data[4 + 64 + 32 * (word - 1) + byte] ^= 0x01
    tx = {"from": env.operator.address, "to": env.exchange.address, "data": "0x" + data.hex()}
    with pytest.raises(ContractLogicError) as info:
        env.w3.eth.call(tx)  # type: ignore[arg-type]
    from chain.exchange import decode_revert, revert_data

    assert decode_revert(revert_data(info.value)).name == "unknown"  # ABI validation: empty revert data
