"""The batcher's exceptions: one root, ``SettlementError``."""

from __future__ import annotations


class SettlementError(Exception):
    """Root of every error the settlement package raises."""


class RpcUnavailableError(SettlementError):
    """The JSON-RPC endpoint could not be reached or did not answer (connection refused, timeout, bad gateway).

    Nothing is known about the request's effect; the batcher retries on its next step."""


class RpcError(SettlementError):
    """The node answered with a JSON-RPC error that is not a revert."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {code} {message}")
        self.method = method
        self.code = code
        self.message = message


class RevertedError(SettlementError):
    """A simulated call (``eth_call``/``eth_estimateGas``) reverted; ``data`` is the revert data."""

    def __init__(self, data: bytes, message: str = "") -> None:
        super().__init__(message or f"reverted: 0x{data.hex()}")
        self.data = data
        self.message = message


class OrderDataError(SettlementError):
    """A trade's signed orders are missing from the store, unparseable, or do not hash to their order ids."""

    def __init__(self, message: str, order_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.order_ids = order_ids
