"""Reorg detection, pure: compare the block hashes we stored with the canonical chain's and find where they part.

Block hashes chain through parent hashes, so if the highest stored block still has the chain's hash, everything
below it does too; otherwise walk down the stored window to the highest block that still matches (the common
ancestor) and roll back everything above it. The lowest stored block's parent hash counts as one more known
block, so a reorg that orphans every stored block but not its parent still finds its ancestor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from indexer.source import BlockHeader


def known_hashes(stored: Mapping[int, BlockHeader]) -> dict[int, str]:
    """number → hash of the stored blocks, plus the parent of the lowest one."""
    known = {n: h.hash for n, h in stored.items()}
    if stored:
        low = min(stored)
        known.setdefault(low - 1, stored[low].parent_hash)
    return known


def find_common_ancestor(known: Mapping[int, str], chain_hash: Callable[[int], str | None]) -> int | None:
    """The highest number in ``known`` whose hash the chain still has; ``None`` if no known block survives.

    ``chain_hash(n)`` is the canonical hash of block ``n`` or ``None`` if the chain is shorter than ``n``.
    """
    for n in sorted(known, reverse=True):
        if chain_hash(n) == known[n]:
            return n
    return None


def is_linked(headers: Sequence[BlockHeader], parent_hash: str | None = None) -> bool:
    """True if ``headers`` are consecutive, each the child of the previous, the first the child of ``parent_hash``
    (when given)."""
    prev_hash, prev_number = parent_hash, None
    for h in headers:
        if prev_number is not None and h.number != prev_number + 1:
            return False
        if prev_hash is not None and h.parent_hash != prev_hash:
            return False
        prev_hash, prev_number = h.hash, h.number
    return True
