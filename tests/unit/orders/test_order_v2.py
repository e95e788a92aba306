"""V2 orders: the digest covers every signed field and not the unsigned expiration, signatures recover to the
signer, and the protocol fee never exceeds what the order receives."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from orders.eip712 import domain_separator, recover_signer
from orders.signing import address_of
from orders.v2 import OrderV2, domain_separator_v2, hash_order_v2, protocol_fee, sign_order_v2

KEY = "0x" + "11" * 32
EXCHANGE = "0xE111180000d2663C0091e4f400237545B87B996B"


def _order() -> OrderV2:
    maker = address_of(KEY)
    return OrderV2(
        salt=7,
        maker=maker,
        signer=maker,
        token_id=123,
        maker_amount=40_000_000,
        taker_amount=100_000_000,
        side=0,
        timestamp=1_765_000_000_000,
        metadata=b"\x02" * 32,
        builder=b"\x03" * 32,
    )


def test_domain_differs_from_v1() -> None:
    assert domain_separator_v2(137, EXCHANGE) != domain_separator(137, EXCHANGE)


def test_every_signed_field_changes_the_digest_and_expiration_does_not() -> None:
    base = _order()
    digest = hash_order_v2(base, 137, EXCHANGE)
    changes = {
        "salt": 8,
        "maker": "0x" + "22" * 20,
        "signer": "0x" + "33" * 20,
        "token_id": 124,
        "maker_amount": 40_000_001,
        "taker_amount": 100_000_001,
        "side": 1,
        "signature_type": 3,
        "timestamp": 1_765_000_000_001,
        "metadata": b"\x04" * 32,
        "builder": b"\x05" * 32,
    }
    for name, value in changes.items():
        assert hash_order_v2(replace(base, **{name: value}), 137, EXCHANGE) != digest, name
    assert hash_order_v2(replace(base, expiration=1_900_000_000), 137, EXCHANGE) == digest
    assert hash_order_v2(base, 80002, EXCHANGE) != digest


def test_signature_recovers_to_the_signer() -> None:
    signed = sign_order_v2(_order(), KEY, 137, EXCHANGE)
    assert recover_signer(hash_order_v2(signed, 137, EXCHANGE), signed.signature) == address_of(KEY)


def test_fee_examples() -> None:
    # 100 shares bought at 0.55, 25 % with exponent 2: 100 * 0.25 * (0.2475)^2 = 1.53140625 collateral value,
    # paid in tokens at 0.55: 2.784375 tokens
    assert protocol_fee(2_500, 2, 0, 55_000_000, 100_000_000) == 2_784_375
    # the same fill as a SELL pays the collateral value
    assert protocol_fee(2_500, 2, 1, 100_000_000, 55_000_000) == 1_531_406
    assert protocol_fee(0, 2, 1, 100_000_000, 55_000_000) == 0
    assert protocol_fee(2_500, 2, 1, 100_000_000, 100_000_000) == 0  # p = 1


@given(
    rate=st.integers(0, 10_000),
    exponent=st.integers(1, 4),
    side=st.sampled_from([0, 1]),
    making=st.integers(0, 10**15),
    taking=st.integers(0, 10**15),
)
def test_fee_never_exceeds_what_the_order_receives(
    rate: int, exponent: int, side: int, making: int, taking: int
) -> None:
    assert 0 <= protocol_fee(rate, exponent, side, making, taking) <= taking
