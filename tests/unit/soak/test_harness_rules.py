"""The soak harness's own rules: the fault schedule, what counts as an inconsistent order status, balance deltas."""

from __future__ import annotations

from decimal import Decimal

from bench.system.faults import KINDS, schedule
from bench.system.invariants import _inconsistent, expected_deltas
from bench.system.traders import Acked


def _acked(order_type: str = "GTC", on_arrival: str = "0", canceled: bool = False) -> Acked:
    return Acked("0xab", order_type, 1, "BUY", Decimal(10), "0.5", 0, "live", Decimal(on_arrival), 0.0, canceled)


def test_schedule_has_every_kind_in_order_and_inside_the_load() -> None:
    for seed in range(20):
        plan = schedule(seed, 75)
        assert {f.kind for f in plan} == set(KINDS)
        assert [f.at_s for f in plan] == sorted(f.at_s for f in plan)
        assert all(0 < f.at_s < 75 for f in plan)
        assert all(1 <= f.depth <= 5 for f in plan if f.kind == "reorg")
    assert len(schedule(1, 600)) > len(KINDS)  # a long run repeats the kinds
    assert [f.kind for f in schedule(7, 90)] == [f.kind for f in schedule(7, 90)]  # seeded


def test_status_rules() -> None:
    assert _inconsistent(_acked(), "LIVE", Decimal(0), Decimal(10)) == ""
    assert _inconsistent(_acked(), "CANCELED", Decimal(3), Decimal(10)) == ""
    assert "cancel acknowledged" in _inconsistent(_acked(canceled=True), "LIVE", Decimal(0), Decimal(10))
    assert "FOK" in _inconsistent(_acked("FOK", "10"), "CANCELED", Decimal(10), Decimal(10))
    assert "FAK" in _inconsistent(_acked("FAK", "5"), "LIVE", Decimal(5), Decimal(10))
    assert "whole on arrival" in _inconsistent(_acked(on_arrival="10"), "LIVE", Decimal(10), Decimal(10))
    assert "< 4" in _inconsistent(_acked(on_arrival="4"), "LIVE", Decimal(2), Decimal(10))
    assert "MATCHED with" in _inconsistent(_acked(), "MATCHED", Decimal(9), Decimal(10))


def test_expected_deltas_complementary_with_fees() -> None:
    # taker BUYs 10 YES (token 7) from one maker at 0.40; the maker pays a 2-unit fee, the taker a 1-unit fee
    payload = {
        "token_id": "7",
        "taker": "0xT",
        "side": "BUY",
        "taker_fill": 4_000_000,
        "taker_taking": 10_000_000,
        "taker_fee": 1,
        "makers": [
            {"maker": "0xM", "token_id": "7", "side": "SELL", "match_type": "COMPLEMENTARY",
             "making": 10_000_000, "taking": 4_000_000, "fee": 2},
        ],
    }  # fmt: skip
    d = expected_deltas([payload])
    assert d[("0xt", 0)] == -4_000_000
    assert d[("0xt", 7)] == 10_000_000 - 1
    assert d[("0xm", 7)] == -10_000_000
    assert d[("0xm", 0)] == 4_000_000 - 2
