"""Pure parts: adaptive ranges cover a span exactly whatever the node refuses; the common-ancestor walk finds the
fork point of two chains of block hashes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from indexer.errors import RangeTooLargeError
from indexer.ranges import RangeSizer, fetch_adaptive
from indexer.reorg import find_common_ancestor, is_linked, known_hashes
from indexer.source import BlockHeader


@seed(1)
@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, 1000),
    length=st.integers(1, 3000),
    limit=st.integers(1, 500),
    initial=st.integers(1, 4000),
    maximum=st.integers(1, 5000),
    logs_per_block=st.integers(0, 50),
)
def test_adaptive_ranges_cover_the_span_exactly(
    start: int, length: int, limit: int, initial: int, maximum: int, logs_per_block: int
) -> None:
    """Whatever the node's span limit, consecutive ranges tile [start, end] with no gap or overlap, each accepted
    range is within the limit, and the size stays within [minimum, maximum]."""
    end = start + length - 1
    sizer = RangeSizer(initial=initial, minimum=1, maximum=maximum, target_logs=1000)
    covered: list[tuple[int, int]] = []

    def fetch(a: int, b: int) -> list[int]:
        if b - a + 1 > limit:
            raise RangeTooLargeError("eth_getLogs", "query returned more than 10000 results")
        return [0] * ((b - a + 1) * logs_per_block)

    nxt = start
    while nxt <= end:
        b, _ = fetch_adaptive(nxt, end, sizer, fetch)
        covered.append((nxt, b))
        assert 1 <= sizer.size <= maximum
        nxt = b + 1
    assert covered[0][0] == start
    assert covered[-1][1] == end
    assert all(b2[0] == b1[1] + 1 for b1, b2 in itertools.pairwise(covered))
    assert all(b - a + 1 <= limit for a, b in covered)


def test_sizer_grows_on_light_ranges_and_halves_on_refusal() -> None:
    sizer = RangeSizer(initial=100, minimum=10, maximum=1000, target_logs=500)
    sizer.succeeded(100, 10)
    assert sizer.size == 200
    sizer.succeeded(50, 10)  # a short (tail) range says nothing about the limit
    assert sizer.size == 200
    sizer.succeeded(200, 5000)  # far too many logs: shrink
    assert sizer.size == 100
    assert sizer.failed()
    assert sizer.size == 50
    for _ in range(5):
        sizer.failed()
    assert sizer.size == 10
    assert not sizer.failed()


def test_refusal_at_minimum_size_propagates() -> None:
    def always_refuse(a: int, b: int) -> list[int]:
        raise RangeTooLargeError("eth_getLogs", "timed out")

    with pytest.raises(RangeTooLargeError):
        fetch_adaptive(0, 100, RangeSizer(initial=8), always_refuse)


def _chain(prefix: str, start: int, n: int, parent: str) -> list[BlockHeader]:
    out = []
    for i in range(n):
        h = BlockHeader(start + i, f"0x{prefix}{start + i}", parent, 0)
        out.append(h)
        parent = h.hash
    return out


@seed(2)
@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(2, 60),
    window=st.integers(1, 60),
    fork=st.integers(0, 59),
    new_len=st.integers(0, 40),
)
def test_common_ancestor_is_the_fork_point(length: int, window: int, fork: int, new_len: int) -> None:
    """Old chain 0..length-1; the new chain shares blocks 0..fork and continues with new_len other blocks. The
    stored window is the last ``window`` blocks of the old chain. The walk finds ``fork`` when the window (or the
    parent of its lowest block) reaches it, else reports None; with no reorg it finds the stored tip."""
    fork = min(fork, length - 1)
    old = _chain("a", 0, length, "0xgenesis-parent")
    new = old[: fork + 1] + _chain("b", fork + 1, new_len, old[fork].hash)
    stored = {h.number: h for h in old[max(0, length - window) :]}
    canonical = {h.number: h.hash for h in new}
    got = find_common_ancestor(known_hashes(stored), canonical.get)
    lowest_known = min(stored) - 1
    if fork == length - 1:
        assert got == length - 1  # nothing orphaned
    elif fork >= lowest_known:
        assert got == fork
    else:
        assert got is None


def test_is_linked() -> None:
    hs = _chain("a", 5, 4, "0xp")
    assert is_linked(hs, "0xp")
    assert is_linked(hs)
    assert not is_linked(hs, "0xother")
    assert not is_linked([hs[0], hs[2]])
    assert is_linked([])
