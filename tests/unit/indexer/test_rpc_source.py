"""``RpcSource`` over a mock HTTP transport: batches, error classification, log normalisation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from indexer.errors import RangeTooLargeError, RpcError
from indexer.events import default_registry
from indexer.source import LogFilter, RpcSource, looks_like_range_error

TOPIC = default_registry().by_name("collateral", "Transfer").topic0


def _log(block: int, index: int, removed: bool = False) -> dict[str, Any]:
    return {
        "blockNumber": hex(block),
        "blockHash": "0x" + "AB" * 32,
        "transactionHash": "0x" + "CD" * 32,
        "transactionIndex": "0x0",
        "logIndex": hex(index),
        "address": "0x" + "EF" * 20,
        "topics": [TOPIC.upper().replace("0X", "0x")],
        "data": "0x",
        "removed": removed,
    }


def _source(answer: Any) -> tuple[RpcSource, list[Any]]:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(200, json=answer(body))

    return RpcSource("http://node", transport=httpx.MockTransport(handler)), seen


def test_logs_batch_is_merged_deduplicated_sorted_and_normalised() -> None:
    def answer(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Answers out of order; the same log from two filters; a removed log.
        first, second = body
        return [
            {"jsonrpc": "2.0", "id": second["id"], "result": [_log(5, 1), _log(4, 0)]},
            {"jsonrpc": "2.0", "id": first["id"], "result": [_log(5, 1), _log(6, 0, removed=True)]},
        ]

    source, seen = _source(answer)
    f = LogFilter(("0xabc",), ((TOPIC,),))
    logs = source.logs(4, 6, [f, f])
    assert [(lg.block_number, lg.log_index) for lg in logs] == [(4, 0), (5, 1)]
    assert logs[0].block_hash == "0x" + "ab" * 32
    assert logs[0].address == "0x" + "ef" * 20
    assert seen[0][0]["params"][0] == {"fromBlock": "0x4", "toBlock": "0x6", "address": ["0xabc"], "topics": [[TOPIC]]}


@pytest.mark.parametrize(
    ("message", "code", "error"),
    [
        ("query returned more than 10000 results", -32005, RangeTooLargeError),
        ("Log response size exceeded", -32602, RangeTooLargeError),
        ("block range is too wide", -32000, RangeTooLargeError),
        ("invalid params", -32602, RpcError),
    ],
)
def test_get_logs_errors_are_classified(message: str, code: int, error: type[Exception]) -> None:
    def answer(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"jsonrpc": "2.0", "id": body[0]["id"], "error": {"code": code, "message": message}}]

    source, _ = _source(answer)
    with pytest.raises(error) as info:
        source.logs(1, 100, [LogFilter(("0xabc",), ())])
    assert (info.type is RangeTooLargeError) == (error is RangeTooLargeError)


def test_timeout_means_range_too_large() -> None:
    source, _ = _source(httpx.ReadTimeout("slow"))
    with pytest.raises(RangeTooLargeError):
        source.logs(1, 100, [LogFilter(("0xabc",), ())])


def test_headers_skip_missing_blocks() -> None:
    def answer(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for call in body:
            n = int(call["params"][0], 16)
            block = None if n > 2 else {"number": hex(n), "hash": f"0x{n:064x}", "parentHash": "0x" + "00" * 32}
            out.append({"jsonrpc": "2.0", "id": call["id"], "result": block})
        return out

    source, _ = _source(answer)
    headers = source.headers([1, 2, 3])
    assert sorted(headers) == [1, 2]
    assert headers[2].hash == "0x" + "0" * 63 + "2"


def test_range_hints() -> None:
    assert looks_like_range_error("anything", -32005)
    assert looks_like_range_error("request timed out", None)
    assert not looks_like_range_error("execution reverted", 3)
