"""The one exception root of `clob.auth`, with precise internal codes.

Polymarket answers every L2 failure with 401 ``{"error": "Unauthorized/Invalid api key"}``, and gives
attackers nothing more; `AuthError.public_message` is that text. `code` and `message` keep the precise
reason for logs, metrics and tests.
"""

from __future__ import annotations

from enum import StrEnum

L2_PUBLIC_MESSAGE = "Unauthorized/Invalid api key"
L1_PUBLIC_MESSAGE = "Invalid L1 Request headers"


class AuthErrorCode(StrEnum):
    """Stable codes. Values never change once published; add new ones at the end."""

    MISSING_HEADERS = "AUTH_MISSING_HEADERS"
    INVALID_ADDRESS = "AUTH_INVALID_ADDRESS"
    INVALID_TIMESTAMP = "AUTH_INVALID_TIMESTAMP"
    STALE_TIMESTAMP = "AUTH_STALE_TIMESTAMP"
    INVALID_NONCE = "AUTH_INVALID_NONCE"
    BAD_SIGNATURE = "AUTH_BAD_SIGNATURE"
    ADDRESS_MISMATCH = "AUTH_ADDRESS_MISMATCH"
    UNKNOWN_API_KEY = "AUTH_UNKNOWN_API_KEY"
    PASSPHRASE_MISMATCH = "AUTH_PASSPHRASE_MISMATCH"


class AuthError(Exception):
    """Root of every error raised by `clob.auth`. Level 1 = wallet signature, 2 = HMAC."""

    __slots__ = ("code", "level", "message")

    def __init__(self, code: AuthErrorCode, message: str, *, level: int = 2) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.level = level

    @property
    def public_message(self) -> str:
        """What to put in the 401 body: never more precise than Polymarket's own answer."""
        return L1_PUBLIC_MESSAGE if self.level == 1 else L2_PUBLIC_MESSAGE

    def __repr__(self) -> str:
        return f"AuthError({self.code.value!r}, {self.message!r}, level={self.level})"
