"""Interpreter settings for a process that serves the API and runs the sequencer thread (``Settings``:
``gc_threshold``, ``switch_interval_us``), applied once at start-up by the API's lifespan.

Why (bench/api-results.md has the runs):

- **Garbage collector.** The book keeps every resting order as long-lived objects, and request handling allocates
  many short-lived containers, so with CPython's default thresholds (700, 10, 10) full collections over the growing
  heap come often and each one stalls whichever thread triggered it — usually the sequencer, holding up a whole
  batch. Larger thresholds make young collections rarer and full ones rarer still; reference counting frees almost
  everything anyway (cyclic garbage just waits longer).
- **GIL switch interval.** The event loop (HTTP, checks) and the sequencer thread share the GIL. The sequencer drops
  it around every SQLite call; getting it back waits until the loop thread is asked to yield, by default after
  5 ms. A short interval hands it back sooner: the batch latency falls and throughput rises.
"""

from __future__ import annotations

import gc
import sys


class RuntimeSettingError(ValueError):
    """A malformed interpreter setting."""


def parse_gc_threshold(value: str) -> tuple[int, ...]:
    """``"50000,50,100"`` → (50000, 50, 100): one to three non-negative integers (``gc.set_threshold``)."""
    try:
        parts = tuple(int(p) for p in value.split(","))
    except ValueError:
        raise RuntimeSettingError(f"gc_threshold {value!r}: expected up to three comma-separated integers") from None
    if not 1 <= len(parts) <= 3 or min(parts) < 0:
        raise RuntimeSettingError(f"gc_threshold {value!r}: expected one to three non-negative integers")
    return parts


def tune(gc_threshold: str, switch_interval_us: int) -> None:
    """Apply the collector thresholds and the GIL switch interval to this process ("" / 0: leave as is)."""
    if gc_threshold:
        gc.set_threshold(*parse_gc_threshold(gc_threshold))
    if switch_interval_us < 0:
        raise RuntimeSettingError(f"switch_interval_us {switch_interval_us}: must be positive (0: leave as is)")
    if switch_interval_us:
        sys.setswitchinterval(switch_interval_us / 1e6)
