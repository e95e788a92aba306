"""Keccak-256 (Ethereum's, not NIST SHA3-256) from safe-pysha3's C extension, with types.

safe-pysha3 is ~3x faster than pycryptodome's keccak on the 416-byte order struct; this module only gives
it a typed name so that mypy sees ``digest() -> bytes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import sha3


class KeccakHash(Protocol):
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def update(self, data: bytes, /) -> None: ...


keccak_256: Callable[[bytes], KeccakHash] = sha3.keccak_256


def keccak(data: bytes) -> bytes:
    """keccak256(data), 32 bytes."""
    return keccak_256(data).digest()
