"""Amount builders (against py-clob-client's golden vectors and the client itself) and the exact validator."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_clob_client.order_builder.builder import ROUNDING_CONFIG
from py_clob_client.order_builder.builder import OrderBuilder as ClientOrderBuilder

from orders import (
    MAX_AMOUNT,
    ZERO_ADDRESS,
    AmountPolicy,
    Order,
    OrderAmountError,
    OrderErrorCode,
    OrderType,
    Side,
    SignatureType,
    TickSize,
    build_limit_amounts,
    build_market_amounts,
    parse_price,
    parse_units,
    price_of,
    price_ticks,
    validate_amounts,
    validate_order_amounts,
)
from orders.client_compat import polymarket_client_compat
from tests.unit.orders.vectors import vectors

LIMIT_VECTORS: list[dict[str, Any]] = vectors()["limit_order_amounts"]
MARKET_VECTORS: list[dict[str, Any]] = vectors()["market_order_amounts"]
TICKS = list(TickSize)
C = OrderType.GTC
F = OrderType.FOK


def _expected(v: dict[str, Any]) -> tuple[int, int]:
    return int(v["makerAmount"]), int(v["takerAmount"])


def _reject_code(side: Side, maker: int, taker: int, order_type: OrderType, tick: TickSize) -> OrderErrorCode | None:
    try:
        validate_amounts(side, maker, taker, order_type, tick)
    except OrderAmountError as exc:
        return exc.code
    return None


# --- golden vectors: all 960 ---------------------------------------------------------------------------


def test_vector_tables_cover_every_tick_and_side() -> None:
    assert len(LIMIT_VECTORS) == len(MARKET_VECTORS) == 480
    for table in (LIMIT_VECTORS, MARKET_VECTORS):
        assert {(v["tick_size"], v["side"]) for v in table} == {(t.value, s) for t in TICKS for s in ("BUY", "SELL")}


def test_build_limit_amounts_reproduces_all_480_limit_vectors() -> None:
    wrong = [
        (v, got)
        for v in LIMIT_VECTORS
        if (got := build_limit_amounts(Side[v["side"]], v["price"], v["size"], TickSize(v["tick_size"])))
        != _expected(v)
    ]
    assert wrong == []


def test_build_market_amounts_reproduces_all_480_market_vectors() -> None:
    wrong = [
        (v, got)
        for v in MARKET_VECTORS
        if (got := build_market_amounts(Side[v["side"]], v["price"], v["amount"], TickSize(v["tick_size"])))
        != _expected(v)
    ]
    assert wrong == []


def test_float_artefact_is_reproduced_in_compat_mode_and_absent_in_exact_mode() -> None:
    # 4446.9 * 100 == 444689.99999999994 in binary floating point: the client floors it to 4446.89 shares
    artefact = next(v for v in LIMIT_VECTORS if v["size"] == "4446.9" and v["side"] == "BUY")
    assert _expected(artefact) == (3_557_512_000, 4_446_890_000)
    assert build_limit_amounts(Side.BUY, "0.8", "4446.9", TickSize.TICK_0_1) == (3_557_512_000, 4_446_890_000)
    assert build_limit_amounts(Side.BUY, "0.8", "4446.9", TickSize.TICK_0_1, exact=True) == (
        3_557_520_000,
        4_446_900_000,
    )


def test_every_limit_vector_passes_the_exact_validator_as_gtc_and_as_fok() -> None:
    for v in LIMIT_VECTORS:
        maker, taker = _expected(v)
        tick = TickSize(v["tick_size"])
        validate_amounts(Side[v["side"]], maker, taker, OrderType.GTC, tick)
        validate_amounts(Side[v["side"]], maker, taker, OrderType.GTD, tick)
        validate_amounts(Side[v["side"]], maker, taker, OrderType.FOK, tick)  # limit shape, posted as FOK
        assert price_ticks(_order_of(Side[v["side"]], maker, taker), tick) == parse_price(v["price"], tick)


def test_market_vectors_follow_polymarkets_flat_rule_unless_relaxed() -> None:
    rejected = []
    relaxed = AmountPolicy(market_taker_decimals=None)
    for v in MARKET_VECTORS:
        maker, taker = _expected(v)
        tick = TickSize(v["tick_size"])
        code = _reject_code(Side[v["side"]], maker, taker, OrderType.FOK, tick)
        if code is not None:
            assert code == OrderErrorCode.INVALID_PRECISION
            rejected.append(v)
        validate_amounts(Side[v["side"]], maker, taker, OrderType.FAK, tick, relaxed)
    # only the fine ticks, where the client emits 5-6 taker decimals (py-clob-client-v2#99)
    assert rejected
    assert {v["tick_size"] for v in rejected} <= {"0.001", "0.0001"}


@pytest.mark.parametrize("kind", ["limit", "market"])
def test_exact_builders_always_pass_the_validator(kind: str) -> None:
    table = LIMIT_VECTORS if kind == "limit" else MARKET_VECTORS
    for v in table:
        tick, side = TickSize(v["tick_size"]), Side[v["side"]]
        if kind == "limit":
            maker, taker = build_limit_amounts(side, v["price"], v["size"], tick, exact=True)
            validate_amounts(side, maker, taker, OrderType.GTC, tick)
        else:
            maker, taker = build_market_amounts(side, v["price"], v["amount"], tick, exact=True)
            validate_amounts(side, maker, taker, OrderType.FOK, tick)


# --- the compat emulation against the real client ---------------------------------------------------------


@st.composite
def client_inputs(draw: st.DrawFn) -> tuple[TickSize, Side, float, float]:
    tick = draw(st.sampled_from(TICKS))
    ticks = draw(st.integers(1, tick.ticks_per_unit - 1))
    price = float(Decimal(ticks) / tick.ticks_per_unit)
    size = draw(st.one_of(st.integers(1, 10**6).map(lambda n: n / 1000), st.floats(0.01, 1e6, allow_nan=False)))
    return tick, draw(st.sampled_from(Side)), price, size


@settings(max_examples=500, deadline=None, derandomize=True)
@given(inputs=client_inputs())
def test_compat_matches_py_clob_client_on_random_inputs(inputs: tuple[TickSize, Side, float, float]) -> None:
    tick, side, price, size = inputs
    config = ROUNDING_CONFIG[tick.value]
    _, maker, taker = ClientOrderBuilder.get_order_amounts(None, side.name, size, price, config)  # type: ignore[arg-type]
    assert polymarket_client_compat("limit", side, price, size, tick.value) == (maker, taker)
    _, maker, taker = ClientOrderBuilder.get_market_order_amounts(None, side.name, size, price, config)  # type: ignore[arg-type]
    assert polymarket_client_compat("market", side, price, size, tick.value) == (maker, taker)


# --- the exact validator -----------------------------------------------------------------------------------

T01 = TickSize.TICK_0_01
BUY, SELL = Side.BUY, Side.SELL


def _order_of(side: Side, maker: int, taker: int) -> Order:
    return Order(1, ZERO_ADDRESS, ZERO_ADDRESS, ZERO_ADDRESS, 1, maker, taker, 0, 0, 0, side, SignatureType.EOA)


ACCEPTED = [
    # (side, maker, taker, order type, tick)
    (BUY, 5_500_000, 10_000_000, C, T01),  # BUY 10 @ 0.55
    (SELL, 10_000_000, 5_500_000, C, T01),  # SELL 10 @ 0.55
    (BUY, 10_000, 1_000_000, C, T01),  # 1 share @ 0.01: the lowest price
    (BUY, 990_000, 1_000_000, C, T01),  # 0.99: the highest
    (BUY, 5_555, 10_000, C, TickSize.TICK_0_0001),  # 0.01 share @ 0.5555: 6 USDC decimals at tick 0.0001
    (BUY, 100_000_000, 181_818_100, F, T01),  # $100 market buy @ 0.55: off-tick ratio is fine for FOK
    (SELL, 10_000_000, 5_555_500, OrderType.FAK, T01),  # market sell, taker with 4 decimals
    (BUY, MAX_AMOUNT // 2, MAX_AMOUNT, C, T01),
]


@pytest.mark.parametrize(("side", "maker", "taker", "order_type", "tick"), ACCEPTED)
def test_accepted_amounts(side: Side, maker: int, taker: int, order_type: OrderType, tick: TickSize) -> None:
    validate_amounts(side, maker, taker, order_type, tick)


REJECTED = [
    # (side, maker, taker, order type, tick, code, message fragment)
    (BUY, 0, 10_000_000, C, T01, OrderErrorCode.ZERO_AMOUNT, "must be positive"),
    (SELL, 10_000_000, 0, F, T01, OrderErrorCode.ZERO_AMOUNT, "must be positive"),
    (BUY, MAX_AMOUNT + 1, MAX_AMOUNT * 2, C, T01, OrderErrorCode.AMOUNT_TOO_LARGE, "at most"),
    (BUY, 2**256, 2**257, F, T01, OrderErrorCode.AMOUNT_TOO_LARGE, "at most"),
    (BUY, 5_555_000, 10_000_000, C, T01, OrderErrorCode.INVALID_TICK, "price 0.5555 breaks the minimum tick"),
    (SELL, 10_000_000, 5_550_000, C, TickSize.TICK_0_1, OrderErrorCode.INVALID_TICK, "(0.1)"),
    (
        BUY,
        5_500_000,
        10_001_000,
        C,
        T01,
        OrderErrorCode.INVALID_PRECISION,
        "buy orders maker amount supports a max accuracy of 4 decimals, taker amount a max of 2 decimals",
    ),
    (
        SELL,
        10_000_000,
        5_500_010,
        C,
        T01,
        OrderErrorCode.INVALID_PRECISION,
        "sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals",
    ),
    (BUY, 10_000_000, 10_000_000, C, T01, OrderErrorCode.INVALID_PRICE, "price 1.0 must be between 0.01 and 0.99"),
    (SELL, 10_000_000, 12_000_000, C, T01, OrderErrorCode.INVALID_PRICE, "price 1.2 must be between"),
    (BUY, 100_000_000, 100_000_000, F, T01, OrderErrorCode.INVALID_PRICE, "strictly between 0 and 1"),
    (BUY, 100_001_000, 181_818_100, F, T01, OrderErrorCode.INVALID_PRECISION, "market buy orders maker amount"),
    (SELL, 10_000_000, 5_555_550, F, T01, OrderErrorCode.INVALID_PRECISION, "taker amount a max of 4 decimals"),
]


@pytest.mark.parametrize(("side", "maker", "taker", "order_type", "tick", "code", "fragment"), REJECTED)
def test_rejected_amounts(
    side: Side, maker: int, taker: int, order_type: OrderType, tick: TickSize, code: OrderErrorCode, fragment: str
) -> None:
    with pytest.raises(OrderAmountError) as info:
        validate_order_amounts(_order_of(side, maker, taker), order_type, tick)
    assert info.value.code == code
    assert fragment in info.value.message


def test_strict_policy_refuses_limit_shaped_fok() -> None:
    strict = AmountPolicy(accept_limit_shape_for_market=False)
    validate_amounts(BUY, 5_500_000, 10_000_000, F, T01, strict)  # 2 and 2 decimals: fine either way
    with pytest.raises(OrderAmountError):
        validate_amounts(BUY, 5_555_000, 10_000_000, F, TickSize.TICK_0_0001, strict)  # 0.5555: 4 maker decimals
    validate_amounts(BUY, 5_555_000, 10_000_000, F, TickSize.TICK_0_0001)


@settings(max_examples=400, derandomize=True)
@given(
    side=st.sampled_from(Side),
    maker=st.integers(-(2**300), 2**300),
    taker=st.integers(-(2**300), 2**300),
    order_type=st.sampled_from(OrderType),
    tick=st.sampled_from(TICKS),
)
def test_validator_raises_only_its_own_error(
    side: Side, maker: int, taker: int, order_type: OrderType, tick: TickSize
) -> None:
    if _reject_code(side, maker, taker, order_type, tick) is not None:
        return
    assert 0 < maker <= MAX_AMOUNT
    assert 0 < taker <= MAX_AMOUNT
    assert 0 < price_of(_order_of(side, maker, taker)) < 1


@settings(max_examples=300, derandomize=True)
@given(tick=st.sampled_from(TICKS), side=st.sampled_from(Side), ticks=st.integers(1, 9999), cents=st.integers(1, 10**9))
def test_on_tick_limit_orders_with_two_decimal_shares_are_always_accepted(
    tick: TickSize, side: Side, ticks: int, cents: int
) -> None:
    ticks = 1 + ticks % (tick.ticks_per_unit - 1)
    shares = cents * 10_000
    usdc = shares * ticks // tick.ticks_per_unit
    maker, taker = (usdc, shares) if side == BUY else (shares, usdc)
    validate_amounts(side, maker, taker, C, tick)
    order = _order_of(side, maker, taker)
    assert price_of(order) == Fraction(ticks, tick.ticks_per_unit)
    assert price_ticks(order, tick) == ticks


# --- parsing helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("10.5", 6, 10_500_000),
        ("0", 6, 0),
        ("007", 2, 700),
        ("0.550", 2, 55),
        ("1.", 2, None),
        (".5", 2, None),
        ("1e3", 2, None),
        ("-1", 2, None),
        (" 1", 2, None),
        ("1.234", 2, None),
        ("١", 2, None),
        ("9" * 101, 2, None),
    ],
)
def test_parse_units(text: str, decimals: int, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match=r"not a plain decimal|more than \d+ decimals"):
            parse_units(text, decimals)
    else:
        assert parse_units(text, decimals) == expected


def test_parse_price_requires_on_tick_inside_the_open_interval() -> None:
    assert parse_price("0.55", T01) == 55
    assert parse_price("0.0001", TickSize.TICK_0_0001) == 1
    for bad in ("0", "1", "0.555", "1.5", "0.00"):
        with pytest.raises(ValueError, match=r"decimals|must be between"):
            parse_price(bad, T01)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.01", T01), ("0.010", T01), (0.01, T01), (Decimal("0.1"), TickSize.TICK_0_1), ("0.0001", TickSize.TICK_0_0001)],
)
def test_tick_size_parse(value: object, expected: TickSize) -> None:
    assert TickSize.parse(value) is expected
    assert expected.amount_decimals == expected.decimals + 2


@pytest.mark.parametrize("value", ["0.05", "1", 0.02, None, True, "abc", "nan", float("inf")])
def test_tick_size_parse_rejects_other_values(value: object) -> None:
    with pytest.raises(ValueError, match="tick size must be one of"):
        TickSize.parse(value)
