"""``/prices-history`` (last trade price per fidelity bucket) and ``/live-activity/events/{condition_id}``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from clob.api import create_app
from clob.service.errors import ServiceError
from clob.service.price_history import MAX_POINTS, buckets, parse_query
from orders import Side, checksum_address
from tests.unit.api.conftest import KEYS, World, make_service
from tests.unit.api.support import CONDITION, NO, YES, FakeChain, Trader, create_market

T0 = 1_800_000_000 - 1_800_000_000 % 3600  # on the hour


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timed(db_url: str) -> Iterator[tuple[World, Clock]]:
    clock = Clock()
    chain = FakeChain()
    service = make_service(db_url, chain, clock=clock, auth_window_s=10**10)
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        create_market(client)
        traders = [Trader(client, key).login() for key in KEYS]
        yield World(client, service, chain, *traders), clock
    service.db.dispose()


def _place(trader: Trader, clock: Clock, token: int, side: Side, price: str, size: str) -> None:
    body = trader.body(trader.order(token, side, price, size))
    response = trader.request("POST", "/order", body, timestamp=int(clock()))
    assert response.status_code == 200, response.text
    assert response.json()["success"], response.text


def _trade(world: World, clock: Clock, at: int, price: str) -> None:
    """bob rests a YES ask of 5 at ``price``; alice lifts it at ``at`` seconds after T0."""
    clock.now = T0 + at
    _place(world.bob, clock, YES, Side.SELL, price, "5")
    _place(world.alice, clock, YES, Side.BUY, price, "5")


def _history(world: World, **params: Any) -> list[dict[str, Any]]:
    response = world.client.get("/prices-history", params={"market": str(YES), **params})
    assert response.status_code == 200, response.text
    history: list[dict[str, Any]] = response.json()["history"]
    return history


def test_prices_history_last_trade_per_bucket_carried_forward(timed: tuple[World, Clock]) -> None:
    world, clock = timed
    _trade(world, clock, 30, "0.5")
    _trade(world, clock, 50, "0.52")  # same minute: the bucket keeps the last
    _trade(world, clock, 190, "0.6")
    clock.now = T0 + 299
    assert _history(world, interval="1h", fidelity="1") == [
        {"t": T0, "p": 0.52},
        {"t": T0 + 60, "p": 0.52},
        {"t": T0 + 120, "p": 0.52},
        {"t": T0 + 180, "p": 0.6},
        {"t": T0 + 240, "p": 0.6},
    ]
    assert _history(world, interval="max", fidelity="5") == [{"t": T0, "p": 0.6}]
    # a window after the trades starts from the price carried in
    assert _history(world, startTs=str(T0 + 125), endTs=str(T0 + 200), fidelity="1") == [
        {"t": T0 + 120, "p": 0.52},
        {"t": T0 + 180, "p": 0.6},
    ]
    assert _history(world, startTs=str(T0), endTs=str(T0 + 40)) == [{"t": T0, "p": 0.5}]
    # the NO token is priced by the complementary book: its own trades only (none here)
    assert world.client.get("/prices-history", params={"market": str(NO)}).json() == {"history": []}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"market": "abc"}, 400),
        ({"market": str(YES), "interval": "2h"}, 400),
        ({"market": str(YES), "interval": "1d", "startTs": "1"}, 400),
        ({"market": str(YES), "startTs": "10", "endTs": "5"}, 400),
        ({"market": str(YES), "fidelity": "0"}, 400),
        ({"market": str(YES), "fidelity": "-5"}, 400),
        ({"market": str(YES), "startTs": "x"}, 400),
        ({"market": "12345"}, 404),
    ],
)
def test_prices_history_bad_params(world: World, params: dict[str, str], status: int) -> None:
    response = world.client.get("/prices-history", params=params)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_prices_history_refuses_too_many_points() -> None:
    with pytest.raises(ServiceError) as err:
        buckets([(0, 5000)], 0, MAX_POINTS * 60, 60)
    assert "'fidelity' must be at least 2" in err.value.message
    assert len(buckets([(0, 5000)], 0, MAX_POINTS * 60, 120)) == MAX_POINTS // 2 + 1


@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 9_999)), max_size=30),
    st.integers(1, 30).map(lambda m: m * 60),
    st.integers(0, 10_000),
)
def test_buckets_hold_the_last_price_at_or_before_each_bucket_end(
    trades: list[tuple[int, int]], step: int, end: int
) -> None:
    trades.sort(key=lambda tp: tp[0])
    points = buckets(trades, None, end, step)
    seen = [(t, p) for t, p in trades if t <= end]
    assert bool(points) == bool(seen)
    for bucket, price in points:
        assert bucket % step == 0
        before = [p for t, p in seen if t < bucket + step]
        assert before
        assert before[-1] == price
    if points:
        assert points[-1][0] == end - end % step
        assert [b for b, _ in points] == list(range(points[0][0], points[-1][0] + 1, step))


def test_parse_query_interval_and_defaults() -> None:
    q = parse_query({"market": "7", "interval": "1d"}, 100_000)
    assert (q.token_id, q.start, q.end, q.fidelity_s) == (7, 100_000 - 86_400, 100_000, 60)
    q = parse_query({"market": "7", "interval": "1m", "fidelity": "60"}, 10**7)
    assert (q.start, q.fidelity_s) == (10**7 - 30 * 86_400, 3600)
    q = parse_query({"market": "7"}, 500)
    assert (q.start, q.end) == (None, 500)


def test_live_activity_lists_recent_trades_newest_first(timed: tuple[World, Clock]) -> None:
    world, clock = timed
    _trade(world, clock, 10, "0.5")
    _trade(world, clock, 20, "0.55")
    response = world.client.get(f"/live-activity/events/{CONDITION}")
    assert response.status_code == 200, response.text
    events = response.json()
    assert [e["price"] for e in events] == ["0.55", "0.5"]
    first = events[0]
    assert set(first) == {
        "event_type",
        "market",
        "user",
        "side",
        "size",
        "fee_rate_bps",
        "price",
        "outcome",
        "outcome_index",
        "transaction_hash",
        "timestamp",
    }
    assert first["market"] == {
        "condition_id": CONDITION,
        "asset_id": str(YES),
        "question": "Will the tests pass?",
        "icon": "",
        "slug": "tests-pass",
    }
    assert first["user"]["address"] == checksum_address(world.alice.address)
    assert (first["event_type"], first["side"], first["size"], first["outcome"], first["outcome_index"]) == (
        "trade",
        "BUY",
        "5",
        "Yes",
        0,
    )
    assert first["timestamp"] == str(T0 + 20)
    missing = world.client.get("/live-activity/events/0x" + "ab" * 32)
    assert missing.status_code == 404
    assert set(missing.json()) == {"error"}
