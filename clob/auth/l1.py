"""L1 authentication: a wallet's EIP-712 `ClobAuth` signature, used to create or derive API keys.

The client signs, with its EOA key, the typed message

    domain  {name: "ClobAuthDomain", version: "1", chainId}        (no verifyingContract)
    type    ClobAuth(address address,string timestamp,uint256 nonce,string message)
    value   {address: POLY_ADDRESS, timestamp: POLY_TIMESTAMP (the header string, verbatim),
             nonce: POLY_NONCE, message: "This message attests that I control the given wallet"}

and sends the headers POLY_ADDRESS, POLY_SIGNATURE (0x + r ‖ s ‖ v), POLY_TIMESTAMP (unix seconds) and
POLY_NONCE (default "0"). The server recovers the signer, requires it to be POLY_ADDRESS (compared
case-insensitively: py sends it checksummed, rs lower-case) and the timestamp to be within a window of
`now`. Header names match case-insensitively (HTTP/2 lower-cases them); ``-`` and ``_`` are equivalent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from clob.auth.errors import AuthError, AuthErrorCode
from orders.eip712 import EIP712_DOMAIN_TYPEHASH, recover_signer
from orders.errors import OrderError
from orders.keccak import keccak_256
from orders.model import UINT256_MAX, Address, normalize_address

_keccak = keccak_256

CLOB_AUTH_DOMAIN_NAME = "ClobAuthDomain"
CLOB_AUTH_DOMAIN_VERSION = "1"
CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"
CLOB_AUTH_TYPE = "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
CLOB_AUTH_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
CLOB_AUTH_TYPEHASH: bytes = _keccak(CLOB_AUTH_TYPE.encode()).digest()
_CLOB_AUTH_DOMAIN_TYPEHASH: bytes = _keccak(CLOB_AUTH_DOMAIN_TYPE.encode()).digest()
_MESSAGE_HASH: bytes = _keccak(CLOB_AUTH_MESSAGE.encode()).digest()
assert _CLOB_AUTH_DOMAIN_TYPEHASH != EIP712_DOMAIN_TYPEHASH  # no verifyingContract: a different type

L1_HEADERS = ("POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_NONCE")
DEFAULT_WINDOW_S = 300


@dataclass(frozen=True, slots=True)
class L1Identity:
    """Who passed L1 auth: the wallet and the POLY_NONCE that selects its API key."""

    address: Address
    nonce: int


@lru_cache(maxsize=16)
def clob_auth_domain_separator(chain_id: int) -> bytes:
    return _keccak(
        _CLOB_AUTH_DOMAIN_TYPEHASH
        + _keccak(CLOB_AUTH_DOMAIN_NAME.encode()).digest()
        + _keccak(CLOB_AUTH_DOMAIN_VERSION.encode()).digest()
        + chain_id.to_bytes(32, "big")
    ).digest()


def clob_auth_digest(chain_id: int, address: str, timestamp: str, nonce: int) -> bytes:
    """The 32-byte EIP-712 digest a wallet signs for L1 auth (`address` in any case)."""
    struct = _keccak(
        CLOB_AUTH_TYPEHASH
        + bytes(12)
        + bytes.fromhex(normalize_address(address)[2:])
        + _keccak(timestamp.encode()).digest()
        + nonce.to_bytes(32, "big")
        + _MESSAGE_HASH
    ).digest()
    return _keccak(b"\x19\x01" + clob_auth_domain_separator(chain_id) + struct).digest()


def normalize_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names upper-cased with ``-`` read as ``_`` (so poly-address == POLY_ADDRESS)."""
    return {name.upper().replace("-", "_"): value for name, value in headers.items()}


def parse_timestamp(value: str, now: int, window_s: int, *, level: int) -> int:
    """Unix seconds from a header; raises unless |now - ts| <= window_s."""
    if not (0 < len(value) <= 12 and value.isascii() and value.isdigit()):
        raise AuthError(
            AuthErrorCode.INVALID_TIMESTAMP, "POLY_TIMESTAMP must be unix seconds (digits only)", level=level
        )
    timestamp = int(value)
    if abs(now - timestamp) > window_s:
        raise AuthError(
            AuthErrorCode.STALE_TIMESTAMP,
            f"POLY_TIMESTAMP {timestamp} is more than {window_s}s away from the server time {now}",
            level=level,
        )
    return timestamp


def verify_l1_headers(
    headers: Mapping[str, str], chain_id: int, now: int, window_s: int = DEFAULT_WINDOW_S
) -> L1Identity:
    """Check L1 headers; return the authenticated lower-case address and nonce. Raises `AuthError`."""
    h = normalize_headers(headers)
    missing = [name for name in L1_HEADERS[:3] if not h.get(name)]
    if missing:
        raise AuthError(AuthErrorCode.MISSING_HEADERS, f"missing L1 headers: {', '.join(missing)}", level=1)
    try:
        address = normalize_address(h["POLY_ADDRESS"])
    except ValueError as exc:
        raise AuthError(AuthErrorCode.INVALID_ADDRESS, f"POLY_ADDRESS {exc}", level=1) from None
    timestamp_text = h["POLY_TIMESTAMP"]
    parse_timestamp(timestamp_text, now, window_s, level=1)
    nonce_text = h.get("POLY_NONCE") or "0"
    if not (len(nonce_text) <= 78 and nonce_text.isascii() and nonce_text.isdigit()) or int(nonce_text) > UINT256_MAX:
        raise AuthError(AuthErrorCode.INVALID_NONCE, "POLY_NONCE must be a uint256 in decimal", level=1)
    nonce = int(nonce_text)
    signature_text = h["POLY_SIGNATURE"]
    try:
        signature = bytes.fromhex(signature_text.removeprefix("0x"))
    except ValueError:
        signature = b""
    digest = clob_auth_digest(chain_id, address, timestamp_text, nonce)
    try:
        signer = recover_signer(digest, signature)
    except OrderError as exc:
        raise AuthError(AuthErrorCode.BAD_SIGNATURE, f"POLY_SIGNATURE: {exc.message}", level=1) from None
    if signer != address:
        raise AuthError(
            AuthErrorCode.ADDRESS_MISMATCH,
            "POLY_SIGNATURE does not recover to POLY_ADDRESS (wrong key, chain id, timestamp or nonce)",
            level=1,
        )
    return L1Identity(address, nonce)
