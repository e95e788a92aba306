"""Exact price arithmetic: fill granules, the contract's fee formula, the YES-price view of an order.

**Granules.** A fill of `s` shares at `p` pips moves `s * p / 10_000` base units of USDC. That is an integer for
every `s` that is a multiple of `GRAIN[p] = 10_000 / gcd(p, 10_000)` shares (base units), and `UNIT[p]` is the
USDC of one granule (`GRAIN[p] * p / 10_000`). 0.55 has a granule of 20 base units of shares worth 11 of USDC;
0.5501 has 10_000 (0.01 share) worth 5_501. `GRAIN[p] == GRAIN[10_000 - p]`, so a YES price and its NO
complement share granules, and `UNIT[p] + UNIT[10_000 - p] == GRAIN[p]`: one granule of MINT or MERGE moves
exactly one granule of collateral. Limit sizes are multiples of 0.01 share (10_000 base units), hence whole
granules at any price.

**Kinds.** An order's kind is `2 * outcome_index + side`: 0 BUY YES, 1 SELL YES, 2 BUY NO, 3 SELL NO. The book
lives in YES-price space: kinds 0 and 3 are bids (a SELL NO at q acts as a YES bid at 1 - q), kinds 1 and 2 asks.
"""

from __future__ import annotations

from math import gcd
from typing import Final

from clob.engine.types import PRICE_SCALE

ONE: Final = 10**18
"""The contract's price scale."""
BPS: Final = 10_000

GRAIN: Final[tuple[int, ...]] = tuple(PRICE_SCALE // gcd(p, PRICE_SCALE) for p in range(PRICE_SCALE + 1))
UNIT: Final[tuple[int, ...]] = tuple(GRAIN[p] * p // PRICE_SCALE for p in range(PRICE_SCALE + 1))

BUY_YES: Final = 0
SELL_YES: Final = 1
BUY_NO: Final = 2
SELL_NO: Final = 3
IS_BID: Final = (True, False, False, True)
"""By kind: does the order sit on the bid side of the YES-price book?"""


def yes_bound(kind: int, maker_amount: int, taker_amount: int) -> int:
    """The worst YES-price level (pips) an order may trade with, from its signed amounts.

    A bid (kind 0 or 3) crosses every ask level at or below the bound, an ask (kind 1 or 2) every bid level at or
    above it. For an on-tick limit order this is its exact YES price; for an off-tick market order it is the
    integer rounding of its ratio towards its own limit, so that "level crosses bound" is exactly "the orders
    cross" in the contract's sense.
    """
    if kind == BUY_YES:  # USDC/shares, floor
        return maker_amount * PRICE_SCALE // taker_amount
    if kind == SELL_YES:  # USDC/shares, ceil
        return -(-taker_amount * PRICE_SCALE // maker_amount)
    if kind == BUY_NO:  # 1 - USDC/shares, ceil
        return PRICE_SCALE - maker_amount * PRICE_SCALE // taker_amount
    return PRICE_SCALE + (-taker_amount * PRICE_SCALE // maker_amount)  # SELL_NO: 1 - USDC/shares, floor


def own_price(kind: int, yes_price: int) -> int:
    """The price of an order in its own token, from the YES price of its level."""
    return yes_price if kind < BUY_NO else PRICE_SCALE - yes_price


def fee_at_price(fee_rate_bps: int, outcome_tokens: int, price_e18: int, is_buy: bool) -> int:
    """`CalculatorHelper.calculateFee` of the exchange, with the price already scaled by 1e18.

    BUY: charged in the outcome tokens received, ``rate * min(p, 1 - p) * tokens / (p * 10_000)``.
    SELL: charged in the collateral received, ``rate * min(p, 1 - p) * tokens / (10_000 * 1e18)``.
    """
    if fee_rate_bps <= 0 or price_e18 <= 0 or price_e18 > ONE:
        return 0
    low = min(price_e18, ONE - price_e18)
    if is_buy:
        return fee_rate_bps * low * outcome_tokens // (price_e18 * BPS)
    return fee_rate_bps * low * outcome_tokens // (BPS * ONE)


def maker_fee(fee_rate_bps: int, kind: int, price: int, making: int, taking: int) -> int:
    """The fee the exchange charges a resting order whose signed price is exactly `price` pips.

    Equal to `fee_at_price` with ``p = price * 1e14``: the common factor 1e14 cancels in the floor division.
    """
    if fee_rate_bps == 0:
        return 0
    low = min(price, PRICE_SCALE - price)
    if kind & 1:  # SELL: on the collateral received, outcome tokens = making
        return fee_rate_bps * low * making // (BPS * PRICE_SCALE)
    return fee_rate_bps * low * taking // (price * BPS)


def taker_fee(fee_rate_bps: int, is_buy: bool, making: int, taking: int) -> int:
    """The fee on the taker of `matchOrders`, priced from its actual making and taking (floored like the
    contract's `_calculatePrice`)."""
    if fee_rate_bps == 0 or making == 0 or taking == 0:
        return 0
    if is_buy:
        return fee_at_price(fee_rate_bps, taking, making * ONE // taking, True)
    return fee_at_price(fee_rate_bps, making, taking * ONE // making, False)
