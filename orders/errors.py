"""The one exception root of `orders`, with stable reject codes.

Every failure of parsing, amount validation or signature verification is an `OrderError` carrying a
`code` (a stable, machine-readable `OrderErrorCode`) and a `message` written for a Polymarket-style
`{"error": "<message>"}` answer. The HTTP layer maps codes to statuses; this package never does.
The subclasses only let callers catch one stage (parsing, amounts, signature) when they need to.
"""

from __future__ import annotations

from enum import StrEnum


class OrderErrorCode(StrEnum):
    """Stable reject codes. Values never change once published; add new ones at the end."""

    # body / field parsing
    INVALID_BODY = "INVALID_ORDER_BODY"
    INVALID_FIELD = "INVALID_ORDER_FIELD"
    # amounts and prices
    ZERO_AMOUNT = "INVALID_ORDER_ZERO_AMOUNT"
    AMOUNT_TOO_LARGE = "INVALID_ORDER_AMOUNT_TOO_LARGE"
    INVALID_PRECISION = "INVALID_ORDER_AMOUNT_PRECISION"
    INVALID_TICK = "INVALID_ORDER_MIN_TICK_SIZE"
    INVALID_PRICE = "INVALID_ORDER_PRICE"
    INVALID_TICK_SIZE = "INVALID_TICK_SIZE"
    # signature
    BAD_SIGNATURE = "INVALID_SIGNATURE"
    SIGNER_MISMATCH = "INVALID_SIGNATURE_SIGNER"
    MAKER_NOT_SIGNER = "INVALID_ORDER_MAKER"
    UNSUPPORTED_SIGNATURE_TYPE = "UNSUPPORTED_SIGNATURE_TYPE"
    NOT_WALLET_OWNER = "INVALID_ORDER_WALLET"


class OrderError(Exception):
    """Root of every error raised by `orders`."""

    __slots__ = ("code", "field", "message")

    def __init__(self, code: OrderErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        """The JSON key at fault (e.g. "makerAmount"), when one is."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class OrderParseError(OrderError):
    """The POST /order body (or one field of it) is malformed."""


class OrderAmountError(OrderError):
    """makerAmount / takerAmount break the precision, tick or range rules."""


class OrderSignatureError(OrderError):
    """The EIP-712 signature is malformed, does not recover to the signer, or is of an unsupported type."""
