"""Adaptive ``eth_getLogs`` block ranges: grow while ranges succeed with few logs, halve when the node refuses.

Nodes cap ``eth_getLogs`` by block span, result count or response time, with different limits and messages per
provider. Rather than guess a limit, the follower asks for ``size`` blocks, doubles ``size`` (up to ``maximum``)
after a range that returned fewer than ``target_logs`` logs, and halves it (down to ``minimum``) when the node
answers "too many results" or times out. A refusal at the minimum size is a real error and propagates.

Everything here is pure: ``fetch_adaptive`` takes the fetch function, so the range plan is testable on fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from typing import TypeVar

from indexer.errors import RangeTooLargeError

T = TypeVar("T", bound=Sized)


@dataclass
class RangeSizer:
    """The current range size and its adaptation rule."""

    initial: int = 2_000
    minimum: int = 1
    maximum: int = 50_000
    target_logs: int = 20_000
    size: int = field(init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError("need 1 <= minimum <= maximum")
        self.size = min(max(self.initial, self.minimum), self.maximum)

    def plan(self, start: int, end: int) -> tuple[int, int]:
        """The next range ``[start, b]`` with ``b <= end`` (requires ``start <= end``)."""
        if start > end:
            raise ValueError(f"empty range {start}..{end}")
        return start, min(end, start + self.size - 1)

    def succeeded(self, span: int, logs: int) -> None:
        """A range of ``span`` blocks returned ``logs`` logs: grow if it was full-sized and light."""
        if span >= self.size and logs < self.target_logs:
            self.size = min(self.maximum, self.size * 2)
        elif logs > 2 * self.target_logs:
            self.size = max(self.minimum, self.size // 2)

    def failed(self) -> bool:
        """The node refused the range: halve. False when already at the minimum (nothing left to try)."""
        if self.size <= self.minimum:
            return False
        self.size = max(self.minimum, self.size // 2)
        return True


def fetch_adaptive(start: int, end: int, sizer: RangeSizer, fetch: Callable[[int, int], T]) -> tuple[int, T]:
    """Fetch the first range ``[start, b]`` the node accepts, shrinking on ``RangeTooLargeError``.

    Returns ``(b, result)``; the caller continues from ``b + 1``. Re-raises the error at the minimum size.
    """
    while True:
        a, b = sizer.plan(start, end)
        try:
            result = fetch(a, b)
        except RangeTooLargeError:
            if not sizer.failed():
                raise
            continue
        sizer.succeeded(b - a + 1, len(result))
        return b, result
