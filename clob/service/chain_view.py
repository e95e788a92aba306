"""What the exchange knows of each trader's on-chain state: balances, allowances to the exchange, nonces.

Order intake must check that a maker can pay for all their open orders. Reading the chain on every order would
cap intake at the RPC's speed, so values are cached per (address, asset) and refreshed when the trader asks
(``/balance-allowance/update``), when the reconciler sees a balance below what is reserved, when a trade of the
trader is CONFIRMED (`Balances.on_trade_status`), and when an entry is older than ``max_age_s``. Each
holding carries the block it was read at, so the sequencer can tell which settled fills it already reflects
(`clob.service.obligations`). ``ChainState`` is the seam: ``Web3ChainState`` reads a real chain; unit tests use a fake.

Asset id 0 is collateral (USDC, ERC20 allowance); any other id is a ConditionalTokens position (ERC1155, whose
"allowance" is ``isApprovedForAll`` — unlimited or nothing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from web3 import Web3
from web3.exceptions import Web3RPCError

from chain.build import load_artifact
from clob.service.errors import ErrorCode, ServiceError

COLLATERAL = 0
UNLIMITED = 2**256 - 1


@dataclass(frozen=True, slots=True)
class Holding:
    """A balance and the allowance the exchange has over it, in base units, as of block ``block`` or later."""

    balance: int
    allowance: int
    block: int = field(default=0, compare=False)
    """A block the read reflects at least (the head before the read): it counts the settlements mined up to it."""
    read_ms: int = field(default=0, compare=False)
    """When the read started (Unix ms; set by `CachedChainView`)."""

    @property
    def spendable(self) -> int:
        return min(self.balance, self.allowance)


class ChainState(Protocol):
    """Reads of trader state from the chain."""

    def holding(self, address: str, asset_id: int) -> Holding: ...

    def nonce(self, address: str) -> int: ...


class Web3ChainState:
    """``ChainState`` over web3: collateral ERC20, ConditionalTokens ERC1155 and the exchange's nonces."""

    def __init__(self, w3: Web3, collateral: str, ctf: str, exchange: str) -> None:
        self.exchange = Web3.to_checksum_address(exchange)
        self._w3 = w3
        self._usdc: Any = w3.eth.contract(
            address=Web3.to_checksum_address(collateral), abi=load_artifact("MockUSDC")["abi"]
        )
        self._ctf: Any = w3.eth.contract(
            address=Web3.to_checksum_address(ctf), abi=load_artifact("ConditionalTokens")["abi"]
        )
        self._exchange: Any = w3.eth.contract(address=self.exchange, abi=_NONCES_ABI)

    _pause_s = 0.2
    """The first pause between attempts of a chain read (doubled for the next)."""

    def holding(self, address: str, asset_id: int) -> Holding:
        return self._retrying(lambda: self._holding(address, asset_id))

    def _holding(self, address: str, asset_id: int) -> Holding:
        who = Web3.to_checksum_address(address)
        block = int(self._w3.eth.block_number)  # before the reads: they see this block or a later one
        if asset_id == COLLATERAL:
            return Holding(
                int(self._usdc.functions.balanceOf(who).call()),
                int(self._usdc.functions.allowance(who, self.exchange).call()),
                block,
            )
        approved = bool(self._ctf.functions.isApprovedForAll(who, self.exchange).call())
        return Holding(int(self._ctf.functions.balanceOf(who, asset_id).call()), UNLIMITED if approved else 0, block)

    def nonce(self, address: str) -> int:
        return self._retrying(lambda: int(self._exchange.functions.nonces(Web3.to_checksum_address(address)).call()))

    def _retrying(self, read: Callable[[], T]) -> T:
        """``read()``, tried 3 times over a node error (a node answers a read during a reorg with an error about
        the block it just dropped); a node that keeps failing is `ErrorCode.UNAVAILABLE` (503, retry later)."""
        pause = self._pause_s
        for attempt in range(3):
            try:
                return read()
            except (Web3RPCError, OSError, TimeoutError) as exc:
                if attempt == 2:
                    raise ServiceError(
                        ErrorCode.UNAVAILABLE, f"chain node unavailable, retry later: {str(exc)[:200]}"
                    ) from exc
                time.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")


_NONCES_ABI = [
    {
        "type": "function",
        "name": "nonces",
        "stateMutability": "view",
        "inputs": [{"name": "", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class ChainCacheMiss(Exception):  # noqa: N818 - a state, not an error
    """A cache-only read found no fresh value (the caller reads again where blocking is allowed)."""


class CachedChainView:
    """A thread-safe cache in front of a ``ChainState``."""

    def __init__(
        self,
        source: ChainState,
        max_age_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._max_age = max_age_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._holdings: dict[tuple[str, int], tuple[float, Holding]] = {}
        self._nonces: dict[str, tuple[float, int]] = {}

    def holding(self, address: str, asset_id: int, refresh: bool = False, cached_only: bool = False) -> Holding:
        """``cached_only``: never call the chain (raise `ChainCacheMiss` instead), for callers on an event loop."""
        key = (address.lower(), asset_id)

        def load() -> Holding:
            started_ms = int(self._wall_clock() * 1000)
            return replace(self._source.holding(address, asset_id), read_ms=started_ms)

        return self._read(self._holdings, key, load, refresh, cached_only)

    def nonce(self, address: str, refresh: bool = False, cached_only: bool = False) -> int:
        return self._read(self._nonces, address.lower(), lambda: self._source.nonce(address), refresh, cached_only)

    def _read(
        self, table: dict[K, tuple[float, V]], key: K, load: Callable[[], V], refresh: bool, cached_only: bool
    ) -> V:
        """``table[key]`` if fresh (and not ``refresh``), else ``load()`` stored with its time."""
        now = self._clock()
        with self._lock:
            cached = table.get(key)
        if cached is not None and not refresh and now - cached[0] < self._max_age:
            return cached[1]
        if cached_only:
            raise ChainCacheMiss(key)
        value = load()
        with self._lock:
            table[key] = (now, value)
        return value

    def invalidate(self, address: str, asset_id: int | None = None) -> None:
        """Forget cached values of ``address`` (one asset, or all of them and the nonce)."""
        who = address.lower()
        with self._lock:
            if asset_id is None:
                for key in [k for k in self._holdings if k[0] == who]:
                    del self._holdings[key]
                self._nonces.pop(who, None)
            else:
                self._holdings.pop((who, asset_id), None)
