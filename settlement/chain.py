"""The batcher's view of the chain: a small ``ChainClient`` protocol and its JSON-RPC adapter over web3.py.

The core (``settlement.batcher``) only sees this protocol, so unit tests run it over a fake chain. ``RpcChain``
talks raw JSON-RPC through a web3 ``HTTPProvider`` (no middleware, no retries: a failed request raises
``RpcUnavailableError`` at once and the batcher's next step retries) and batches receipt look-ups into one
request.

What the batcher relies on, node-independently:

- ``send_raw`` classifies the node's answer: accepted, already known (the same bytes are in its pool), nonce too
  low (the nonce is used on chain), underpriced (fees below the base fee or a replacement bump too small), or
  another rejection. A transport failure raises: the transaction may or may not have reached the node.
- ``receipts`` returns the receipts that exist (on the node's canonical chain) for the given hashes.
- ``nonce(address, block)`` is the account's transaction count at ``block`` ("latest", "pending" or a number).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import requests
from web3 import HTTPProvider
from web3.types import RPCEndpoint

from settlement.errors import RevertedError, RpcError, RpcUnavailableError
from settlement.model import Receipt


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"
    KNOWN = "known"
    NONCE_TOO_LOW = "nonce_too_low"
    UNDERPRICED = "underpriced"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    message: str = ""

    @property
    def in_pool(self) -> bool:
        """The node holds (or held) exactly these bytes."""
        return self.outcome in (SendOutcome.ACCEPTED, SendOutcome.KNOWN)


class ChainClient(Protocol):
    """What the batcher needs from a node."""

    def chain_id(self) -> int: ...

    def head(self) -> int: ...

    def block_hash(self, number: int) -> str | None: ...

    def base_fee(self) -> int: ...

    def priority_fee(self) -> int: ...

    def nonce(self, address: str, block: int | str = "latest") -> int: ...

    def estimate_gas(self, sender: str, to: str, data: bytes, block: int | str = "latest") -> int:
        """Gas of the call at ``block``; raises ``RevertedError`` if it would revert."""
        ...

    def call(self, sender: str, to: str, data: bytes, gas: int | None = None, block: int | str = "latest") -> bytes:
        """``eth_call`` at ``block`` (with ``gas`` as the limit if given); raises ``RevertedError`` if it
        reverts, ``RpcError`` (e.g. out of gas) if it fails otherwise."""
        ...

    def call_many(
        self, sender: str, to: str, calls: Sequence[tuple[bytes, int | None]], block: int | str = "latest"
    ) -> list[Exception | None]:
        """``call`` of each ``(data, gas)`` at ``block``, together (one round trip where the node allows): None
        where the call succeeded, else the exception ``call`` would have raised."""
        ...

    def send_raw(self, raw_tx: str) -> SendResult: ...

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt]: ...


def classify_send_error(message: str) -> SendOutcome:
    """Map a node's ``eth_sendRawTransaction`` error message (geth, anvil, erigon, bor wording) to an outcome."""
    text = message.lower()
    if "already known" in text or "already imported" in text or "known transaction" in text:
        return SendOutcome.KNOWN
    if "nonce too low" in text or "nonce is too low" in text or "already been used" in text:
        return SendOutcome.NONCE_TOO_LOW
    if "underpriced" in text or "base fee" in text or "fee too low" in text or "fee cap" in text:
        return SendOutcome.UNDERPRICED
    return SendOutcome.REJECTED


def _hex(value: int) -> str:
    return hex(value)


def _block_tag(block: int | str) -> str:
    return hex(block) if isinstance(block, int) else block


def _receipt(raw: dict[str, Any]) -> Receipt:
    return Receipt(
        tx_hash=str(raw["transactionHash"]).lower(),
        status=int(raw["status"], 16),
        block_number=int(raw["blockNumber"], 16),
        block_hash=str(raw["blockHash"]).lower(),
        gas_used=int(raw["gasUsed"], 16),
    )


_TRANSPORT_ERRORS = (requests.RequestException, OSError, ValueError)


class RpcChain:
    """``ChainClient`` over HTTP JSON-RPC (a web3 ``HTTPProvider``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.provider = HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        self._chain_id: int | None = None

    # -- transport ------------------------------------------------------------------------------------------
    def _request(self, method: str, params: list[Any]) -> dict[str, Any]:
        try:
            response: Any = self.provider.make_request(RPCEndpoint(method), params)
        except _TRANSPORT_ERRORS as exc:
            raise RpcUnavailableError(f"{method}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(response, dict):
            raise RpcUnavailableError(f"{method}: malformed response {response!r}")
        return response

    def _result(self, method: str, params: list[Any]) -> Any:
        response = self._request(method, params)
        error = response.get("error")
        if error is not None:
            raise _error(method, error)
        return response.get("result")

    def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        if not calls:
            return []
        try:
            responses: Any = self.provider.make_batch_request([(RPCEndpoint(m), p) for m, p in calls])
        except _TRANSPORT_ERRORS as exc:
            raise RpcUnavailableError(f"batch: {type(exc).__name__}: {exc}") from exc
        if not isinstance(responses, list) or len(responses) != len(calls):
            raise RpcUnavailableError(f"batch: malformed response {json.dumps(responses)[:200]}")
        return list(responses)

    # -- ChainClient ----------------------------------------------------------------------------------------
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._result("eth_chainId", []), 16)
        return self._chain_id

    def head(self) -> int:
        return int(self._result("eth_blockNumber", []), 16)

    def block_hash(self, number: int) -> str | None:
        block = self._result("eth_getBlockByNumber", [_hex(number), False])
        return None if block is None else str(block["hash"]).lower()

    def base_fee(self) -> int:
        block = self._result("eth_getBlockByNumber", ["latest", False])
        return int(block.get("baseFeePerGas") or "0x0", 16)

    def priority_fee(self) -> int:
        return int(self._result("eth_maxPriorityFeePerGas", []), 16)

    def nonce(self, address: str, block: int | str = "latest") -> int:
        return int(self._result("eth_getTransactionCount", [address, _block_tag(block)]), 16)

    def estimate_gas(self, sender: str, to: str, data: bytes, block: int | str = "latest") -> int:
        tx = {"from": sender, "to": to, "data": "0x" + data.hex()}
        return int(self._result("eth_estimateGas", [tx, _block_tag(block)]), 16)

    def call(self, sender: str, to: str, data: bytes, gas: int | None = None, block: int | str = "latest") -> bytes:
        tx = {"from": sender, "to": to, "data": "0x" + data.hex()}
        if gas is not None:
            tx["gas"] = hex(gas)
        out = self._result("eth_call", [tx, _block_tag(block)])
        return bytes.fromhex(str(out)[2:])

    def call_many(
        self, sender: str, to: str, calls: Sequence[tuple[bytes, int | None]], block: int | str = "latest"
    ) -> list[Exception | None]:
        batch = []
        for data, gas in calls:
            tx = {"from": sender, "to": to, "data": "0x" + data.hex()}
            if gas is not None:
                tx["gas"] = hex(gas)
            batch.append(("eth_call", [tx, _block_tag(block)]))
        out: list[Exception | None] = []
        for response in self._batch(batch):
            error = response.get("error")
            out.append(None if error is None else _error("eth_call", error))
        return out

    def send_raw(self, raw_tx: str) -> SendResult:
        response = self._request("eth_sendRawTransaction", [raw_tx])
        error = response.get("error")
        if error is None:
            return SendResult(SendOutcome.ACCEPTED)
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        return SendResult(classify_send_error(message), message)

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt]:
        calls = [("eth_getTransactionReceipt", [h]) for h in tx_hashes]
        out: dict[str, Receipt] = {}
        for h, response in zip(tx_hashes, self._batch(calls), strict=True):
            if response.get("error") is not None:
                raise _error("eth_getTransactionReceipt", response["error"])
            raw = response.get("result")
            if raw is not None and raw.get("blockNumber") is not None:
                out[h.lower()] = _receipt(raw)
        return out


def _error(method: str, error: Any) -> Exception:
    if not isinstance(error, dict):
        return RpcError(method, -1, str(error))
    message = str(error.get("message", ""))
    code = int(error.get("code", -1))
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest it
        data = data.get("data")
    if code == 3 or "revert" in message.lower():
        raw = b""
        if isinstance(data, str) and data.startswith("0x"):
            try:
                raw = bytes.fromhex(data[2:])
            except ValueError:
                raw = b""
        return RevertedError(raw, message)
    if code in (-32603, -32000) and ("timeout" in message.lower() or "unavailable" in message.lower()):
        return RpcUnavailableError(f"{method}: {message}")
    return RpcError(method, code, message)
