"""Polymarket CLOB authentication: L1 (wallet EIP-712 `ClobAuth`) and L2 (per-request HMAC).

- `l1`: `clob_auth_digest`, `verify_l1_headers` → `L1Identity(address, nonce)`.
- `keys`: API credentials derived from a master secret (`derive_api_creds`), the stored `ApiKeyRecord`
  (no secret in it), and `CredentialResolver`, the `lookup_creds` of L2 verification.
- `l2`: `build_hmac_signature`, `verify_l2`.
- `errors`: `AuthError` (the package's one root) with precise `AuthErrorCode`s and Polymarket's public texts.
"""

from clob.auth.errors import L1_PUBLIC_MESSAGE, L2_PUBLIC_MESSAGE, AuthError, AuthErrorCode
from clob.auth.keys import (
    ApiCreds,
    ApiKeyRecord,
    CredentialResolver,
    L2Credentials,
    api_key_record,
    derive_api_creds,
    passphrase_hash,
    secret_fingerprint,
)
from clob.auth.l1 import CLOB_AUTH_MESSAGE, L1Identity, clob_auth_digest, verify_l1_headers
from clob.auth.l2 import build_hmac_signature, verify_l2

__all__ = [
    "CLOB_AUTH_MESSAGE",
    "L1_PUBLIC_MESSAGE",
    "L2_PUBLIC_MESSAGE",
    "ApiCreds",
    "ApiKeyRecord",
    "AuthError",
    "AuthErrorCode",
    "CredentialResolver",
    "L1Identity",
    "L2Credentials",
    "api_key_record",
    "build_hmac_signature",
    "clob_auth_digest",
    "derive_api_creds",
    "passphrase_hash",
    "secret_fingerprint",
    "verify_l1_headers",
    "verify_l2",
]
