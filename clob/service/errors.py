"""The one exception root of the exchange service, with stable codes in Polymarket's vocabulary.

Every business refusal of the facade (`clob.service.exchange`) is a `ServiceError` carrying a `code` (a stable
`ErrorCode`) and a `message` written for Polymarket's ``{"error": "<message>"}`` / ``errorMsg`` fields. The HTTP
layer (`clob.api.errors`) maps codes to statuses; this package never speaks HTTP.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes. Values never change once published; add new ones at the end."""

    # authentication and ownership
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_L1_HEADERS = "INVALID_L1_HEADERS"
    API_KEY_NOT_FOUND = "API_KEY_NOT_FOUND"
    OWNER_MISMATCH = "INVALID_ORDER_OWNER"
    SIGNER_NOT_API_KEY = "INVALID_ORDER_SIGNER"
    # request shape
    INVALID_PAYLOAD = "INVALID_PAYLOAD"
    TOO_MANY_ORDERS = "TOO_MANY_ORDERS"
    # order intake, Polymarket's placement error names where one exists
    INVALID_ORDER_PAYLOAD = "INVALID_ORDER_PAYLOAD"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    INVALID_ORDER_MIN_TICK_SIZE = "INVALID_ORDER_MIN_TICK_SIZE"
    INVALID_ORDER_AMOUNT = "INVALID_ORDER_AMOUNT"
    INVALID_ORDER_MIN_SIZE = "INVALID_ORDER_MIN_SIZE"
    INVALID_ORDER_DUPLICATED = "INVALID_ORDER_DUPLICATED"
    INVALID_ORDER_NOT_ENOUGH_BALANCE = "INVALID_ORDER_NOT_ENOUGH_BALANCE"
    INVALID_ORDER_EXPIRATION = "INVALID_ORDER_EXPIRATION"
    INVALID_ORDER_NONCE = "INVALID_ORDER_NONCE"
    INVALID_ORDER_FEE_RATE = "INVALID_ORDER_FEE_RATE"
    INVALID_ORDER_TAKER = "INVALID_ORDER_TAKER"
    INVALID_ORDER_POST_ONLY = "INVALID_POST_ONLY_ORDER"
    MARKET_NOT_FOUND = "MARKET_NOT_FOUND"
    MARKET_NOT_READY = "MARKET_NOT_READY"
    FOK_ORDER_NOT_FILLED_ERROR = "FOK_ORDER_NOT_FILLED_ERROR"
    FAK_ORDER_NOT_FILLED_ERROR = "FAK_ORDER_NOT_FILLED_ERROR"
    # reads
    NOT_FOUND = "NOT_FOUND"
    INVALID_TOKEN_ID = "INVALID_TOKEN_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_HEARTBEAT = "INVALID_HEARTBEAT"
    CHAIN_VIEW_DISABLED = "CHAIN_VIEW_DISABLED"
    # admin
    ADMIN_UNAUTHORIZED = "ADMIN_UNAUTHORIZED"
    MARKET_REJECTED = "MARKET_REJECTED"
    # the service itself
    UNAVAILABLE = "UNAVAILABLE"


class ServiceError(Exception):
    """Root of every refusal raised by `clob.service`'s facade."""

    __slots__ = ("code", "message")

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ServiceError({self.code.value!r}, {self.message!r})"
