"""Simulating a group of matches before it is signed: does it settle, within which gas limit, and if not, which
match fails first and why.

One ``eth_call`` with the gas model's total as the gas limit proves the whole group succeeds within that limit —
the common case, one EVM execution (``eth_estimateGas`` runs the transaction many times over and was the
batcher's bottleneck). If that call fails, a second one without a gas cap tells a real failure from a model too
low: in the latter case ``eth_estimateGas`` x ``gas_margin`` becomes the limit. A real failure is located by a
binary search over prefixes of the batch (``matchOrdersBatch`` is all or nothing and later matches see earlier
ones' state, so the shortest failing prefix ends with the culprit): ``ceil(log2 n)`` more calls, then one call of
the culprit alone, which tells a match that cannot settle from one that fails only after the matches before it
(e.g. a seller whose tokens the earlier matches already took: it is to be tried again on its own).

A flush that fills several transaction slots first asks for every group's capped call in one batched request
(``prefetch``): a group that succeeded there is not simulated again, so the groups of a flush cost one round trip
instead of one each. Only a success is taken from it; a group that failed there, or that changed since (a trade
dropped), is checked as above, at the head of its own check.

Every call of one check runs at the same block, the head when the check starts: the prefix search assumes that
a prefix fails iff it contains the culprit, which holds only if the state does not move between the calls (a
trader's approval mined mid-search would otherwise pin the failure on the last match of the batch).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from settlement.chain import ChainClient
from settlement.diagnose import describe_revert
from settlement.errors import RevertedError, RpcError
from settlement.grouping import GasModel, first_failure
from settlement.matches import calldata
from settlement.model import PreparedTrade


@dataclass(frozen=True, slots=True)
class Simulation:
    """``ok``: the group settles within ``gas_limit`` (``estimated``: the model was too low and the node's
    estimate was used). Otherwise ``failing`` is the index of the first failing match and ``error`` its
    decoded revert; ``alone_ok``: that match succeeds on its own (it fails only after the matches before it)."""

    ok: bool
    gas_limit: int = 0
    estimated: bool = False
    failing: int = -1
    error: str = ""
    alone_ok: bool = False


@dataclass
class SimulationStats:
    calls: int = 0
    seconds: float = 0.0


class Simulator:
    def __init__(
        self, chain: ChainClient, operator: str, exchange: str, gas_model: GasModel, gas_margin: float
    ) -> None:
        self.chain = chain
        self.operator = operator
        self.exchange = exchange
        self.gas_model = gas_model
        self.gas_margin = gas_margin
        self.stats = SimulationStats()
        self._prefetched: dict[tuple[bytes, int], bool] = {}

    def prefetch(self, groups: Sequence[Sequence[PreparedTrade]]) -> None:
        """The capped first call of each of ``groups`` in one batched request, at the current head; ``check`` of
        a group with the same calldata takes a success from here. Replaces what an earlier prefetch left."""
        self._prefetched = {}
        if len(groups) < 2:
            return
        started = time.perf_counter()
        try:
            block = self.chain.head()
            calls = [(calldata(g, batch=len(g) > 1), self.model_limit(g)) for g in groups]
            self.stats.calls += len(calls)
            results = self.chain.call_many(self.operator, self.exchange, calls, block=block)
        finally:
            self.stats.seconds += time.perf_counter() - started
        self._prefetched = {call: error is None for call, error in zip(calls, results, strict=True)}

    def model_limit(self, group: Sequence[PreparedTrade]) -> int:
        return self.gas_model.tx_base + sum(p.gas for p in group)

    def estimate_limit(self, estimate: int) -> int:
        return int(estimate * self.gas_margin) + 20_000

    def check(self, group: Sequence[PreparedTrade]) -> Simulation:
        started = time.perf_counter()
        try:
            return self._check(group)
        finally:
            self.stats.seconds += time.perf_counter() - started

    def _call(self, data: bytes, block: int, gas: int | None = None) -> None:
        self.stats.calls += 1
        self.chain.call(self.operator, self.exchange, data, gas=gas, block=block)

    def _check(self, group: Sequence[PreparedTrade]) -> Simulation:
        data = calldata(group, batch=len(group) > 1)
        limit = self.model_limit(group)
        if self._prefetched.pop((data, limit), False):
            return Simulation(True, limit)
        block = self.chain.head()
        try:
            self._call(data, block, gas=limit)
            return Simulation(True, limit)
        except RpcError as capped:
            if "gas" not in capped.message.lower():
                raise
        except RevertedError:
            pass  # maybe only an inner call starved of gas: ask again without the cap
        try:
            self._call(data, block)
            estimate = self.chain.estimate_gas(self.operator, self.exchange, data, block=block)
        except RevertedError as whole:
            index, error, alone_ok = self._locate(group, whole, block)
            return Simulation(False, failing=index, error=error, alone_ok=alone_ok)
        return Simulation(True, self.estimate_limit(estimate), estimated=True)

    def _locate(self, group: Sequence[PreparedTrade], whole: RevertedError, block: int) -> tuple[int, str, bool]:
        if len(group) == 1:
            return 0, describe_revert(whole.data, whole.message), False
        errors: dict[int, RevertedError] = {len(group): whole}

        def prefix_fails(k: int) -> bool:
            try:
                self._call(calldata(group[:k], batch=True), block)
            except RevertedError as exc:
                errors[k] = exc
                return True
            return False

        index = first_failure(len(group), prefix_fails)
        exc = errors.get(index + 1, whole)
        alone_ok = False
        if index > 0:
            try:
                self._call(calldata(group[index : index + 1], batch=False), block)
                alone_ok = True
            except RevertedError as own:
                exc = own
        return index, describe_revert(exc.data, exc.message), alone_ok
