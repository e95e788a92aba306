"""Tick sizes, exact decimal parsing and the server-side amount rules of signed orders.

Amounts are integers in 6-decimal base units; prices are exact rationals (`fractions.Fraction`) or integer
ticks. Decimal strings exist only at the edge and are parsed exactly (no floats, no rounding surprises).

The rules mirror Polymarket's rounding table (price decimals pd, amount decimals ad = pd + 2):

| tick   | pd | shares | USDC (limit) |
|--------|----|--------|--------------|
| 0.1    | 1  | 2      | 3            |
| 0.01   | 2  | 2      | 4            |
| 0.001  | 3  | 2      | 5            |
| 0.0001 | 4  | 2      | 6            |

- Limit orders (GTC, GTD): shares have at most 2 decimals, USDC at most ad decimals, and the price
  (USDC / shares) is exactly a multiple of the tick with tick ≤ price ≤ 1 - tick.
- Market orders (FOK, FAK): Polymarket's flat rule, maker at most 2 decimals and taker at most 4; the
  implied price may be off-tick (a $100 buy at 0.55 is 100 / 181.8181) but must lie strictly in (0, 1).
  By default a FOK/FAK order that instead satisfies the *limit* rules is accepted too (the official
  clients build "limit" amounts and let the caller post them as FOK); `AmountPolicy` can turn that off.
- Every amount is positive and at most `MAX_AMOUNT` = 10^15 base units (one billion shares or USDC): far
  above any real order, it keeps amounts inside a signed 64-bit column and makes amount × 10^18 price
  arithmetic (the exchange's scaling) far from 2^256.

py-clob-client's market orders at ticks 0.001 / 0.0001 carry 5 / 6 taker decimals and are rejected by the
flat rule, as Polymarket itself rejects them (py-clob-client-v2#99); `AmountPolicy(market_taker_decimals=None)`
relaxes the taker limit to the tick's amount decimals, which accepts every order that client builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NewType

from orders.client_compat import polymarket_client_compat
from orders.errors import OrderAmountError, OrderErrorCode
from orders.model import Order, OrderType, Side

PriceTicks = NewType("PriceTicks", int)
"""A price as an integer number of ticks of the market's tick size (0.55 at tick 0.01 is 55)."""

UNIT = 10**6
"""Base units per share or per USDC."""
SIZE_DECIMALS = 2
MAX_AMOUNT = 10**15
_POW10: tuple[int, ...] = tuple(int(10**n) for n in range(80))
_DECIMAL_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


class TickSize(StrEnum):
    TICK_0_1 = "0.1"
    TICK_0_01 = "0.01"
    TICK_0_001 = "0.001"
    TICK_0_0001 = "0.0001"

    @property
    def decimals(self) -> int:
        """Price decimals (1..4); the tick is 10^-decimals."""
        return len(self.value) - 2

    @property
    def amount_decimals(self) -> int:
        """Max decimals of the USDC amount of a limit order."""
        return self.decimals + SIZE_DECIMALS

    @property
    def ticks_per_unit(self) -> int:
        """Ticks in a price of 1 (10, 100, 1000 or 10000)."""
        return _POW10[self.decimals]

    @classmethod
    def parse(cls, value: object) -> TickSize:
        """Accept "0.01", "0.010", Decimal("0.01"), or the number 0.01 as /tick-size returns it."""
        try:
            if isinstance(value, Decimal | str | int | float) and not isinstance(value, bool):
                text = str(Decimal(str(value)).normalize())
                return cls(text)
        except (ArithmeticError, ValueError):
            pass
        raise ValueError(f"tick size must be one of 0.1, 0.01, 0.001, 0.0001, got {value!r}")


def parse_units(text: str, decimals: int) -> int:
    """Exact decimal string → integer scaled by 10^decimals ("10.5", 6 → 10_500_000).

    Digits, an optional point and fraction; no sign, exponent or whitespace. Trailing zeros beyond
    `decimals` are fine ("0.550" at 2); any other excess precision raises ValueError (no rounding).
    """
    match = _DECIMAL_RE.fullmatch(text) if len(text) <= 100 else None
    if match is None:
        raise ValueError(f"not a plain decimal number: {text!r}")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > decimals:
        if fraction[decimals:].strip("0"):
            raise ValueError(f"{text} has more than {decimals} decimals")
        fraction = fraction[:decimals]
    return int(whole) * _POW10[decimals] + int(fraction.ljust(decimals, "0") or "0")


def parse_price(text: str, tick: TickSize) -> PriceTicks:
    """Exact price string → ticks; must be on tick and within [tick, 1 - tick]."""
    ticks = parse_units(text, tick.decimals)
    if not 1 <= ticks < tick.ticks_per_unit:
        raise ValueError(f"price {text} must be between {tick.value} and {1 - Decimal(tick.value)}")
    return PriceTicks(ticks)


def price_of(order: Order) -> Fraction:
    """The order's limit price in USDC per share: maker/taker for BUY, taker/maker for SELL. Exact.

    Amounts must be positive (run `validate_amounts` first); a zero amount raises ZeroDivisionError.
    """
    if order.side == Side.BUY:
        return Fraction(order.maker_amount, order.taker_amount)
    return Fraction(order.taker_amount, order.maker_amount)


def price_ticks(order: Order, tick: TickSize) -> PriceTicks | None:
    """The price in whole ticks, or None when it is not exactly on the tick (market orders may not be).

    Amounts must be positive (run `validate_amounts` first).
    """
    usdc, shares = _usdc_and_shares(order.side, order.maker_amount, order.taker_amount)
    ticks, remainder = divmod(usdc * tick.ticks_per_unit, shares)
    return PriceTicks(ticks) if remainder == 0 else None


@dataclass(frozen=True, slots=True)
class AmountPolicy:
    """Knobs of `validate_amounts`; the defaults are Polymarket's rules."""

    market_maker_decimals: int = 2
    market_taker_decimals: int | None = 4
    """None: the tick's amount decimals (3..6), i.e. whatever py-clob-client builds."""
    accept_limit_shape_for_market: bool = True
    max_amount: int = MAX_AMOUNT


DEFAULT_POLICY = AmountPolicy()
_MARKET_TAKER_DECIMALS = 4


def _usdc_and_shares(side: Side, maker_amount: int, taker_amount: int) -> tuple[int, int]:
    return (maker_amount, taker_amount) if side == Side.BUY else (taker_amount, maker_amount)


def _has_at_most(amount: int, decimals: int) -> bool:
    return amount % _POW10[6 - decimals] == 0


def _fmt_price(usdc: int, shares: int) -> str:
    text = format(Decimal(usdc) / Decimal(shares), ".8f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def _limit_shape_ok(usdc: int, shares: int, tick: TickSize) -> bool:
    return _has_at_most(shares, SIZE_DECIMALS) and _has_at_most(usdc, tick.amount_decimals)


def validate_amounts(
    side: Side,
    maker_amount: int,
    taker_amount: int,
    order_type: OrderType,
    tick: TickSize,
    policy: AmountPolicy = DEFAULT_POLICY,
) -> None:
    """Raise `OrderAmountError` unless the signed amounts obey the rules in the module docstring."""
    if maker_amount <= 0 or taker_amount <= 0:
        raise OrderAmountError(
            OrderErrorCode.ZERO_AMOUNT, "invalid order: makerAmount and takerAmount must be positive"
        )
    if maker_amount > policy.max_amount or taker_amount > policy.max_amount:
        raise OrderAmountError(
            OrderErrorCode.AMOUNT_TOO_LARGE,
            f"invalid order: makerAmount and takerAmount must be at most {policy.max_amount} base units",
        )
    usdc, shares = _usdc_and_shares(side, maker_amount, taker_amount)
    side_name = "buy" if side == Side.BUY else "sell"
    if order_type.is_market:
        taker_dp = policy.market_taker_decimals
        if taker_dp is None:
            taker_dp = tick.amount_decimals
        market_ok = _has_at_most(maker_amount, policy.market_maker_decimals) and _has_at_most(taker_amount, taker_dp)
        if not market_ok and not (
            policy.accept_limit_shape_for_market
            and _limit_shape_ok(usdc, shares, tick)
            and (usdc * tick.ticks_per_unit) % shares == 0
        ):
            raise OrderAmountError(
                OrderErrorCode.INVALID_PRECISION,
                f"invalid amounts, the market {side_name} orders maker amount supports a max accuracy of "
                f"{policy.market_maker_decimals} decimals, taker amount a max of {taker_dp} decimals",
            )
        if usdc >= shares:
            raise OrderAmountError(
                OrderErrorCode.INVALID_PRICE,
                f"invalid order: price {_fmt_price(usdc, shares)} must be strictly between 0 and 1",
            )
        return
    if not _limit_shape_ok(usdc, shares, tick):
        maker_dp, taker_dp = (
            (tick.amount_decimals, SIZE_DECIMALS) if side == Side.BUY else (SIZE_DECIMALS, tick.amount_decimals)
        )
        raise OrderAmountError(
            OrderErrorCode.INVALID_PRECISION,
            f"invalid amounts, the {side_name} orders maker amount supports a max accuracy of {maker_dp} "
            f"decimals, taker amount a max of {taker_dp} decimals",
        )
    ticks, remainder = divmod(usdc * tick.ticks_per_unit, shares)
    if remainder:
        raise OrderAmountError(
            OrderErrorCode.INVALID_TICK,
            f"invalid order: price {_fmt_price(usdc, shares)} breaks the minimum tick size rule ({tick.value})",
        )
    if not 1 <= ticks < tick.ticks_per_unit:
        raise OrderAmountError(
            OrderErrorCode.INVALID_PRICE,
            f"invalid order: price {_fmt_price(usdc, shares)} must be between {tick.value} and "
            f"{1 - Decimal(tick.value)}",
        )


def validate_order_amounts(
    order: Order, order_type: OrderType, tick: TickSize, policy: AmountPolicy = DEFAULT_POLICY
) -> None:
    """`validate_amounts` on a signed order."""
    validate_amounts(order.side, order.maker_amount, order.taker_amount, order_type, tick, policy)


# --- builders (tests, demo, load generator) -----------------------------------------------------------


def _scaled(x: Fraction, decimals: int, *, up: bool) -> int:
    """x · 10^decimals rounded up or down to an integer."""
    n, d = x.numerator * _POW10[decimals], x.denominator
    return -(-n // d) if up else n // d


def _clip_exact(x: Fraction, amount_decimals: int) -> int:
    """The client's step 5 in exact arithmetic: round up at ad + 4 decimals, then down at ad; base units."""
    if (x * _POW10[amount_decimals]).denominator != 1:
        x = Fraction(_scaled(x, amount_decimals + 4, up=True), _POW10[amount_decimals + 4])
        x = Fraction(_scaled(x, amount_decimals, up=False), _POW10[amount_decimals])
    return int(x * UNIT)


def _exact_price(price: str, tick: TickSize) -> Fraction:
    rounded = Decimal(price).quantize(Decimal(tick.value), rounding=ROUND_HALF_EVEN)
    return Fraction(parse_price(str(rounded), tick), tick.ticks_per_unit)


def build_limit_amounts(side: Side, price: str, size: str, tick: TickSize, *, exact: bool = False) -> tuple[int, int]:
    """(makerAmount, takerAmount) of a limit order of `size` shares at `price`.

    Default: byte-identical to py-clob-client (float artefacts included, see `client_compat`).
    `exact=True`: the same steps in exact arithmetic (size floored to 2 decimals, price rounded half-even
    to the tick), which never produces an artefact.
    """
    if not exact:
        return polymarket_client_compat("limit", side, float(price), float(size), tick.value)
    p = _exact_price(price, tick)
    shares = Fraction(_scaled(Fraction(Decimal(size)), SIZE_DECIMALS, up=False), _POW10[SIZE_DECIMALS])
    usdc = _clip_exact(shares * p, tick.amount_decimals)
    if side == Side.BUY:
        return usdc, int(shares * UNIT)
    return int(shares * UNIT), usdc


def build_market_amounts(
    side: Side, price: str, amount: str, tick: TickSize, *, exact: bool = False
) -> tuple[int, int]:
    """(makerAmount, takerAmount) of a market order: `amount` is USDC to spend (BUY) or shares (SELL).

    Default: byte-identical to py-clob-client. `exact=True`: exact arithmetic with the taker amount limited
    to Polymarket's 4 market decimals (the client uses the tick's amount decimals, which the server then
    rejects at ticks 0.001 and 0.0001), so the result always passes `validate_amounts`.
    """
    if not exact:
        return polymarket_client_compat("market", side, float(price), float(amount), tick.value)
    p = _exact_price(price, tick)
    maker = Fraction(_scaled(Fraction(Decimal(amount)), SIZE_DECIMALS, up=False), _POW10[SIZE_DECIMALS])
    taker = maker / p if side == Side.BUY else maker * p
    return int(maker * UNIT), _clip_exact(taker, min(tick.amount_decimals, _MARKET_TAKER_DECIMALS))
