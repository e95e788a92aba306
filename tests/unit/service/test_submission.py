"""`Submission` as data: sequencing a template, and the bytes a gateway publishes read back by a shard."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clob.engine import (
    BaseUnits,
    CancelAll,
    ExpireOrders,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address
from clob.service.codec import CodecError, kind_of
from clob.service.obligations import Reservation
from clob.service.submission import UNSEQUENCED, Submission, decode_submission, encode_submission, sequenced

MAKER = Address("0x" + "ab" * 20)
OID = OrderId("0x" + "12" * 32)


def place(token: int = 2**255 + 7, maker_amount: int = 5_000_000) -> PlaceOrder:
    return PlaceOrder(
        UNSEQUENCED,
        UnixSeconds(1_700_000_000),
        OID,
        MAKER,
        TokenId(token),
        Side.BUY,
        BaseUnits(maker_amount),
        BaseUnits(10_000_000),
        0,
        UnixSeconds(0),
        OrderType.GTC,
        True,
    )


def test_sequenced_sets_the_seq_and_leaves_the_template() -> None:
    template = place()
    made = sequenced(template, Seq(42))
    assert made == dataclasses.replace(template, seq=Seq(42))
    assert template.seq == UNSEQUENCED
    sweep = sequenced(ExpireOrders(UNSEQUENCED, UnixSeconds(5)), Seq(3))  # a command of one field after seq
    assert sweep == ExpireOrders(Seq(3), UnixSeconds(5))


def test_sequenced_refuses_what_is_not_a_command() -> None:
    with pytest.raises(TypeError):
        sequenced(object(), Seq(1))  # type: ignore[type-var]


@given(
    token=st.integers(1, 2**256 - 1),
    amount=st.integers(1, 2**64),
    spendable=st.integers(0, 2**256 - 1),
    block=st.integers(0, 2**40),
    read_ms=st.integers(0, 2**45),
)
def test_a_published_placement_reads_back_whole(
    token: int, amount: int, spendable: int, block: int, read_ms: int
) -> None:
    reservation = Reservation(MAKER, token, amount, spendable, block, read_ms)
    sub = Submission(place(token, amount), {"owner": "key", "price": "0.5"}, None, OID, reservation)
    payload = encode_submission(sub, {**sub.meta, "cid": OID})
    back = decode_submission(kind_of(sub.command), payload)
    assert back == Submission(sub.command, {"owner": "key", "price": "0.5", "cid": OID}, None, OID, reservation)


def test_a_command_without_order_or_reservation_reads_back_without_them() -> None:
    sub = Submission(CancelAll(UNSEQUENCED, UnixSeconds(1), MAKER, MarketId("0x" + "cd" * 32)), {"owner": "k"})
    back = decode_submission("cancel_all", encode_submission(sub, sub.meta))
    assert back == sub


def test_a_submission_with_a_precheck_is_not_published() -> None:
    with pytest.raises(ValueError, match="precheck"):
        encode_submission(Submission(place(), precheck=lambda engine: None), {})


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"command": {}}', b'{"command": {"now": 1, "owner": "0x1"}, "reservation": {"owner": "0x1"}}'],
)
def test_malformed_bytes_are_a_codec_error(payload: bytes) -> None:
    with pytest.raises(CodecError):
        decode_submission("cancel_all", payload)
