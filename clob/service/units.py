"""Amounts as Polymarket writes them: prices in pips and sizes in 6-decimal base units as decimal strings."""

from __future__ import annotations

from clob.engine import PRICE_SCALE

SHARE = 1_000_000
"""Base units in one share (and in one USDC)."""


def format_pips(pips: int) -> str:
    """A price in pips (1e-4) as Polymarket's decimal string: 5500 → "0.55", 10000 → "1"."""
    whole, frac = divmod(pips, PRICE_SCALE)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:04d}".rstrip("0")


def format_units(base_units: int) -> str:
    """6-decimal base units as a decimal string: 12_500_000 → "12.5"."""
    whole, frac = divmod(base_units, SHARE)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:06d}".rstrip("0")
