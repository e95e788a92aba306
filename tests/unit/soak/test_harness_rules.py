"""The soak harness's own rules: the fault schedule, what counts as an inconsistent order status, balance deltas."""

from __future__ import annotations

import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from bench.system.faults import KINDS, schedule
from bench.system.invariants import _inconsistent, book_mismatches, expected_deltas, expired_in_outage, up_time
from bench.system.stack import Stack
from bench.system.traders import Acked
from chain.stack import StackInfo


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
        "trade_id": "t1", "seq": 5, "market": "0xc0", "taker_order_id": "0xo1",
        "token_id": "7",
        "taker": "0xT",
        "side": "BUY",
        "taker_fill": 4_000_000,
        "taker_taking": 10_000_000,
        "taker_fee": 1,
        "makers": [
            {"order_id": "0xo2", "maker": "0xM", "token_id": "7", "side": "SELL", "match_type": "COMPLEMENTARY",
             "price": "0.4", "making": 10_000_000, "taking": 4_000_000, "fee": 2, "matched_amount": 10_000_000},
        ],
    }  # fmt: skip
    d = expected_deltas([payload])
    assert d[("0xt", 0)] == -4_000_000
    assert d[("0xt", 7)] == 10_000_000 - 1
    assert d[("0xm", 7)] == -10_000_000
    assert d[("0xm", 0)] == 4_000_000 - 2


def test_up_time_outside_overlapping_outages() -> None:
    assert up_time(0, 100, []) == 100
    assert up_time(0, 100, [(10, 40), (30, 50), (90, 120)]) == 100 - 40 - 10
    assert up_time(0, 100, [(-10, 200)]) == 0
    assert up_time(50, 40, []) == 0


def test_an_expired_order_excuses_a_failure_only_if_the_outages_ate_the_settlement_window() -> None:
    # matched at 0, the GTD order expires at 65: faults kept the stack down from 2 to 60
    assert expired_in_outage("OrderExpired; 0xab: OrderExpired", 0, [0, 65], [(2, 30), (35, 60)])
    # only 30 s of outage: the pipeline had 35 s to settle it, the failure is ours
    assert not expired_in_outage("OrderExpired; 0xab: OrderExpired", 0, [0, 65], [(2, 32)])
    # another error, or no GTD order: never excused by this rule
    assert not expired_in_outage("MakingGtRemaining", 0, [65], [(0, 65)])
    assert not expired_in_outage("OrderExpired", 0, [0, 0], [(0, 65)])


def test_the_stack_finds_and_kills_an_adopted_anvil_that_is_not_the_runners_child(tmp_path: Path) -> None:
    """After a restart that adopted the chain, anvil is no child of the runner: the harness must still know it (to
    tell whether it survived a kill of the API, to pause it, to kill it with the whole stack)."""
    anvil = subprocess.Popen(["bash", "-c", "exec -a anvil sleep 60"])  # in our group, as an adopted anvil is
    runner = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        StackInfo(str(tmp_path), runner.pid, "http://127.0.0.1:1", 1, anvil_pid=anvil.pid).save(tmp_path)
        stack = Stack(tmp_path, 1, 1, proc=runner)  # type: ignore[arg-type]
        deadline = time.monotonic() + 5
        while "anvil" not in Path(f"/proc/{anvil.pid}/cmdline").read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stack._find_anvil() == anvil.pid
        stack.anvil_pid = anvil.pid
        stack.kill_all()
        assert anvil.wait(5) == -signal.SIGKILL
    finally:
        for p in (anvil, runner):
            if p.poll() is None:
                p.kill()
                p.wait()


def _live(price: str, size: str, expiration: int) -> dict[str, object]:
    return {"asset_id": "1", "price": price, "side": "SELL", "original_size": size, "size_matched": "0",
            "expiration": str(expiration)}  # fmt: skip


def test_an_order_expiring_while_the_book_is_read_may_be_on_it_or_not() -> None:
    # the check started at 100 and read the book at 103: the GTD order expiring at 102 may be swept or not yet
    live = [_live("0.33", "5", 0), _live("0.33", "14", 102)]
    without = {"bids": [], "asks": [{"price": "0.33", "size": "5"}]}
    with_it = {"bids": [], "asks": [{"price": "0.33", "size": "19"}]}
    assert book_mismatches(without, 1, 2, live, now=100, read_at=103) == []
    assert book_mismatches(with_it, 1, 2, live, now=100, read_at=103) == []
    # an order still live well after the read must be on the book, and an expired one must not
    assert book_mismatches(without, 1, 2, [_live("0.33", "5", 0), _live("0.33", "14", 200)], 100, 103)
    assert book_mismatches(with_it, 1, 2, [_live("0.33", "5", 0), _live("0.33", "14", 90)], 100, 103)
