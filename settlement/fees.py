"""EIP-1559 pricing of operator transactions and of their replacements (pure functions).

A first attempt bids ``maxFeePerGas = 2 x baseFee + tip``: it stays includable through six consecutive full
blocks (+12.5 % base fee each). A replacement (same nonce, same calldata) must outbid the attempt it replaces on
both fields — geth and bor require +10 %, we bump by ``fee_bump`` (12.5 %) and never less than one wei — and
follows the market if it has moved further: ``max(old x (1 + bump), 2 x current base fee + current tip)``.
Nothing is ever bid above ``max_fee_cap``; a replacement that cannot outbid its predecessor under the cap is not
made (the attempt in flight stays valid).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def initial_fees(base_fee: int, tip: int, cap: int) -> Fees:
    """The fees of a first attempt."""
    tip = min(tip, cap)
    return Fees(min(2 * base_fee + tip, cap), tip)


def _bumped(value: int, bump: float) -> int:
    """``ceil(value x (1 + bump))`` in integers (bump to 0.01 %), and at least ``value + 1``."""
    bps = 10_000 + round(bump * 10_000)
    return max(value + 1, -(-value * bps // 10_000))


def replacement_fees(previous: Fees, base_fee: int, tip: int, bump: float, cap: int) -> Fees | None:
    """The fees of a replacement for an attempt priced ``previous``, or None if the cap forbids outbidding it."""
    new_tip = max(_bumped(previous.max_priority_fee_per_gas, bump), tip)
    new_max = max(_bumped(previous.max_fee_per_gas, bump), 2 * base_fee + new_tip)
    new_max = min(new_max, cap)
    new_tip = min(new_tip, new_max)
    if new_max <= previous.max_fee_per_gas or new_tip <= previous.max_priority_fee_per_gas:
        return None
    return Fees(new_max, new_tip)
