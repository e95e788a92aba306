"""``ViewHoldings``: cached chain-view values first; a pair that looks short is re-read before it counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconcile.snapshot import ViewHoldings


@dataclass(frozen=True)
class Held:
    spendable: int


@dataclass
class FakeView:
    cached: dict[tuple[str, int], int]
    fresh: dict[tuple[str, int], int]
    refreshed: list[tuple[str, int]] = field(default_factory=list)

    def holding(self, address: str, asset_id: int, refresh: bool = False) -> Held:
        if refresh:
            self.refreshed.append((address, asset_id))
            return Held(self.fresh[(address, asset_id)])
        return Held(self.cached[(address, asset_id)])


def test_only_pairs_that_look_short_are_reread() -> None:
    a, b = "0x" + "01" * 20, "0x" + "02" * 20
    view = FakeView(
        cached={(a, 0): 100, (a, 7): 3, (b, 0): 5},
        fresh={(a, 0): 0, (a, 7): 10, (b, 0): 4},  # the cache says a is fine on 0: trusted, not re-read
    )
    held = ViewHoldings(view).holdings({(a, 0): 50, (a, 7): 8, (b, 0): 6})
    assert held == {(a, 0): 100, (a, 7): 10, (b, 0): 4}
    assert view.refreshed == [(a, 7), (b, 0)]
