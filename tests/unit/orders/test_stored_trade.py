"""`orders.StoredTrade`: a stored trade payload parsed strictly, with the parties and order ids settlement uses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orders import MakerFill, MatchType, Side, StoredTrade

TAKER = "0x" + "aa" * 20
MAKER = "0x" + "Bb" * 20


def payload() -> dict[str, Any]:
    return {
        "trade_id": "t1",
        "seq": 4,
        "market": "0x" + "ab" * 32,
        "taker_order_id": "0x" + "01" * 32,
        "taker": TAKER,
        "token_id": "7",
        "side": "BUY",
        "taker_fill": 5_000_000,
        "taker_taking": 10_000_000,
        "taker_fee": 0,
        "makers": [
            {
                "order_id": "0x" + "02" * 32,
                "maker": MAKER,
                "token_id": "7",
                "side": "SELL",
                "match_type": "COMPLEMENTARY",
                "price": "0.5",
                "making": 10_000_000,
                "taking": 5_000_000,
                "fee": 0,
                "matched_amount": 10_000_000,
            },
            {
                "order_id": "0x" + "03" * 32,
                "maker": TAKER,
                "token_id": "8",
                "side": "BUY",
                "match_type": "MINT",
                "price": "0.4",
                "making": 4_000_000,
                "taking": 10_000_000,
                "fee": 12,
                "matched_amount": 10_000_000,
            },
        ],
    }


def test_parse_and_back() -> None:
    stored = StoredTrade.from_payload(payload())
    assert stored.to_payload() == payload()
    assert stored.side is Side.BUY
    assert stored.token_id == 7
    assert stored.makers[0] == MakerFill(
        "0x" + "02" * 32, MAKER, 7, Side.SELL, MatchType.COMPLEMENTARY, "0.5", 10_000_000, 5_000_000, 0, 10_000_000
    )
    assert stored.makers[1].match_type is MatchType.MINT


def test_order_ids_parties_and_fees() -> None:
    stored = StoredTrade.from_payload(payload())
    assert stored.order_ids == ("0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32)
    assert stored.parties == frozenset({TAKER, MAKER.lower()})
    assert stored.has_fees
    no_fee = payload()
    no_fee["makers"][1]["fee"] = 0
    assert not StoredTrade.from_payload(no_fee).has_fees


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("side",), "buy"),
        (("side",), 0),
        (("makers", 0, "side"), None),
        (("makers", 1, "match_type"), "SPLIT"),
        (("taker_fill",), True),
        (("taker_fill",), 1.5),
        (("makers", 0, "making"), "ten"),
    ],
)
def test_a_malformed_payload_is_refused(path: tuple[Any, ...], value: Any) -> None:
    bad = copy.deepcopy(payload())
    target: Any = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field; any ValueError is the contract
        StoredTrade.from_payload(bad)


def test_a_missing_field_is_refused() -> None:
    bad = payload()
    del bad["makers"][0]["order_id"]
    with pytest.raises(KeyError):
        StoredTrade.from_payload(bad)
