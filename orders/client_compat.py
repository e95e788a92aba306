"""Emulation of py-clob-client 0.34.6's float arithmetic for order amounts. THE ONLY FLOATS IN orders.

The official client computes makerAmount / takerAmount with binary floats, so its results carry float
artefacts: size 4446.9 is floored to 4446.89 shares because ``4446.9 * 100 == 444689.99999999994``. A server
never needs this (it validates the signed integers exactly, see `orders.amounts`), but tests, the demo and
the load generator must produce byte-identical orders to the client, so this module reproduces its steps:

1. price = round(price · 10^pd) / 10^pd  (Python's round: half-to-even on the float)
2. shares (limit) or USDC (market BUY) or shares (market SELL) = floor(x · 10^2) / 10^2
3. the other amount = product (or quotient for market BUY); if it has more than `ad` decimals (counted on
   ``Decimal(str(x))``), round it up at ad + 4 decimals, then, if still too long, down at ad decimals
4. base units = x · 10^6, rounded half-to-even if it is not integral

(pd, ad) are the tick's price and amount decimals: (1, 3), (2, 4), (3, 5), (4, 6).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

from orders.model import Side

_PRICE_DECIMALS = {"0.1": 1, "0.01": 2, "0.001": 3, "0.0001": 4}
_SIZE_DECIMALS = 2


# float(10**n) is exact for these n, and float * int converts the int exactly as float() does, so the
# results are bit-identical to the client's `x * (10**n)`.
_SCALE: tuple[float, ...] = tuple(float(10**n) for n in range(12))


def _floor_at(x: float, digits: int) -> float:
    return math.floor(x * _SCALE[digits]) / _SCALE[digits]


def _ceil_at(x: float, digits: int) -> float:
    return math.ceil(x * _SCALE[digits]) / _SCALE[digits]


def _round_at(x: float, digits: int) -> float:
    return round(x * _SCALE[digits]) / _SCALE[digits]


def _decimal_places(x: float) -> int:
    exponent = Decimal(str(x)).as_tuple().exponent
    assert isinstance(exponent, int)  # finite floats only
    return abs(exponent)


def _clip_decimals(x: float, amount_decimals: int) -> float:
    if _decimal_places(x) > amount_decimals:
        x = _ceil_at(x, amount_decimals + 4)
        if _decimal_places(x) > amount_decimals:
            x = _floor_at(x, amount_decimals)
    return x


def _base_units(x: float) -> int:
    scaled = _SCALE[6] * x
    if _decimal_places(scaled) > 0:
        scaled = _round_at(scaled, 0)
    return int(scaled)


def polymarket_client_compat(
    kind: Literal["limit", "market"], side: Side, price: float, size: float, tick_size: str
) -> tuple[int, int]:
    """(makerAmount, takerAmount) exactly as py-clob-client 0.34.6 computes them.

    `kind` "limit" is `OrderBuilder.get_order_amounts` (size = shares); "market" is
    `get_market_order_amounts` (size = USDC to spend for BUY, shares to sell for SELL).
    `tick_size` is one of "0.1", "0.01", "0.001", "0.0001". Floats in, as the client takes them.
    """
    price_decimals = _PRICE_DECIMALS[tick_size]
    amount_decimals = price_decimals + 2
    rounded_price = _round_at(price, price_decimals)
    first = _floor_at(size, _SIZE_DECIMALS)
    second = first / rounded_price if kind == "market" and side == Side.BUY else first * rounded_price
    second = _clip_decimals(second, amount_decimals)
    if kind == "limit" and side == Side.BUY:
        # limit BUY: `first` is the shares received (taker), `second` the USDC paid (maker)
        return _base_units(second), _base_units(first)
    return _base_units(first), _base_units(second)
