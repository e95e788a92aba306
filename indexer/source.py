"""Where the follower reads the chain: a small ``ChainSource`` protocol and its JSON-RPC adapter.

The follower needs four things from a node: the chain id, the head number, block headers (number → hash, parent)
and ``eth_getLogs`` over a block range for a few filters. ``RpcSource`` does them with raw JSON-RPC over one
keep-alive HTTP connection (batched where it helps: all filters of one range in one request, headers by the
hundred), bypassing web3's per-log result formatting, which costs more than the decoding itself. Unit tests use an
in-memory fake with the same protocol.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson

from indexer.errors import RangeTooLargeError, RpcError
from indexer.events import RawLog


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class LogFilter:
    """One ``eth_getLogs`` filter: contract addresses (OR) and per-position topic alternatives (None = any)."""

    addresses: tuple[str, ...]
    topics: tuple[tuple[str, ...] | None, ...]

    def params(self, from_block: int, to_block: int) -> dict[str, Any]:
        return {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": list(self.addresses),
            "topics": [list(t) if t is not None else None for t in self.topics],
        }


class ChainSource(Protocol):
    """What the follower reads from a chain."""

    def chain_id(self) -> int: ...

    def head(self) -> int: ...

    def headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader]:
        """Headers of the given block numbers on the current canonical chain; absent if the block does not exist."""
        ...

    def logs(self, from_block: int, to_block: int, filters: Sequence[LogFilter]) -> list[RawLog]:
        """Logs matching any filter in ``[from_block, to_block]``, deduplicated, in chain order.

        Raises ``RangeTooLargeError`` when the node refuses the range (too many results, timeout).
        """
        ...


# Phrases providers use when an eth_getLogs range is too big (geth, erigon, alchemy, infura, quicknode, anvil...).
_RANGE_HINTS = (
    "query returned more than",
    "too many",
    "limit exceeded",
    "response size",
    "block range",
    "range too large",
    "range is too large",
    "exceed",
    "timeout",
    "timed out",
    "max results",
)


def looks_like_range_error(message: str, code: int | None) -> bool:
    text = message.lower()
    return code == -32005 or any(h in text for h in _RANGE_HINTS)


def header_from_rpc(obj: dict[str, Any]) -> BlockHeader:
    return BlockHeader(
        int(obj["number"], 16), obj["hash"].lower(), obj["parentHash"].lower(), int(obj.get("timestamp", "0x0"), 16)
    )


class RpcSource:
    """A ``ChainSource`` over HTTP JSON-RPC."""

    def __init__(
        self, url: str, timeout: float = 30.0, header_batch: int = 200, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url
        self.header_batch = header_batch
        self._client = httpx.Client(timeout=timeout, headers={"Content-Type": "application/json"}, transport=transport)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._client.close()

    def _post(self, body: Any, method: str) -> Any:
        try:
            resp = self._client.post(self.url, content=orjson.dumps(body))
        except httpx.TimeoutException as exc:
            raise RangeTooLargeError(method, f"timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise RpcError(method, f"transport error: {exc}") from exc
        if resp.status_code >= 400 and not resp.content.startswith((b"{", b"[")):
            raise RpcError(method, f"HTTP {resp.status_code}: {resp.text[:200]}")
        return orjson.loads(resp.content)

    @staticmethod
    def _result(method: str, answer: dict[str, Any]) -> Any:
        err = answer.get("error")
        if err is not None:
            message = str(err.get("message", err)) if isinstance(err, dict) else str(err)
            code = err.get("code") if isinstance(err, dict) else None
            if method == "eth_getLogs" and looks_like_range_error(message, code):
                raise RangeTooLargeError(method, message, code)
            raise RpcError(method, message, code)
        return answer.get("result")

    def call(self, method: str, *params: Any) -> Any:
        answer = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}, method)
        return self._result(method, answer)

    def batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        """One JSON-RPC batch of calls to the same method; results in the order of ``params_list``."""
        if not params_list:
            return []
        ids = [next(self._ids) for _ in params_list]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": list(p)}
            for i, p in zip(ids, params_list, strict=True)
        ]
        answers = self._post(body, method)
        if isinstance(answers, dict):  # a node that rejects the whole batch answers with one error object
            self._result(method, answers)
            raise RpcError(method, "batch answered with a single non-error object")
        by_id = {a.get("id"): a for a in answers}
        return [self._result(method, by_id.get(i, {"error": {"message": "missing from batch answer"}})) for i in ids]

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader]:
        out: dict[int, BlockHeader] = {}
        nums = list(numbers)
        for k in range(0, len(nums), self.header_batch):
            chunk = nums[k : k + self.header_batch]
            for obj in self.batch("eth_getBlockByNumber", [(hex(n), False) for n in chunk]):
                if obj is not None:
                    h = header_from_rpc(obj)
                    out[h.number] = h
        return out

    def logs(self, from_block: int, to_block: int, filters: Sequence[LogFilter]) -> list[RawLog]:
        results = self.batch("eth_getLogs", [(f.params(from_block, to_block),) for f in filters])
        seen: dict[tuple[int, int], RawLog] = {}
        for result in results:
            for obj in result or ():
                if obj.get("removed"):
                    continue
                log = RawLog.from_rpc(obj)
                seen.setdefault(log.key, log)
        return [seen[k] for k in sorted(seen)]
