"""Pure helpers of the flush: the gas model, grouping trades into transactions under a gas cap, and finding the
first failing match of a batch with few simulations.

The gas model only decides how many matches go into one transaction; the transaction's gas limit is the node's
``eth_estimateGas`` of the exact calldata times a margin. Its defaults are upper bounds measured on our Exchange
(anvil, Prague schedule; see docs/settlement.md): a maker costs more when its tokens or collateral land on a zero
balance, so the model leans high and a batch rarely needs splitting after estimation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


def _default_per_maker() -> dict[str, int]:
    return {"COMPLEMENTARY": 62_000, "MINT": 66_000, "MERGE": 66_000}


def _default_per_set_op() -> dict[str, int]:
    return {"MINT": 110_000, "MERGE": 100_000}


@dataclass(frozen=True, slots=True)
class GasModel:
    """Gas of a match inside a transaction: a fixed part, a part per maker by match type, and one
    ``splitPosition`` (MINT) or ``mergePositions`` (MERGE) per match that has such makers."""

    tx_base: int = 40_000
    """21k intrinsic plus the batch entry point's own work"""
    per_match: int = 60_000
    """the taker's checks, transfers and events, and one order's calldata"""
    per_maker: Mapping[str, int] = field(default_factory=_default_per_maker)
    per_set_op: Mapping[str, int] = field(default_factory=_default_per_set_op)
    fees: int = 30_000
    """fee arithmetic and the fee transfers, when the match charges any fee"""

    def match_gas(self, match_types: Sequence[str], fees: bool = False) -> int:
        fallback = max(self.per_maker.values())
        makers = sum(self.per_maker.get(t, fallback) for t in match_types)
        sets = sum(self.per_set_op.get(t, 0) for t in set(match_types))
        return self.per_match + makers + sets + (self.fees if fees else 0)


def group_by_gas(items: Sequence[T], gas_of: Callable[[T], int], cap: int, max_items: int, base: int) -> list[list[T]]:
    """Split ``items`` (kept in order) into consecutive groups whose ``base + sum(gas)`` stays within ``cap`` and
    which hold at most ``max_items`` each. An item too big for any group on its own gets a group of its own."""
    groups: list[list[T]] = []
    current: list[T] = []
    used = base
    for item in items:
        gas = gas_of(item)
        if current and (used + gas > cap or len(current) >= max_items):
            groups.append(current)
            current, used = [], base
        current.append(item)
        used += gas
    if current:
        groups.append(current)
    return groups


def first_failure(n: int, prefix_fails: Callable[[int], bool]) -> int:
    """The index of the first failing element of an all-or-nothing batch of ``n`` elements that fails as a whole.

    ``prefix_fails(k)`` simulates the first ``k`` elements. A prefix fails iff it contains the first failing
    element (later elements see the state the earlier ones leave, which is why it is a prefix search and not a
    per-element one), so a binary search needs ``ceil(log2 n)`` simulations.
    """
    if n <= 1:
        return 0
    lo, hi = 1, n  # the smallest failing prefix length is in [lo, hi]; prefix n fails
    while lo < hi:
        mid = (lo + hi) // 2
        if prefix_fails(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo - 1
