"""L2 authentication: an HMAC-SHA256 over each request with the API key's secret.

Headers: POLY_ADDRESS (the signer EOA), POLY_SIGNATURE, POLY_TIMESTAMP (unix seconds), POLY_API_KEY,
POLY_PASSPHRASE. The signature is

    urlsafe_b64encode(HMAC-SHA256(urlsafe_b64decode(secret), str(ts) + METHOD + path + body))   (padded)

with `path` never including the query string and `body` omitted when empty. py and rs sign the body after
replacing ``'`` with ``"``; TS signs it verbatim. The server therefore checks the raw body with that
replacement and, when the body contains a ``'``, also verbatim. Every comparison is constant-time.

There is no replay protection beyond the timestamp window: py-clob-client signs once and reuses the
headers for every page of /data/orders and /data/trades, so the same signature must be accepted again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping

from clob.auth.errors import AuthError, AuthErrorCode
from clob.auth.keys import L2Credentials
from clob.auth.l1 import DEFAULT_WINDOW_S, normalize_headers, parse_timestamp

L2_HEADERS = ("POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_API_KEY", "POLY_PASSPHRASE")


def _as_bytes(body: str | bytes | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _mac(key: bytes, prefix: bytes, body: bytes) -> bytes:
    return base64.urlsafe_b64encode(hmac.new(key, prefix + body, hashlib.sha256).digest())


def build_hmac_signature(
    secret: str, timestamp: int | str, method: str, path: str, body: str | bytes | None = None
) -> str:
    """The POLY_SIGNATURE a client sends (the body is signed as given; no quote replacement here)."""
    key = base64.urlsafe_b64decode(secret)
    prefix = f"{timestamp}{method}{path}".encode()
    return _mac(key, prefix, _as_bytes(body)).decode("ascii")


def verify_l2(
    headers: Mapping[str, str],
    method: str,
    path: str,
    raw_body: str | bytes | None,
    lookup_creds: Callable[[str], L2Credentials | None],
    now: int,
    window_s: int = DEFAULT_WINDOW_S,
) -> L2Credentials:
    """Authenticate one request; return the API key's credentials (its address is the caller's wallet).

    `path` may carry a query string; it is cut off. Raises `AuthError` (level 2) with a precise code.
    """
    h = normalize_headers(headers)
    missing = [name for name in L2_HEADERS if not h.get(name)]
    if missing:
        raise AuthError(AuthErrorCode.MISSING_HEADERS, f"missing L2 headers: {', '.join(missing)}")
    timestamp_text = h["POLY_TIMESTAMP"]
    parse_timestamp(timestamp_text, now, window_s, level=2)
    creds = lookup_creds(h["POLY_API_KEY"])
    if creds is None:
        raise AuthError(AuthErrorCode.UNKNOWN_API_KEY, "POLY_API_KEY is not an active API key")
    if not hmac.compare_digest(h["POLY_PASSPHRASE"].encode("utf-8", "replace"), creds.passphrase.encode()):
        raise AuthError(AuthErrorCode.PASSPHRASE_MISMATCH, "POLY_PASSPHRASE does not match the API key")
    if h["POLY_ADDRESS"].lower() != creds.address:
        raise AuthError(AuthErrorCode.ADDRESS_MISMATCH, "POLY_ADDRESS is not the owner of the API key")
    try:
        key = base64.urlsafe_b64decode(creds.secret)
    except (binascii.Error, ValueError):
        raise AuthError(AuthErrorCode.UNKNOWN_API_KEY, "the API key's stored secret is malformed") from None
    prefix = (timestamp_text + method.upper() + path.partition("?")[0]).encode("utf-8", "replace")
    body = _as_bytes(raw_body)
    provided = h["POLY_SIGNATURE"].encode("utf-8", "replace")
    ok = hmac.compare_digest(_mac(key, prefix, body.replace(b"'", b'"')), provided)
    if b"'" in body:
        ok |= hmac.compare_digest(_mac(key, prefix, body), provided)
    if not ok:
        raise AuthError(AuthErrorCode.BAD_SIGNATURE, "POLY_SIGNATURE does not match the request")
    return creds
