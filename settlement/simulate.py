"""Simulating a group of matches before it is signed: does it settle, within which gas limit, and if not, which
match fails first and why.

One ``eth_call`` with the gas model's total as the gas limit proves the whole group succeeds within that limit —
the common case, one EVM execution (``eth_estimateGas`` runs the transaction many times over and was the
batcher's bottleneck). If that call fails, a second one without a gas cap tells a real failure from a model too
low: in the latter case ``eth_estimateGas`` x ``gas_margin`` becomes the limit. A real failure is located by a
binary search over prefixes of the batch (``matchOrdersBatch`` is all or nothing and later matches see earlier
ones' state, so the shortest failing prefix ends with the culprit): ``ceil(log2 n)`` more calls.
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
    decoded revert."""

    ok: bool
    gas_limit: int = 0
    estimated: bool = False
    failing: int = -1
    error: str = ""


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

    def _call(self, data: bytes, gas: int | None = None) -> None:
        self.stats.calls += 1
        self.chain.call(self.operator, self.exchange, data, gas=gas)

    def _check(self, group: Sequence[PreparedTrade]) -> Simulation:
        data = calldata(group, batch=len(group) > 1)
        limit = self.model_limit(group)
        try:
            self._call(data, gas=limit)
            return Simulation(True, limit)
        except RpcError as capped:
            if "gas" not in capped.message.lower():
                raise
        except RevertedError:
            pass  # maybe only an inner call starved of gas: ask again without the cap
        try:
            self._call(data)
        except RevertedError as whole:
            index, error = self._locate(group, whole)
            return Simulation(False, failing=index, error=error)
        estimate = self.chain.estimate_gas(self.operator, self.exchange, data)
        return Simulation(True, self.estimate_limit(estimate), estimated=True)

    def _locate(self, group: Sequence[PreparedTrade], whole: RevertedError) -> tuple[int, str]:
        if len(group) == 1:
            return 0, describe_revert(whole.data, whole.message)
        errors: dict[int, RevertedError] = {len(group): whole}

        def prefix_fails(k: int) -> bool:
            try:
                self._call(calldata(group[:k], batch=True))
            except RevertedError as exc:
                errors[k] = exc
                return True
            return False

        index = first_failure(len(group), prefix_fails)
        exc = errors.get(index + 1, whole)
        return index, describe_revert(exc.data, exc.message)
