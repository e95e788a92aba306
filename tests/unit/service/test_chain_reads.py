"""Chain reads behind the order checks: a transient node error is retried, a node that stays down is a 503."""

from __future__ import annotations

from typing import Any

import pytest
from web3.exceptions import Web3RPCError

from clob.service.chain_view import COLLATERAL, Web3ChainState
from clob.service.errors import ErrorCode, ServiceError

ADDRESS = "0x" + "11" * 20


class _Call:
    def __init__(self, results: list[Any]) -> None:
        self.results = results
        self.calls = 0

    def call(self) -> Any:
        self.calls += 1
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


class _Contract:
    def __init__(self, **functions: _Call) -> None:
        self.functions = self
        self._functions = functions

    def __getattr__(self, name: str) -> Any:
        return lambda *_args: self._functions[name]


class _Eth:
    block_number = 35


class _W3:
    eth = _Eth()


def _state(balance: _Call, allowance: _Call) -> Web3ChainState:
    state = object.__new__(Web3ChainState)
    state.exchange = ADDRESS
    state._w3 = _W3()  # type: ignore[assignment]
    state._usdc = _Contract(balanceOf=balance, allowance=allowance)
    state._pause_s = 0.0
    return state


def test_a_read_refused_by_the_node_mid_reorg_is_retried() -> None:
    glitch = Web3RPCError(
        "{'code': -32602, 'message': 'BlockOutOfRangeError: block height is 33 but requested was 35'}"
    )
    balance = _Call([glitch, 7_000_000])
    holding = _state(balance, _Call([5_000_000])).holding(ADDRESS, COLLATERAL)
    assert (holding.balance, holding.allowance, balance.calls) == (7_000_000, 5_000_000, 2)


def test_a_node_that_keeps_failing_is_unavailable_not_an_internal_error() -> None:
    errors: list[Any] = [ConnectionError("refused") for _ in range(10)]
    with pytest.raises(ServiceError) as caught:
        _state(_Call(errors), _Call([1])).holding(ADDRESS, COLLATERAL)
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "chain" in caught.value.message
