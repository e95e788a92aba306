"""API credentials derived from a server master secret, so the database holds no usable secret.

Polymarket's key endpoints are deterministic per (wallet, nonce): `GET /auth/derive-api-key` returns the same
credentials `POST /auth/api-key` created. We get that property, and a storage win, by *deriving* them:

    k(label)   = HMAC-SHA256(master_secret, "polyclob/api-creds/v1/" ‖ label ‖ 0x00 ‖ address(20) ‖ nonce(32))
    apiKey     = UUID version 4 layout over k("api-key")[:16]
    secret     = urlsafe base64 (with padding) of k("secret")              44 characters
    passphrase = hex of k("passphrase")                                    64 characters

L2 verification needs the HMAC secret itself (a hash of it cannot check an HMAC), so a scheme storing the
secret would leak usable credentials with the database. Here the database stores an `ApiKeyRecord` —
api key id, address, nonce and a SHA-256 of the passphrase — and the server recomputes the secret from the
master secret on each request (three HMACs, cached per (address, nonce)). A database leak yields key ids and
passphrase hashes, not credentials; only the master secret (kept in the environment or a secrets manager,
at least 32 random bytes) can mint them. Revoking a key is deleting its record; rotating the master secret
revokes every key at once. The passphrases carry 256 bits of entropy, so a fast hash is enough for them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from orders.model import Address, normalize_address

MIN_MASTER_SECRET_BYTES = 32
_LABEL_PREFIX = b"polyclob/api-creds/v1/"


@dataclass(frozen=True, slots=True)
class ApiCreds:
    """What the key endpoints return: {"apiKey", "secret", "passphrase"}."""

    api_key: str
    secret: str
    passphrase: str


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """The only thing stored per API key."""

    api_key: str
    address: Address
    nonce: int
    passphrase_hash: str


@dataclass(frozen=True, slots=True)
class L2Credentials:
    """What L2 verification needs for one API key (see `clob.auth.l2.verify_l2`)."""

    api_key: str
    address: Address
    secret: str
    passphrase: str


@lru_cache(maxsize=65536)
def _derive(master_secret: bytes, address: Address, nonce: int) -> ApiCreds:
    context = b"\x00" + bytes.fromhex(address[2:]) + nonce.to_bytes(32, "big")

    def part(label: bytes) -> bytes:
        return hmac.new(master_secret, _LABEL_PREFIX + label + context, hashlib.sha256).digest()

    return ApiCreds(
        api_key=str(uuid.UUID(bytes=part(b"api-key")[:16], version=4)),
        secret=base64.urlsafe_b64encode(part(b"secret")).decode("ascii"),
        passphrase=part(b"passphrase").hex(),
    )


def derive_api_creds(master_secret: bytes, address: str, nonce: int) -> ApiCreds:
    """The credentials of (`address`, `nonce`): always the same for the same master secret."""
    if len(master_secret) < MIN_MASTER_SECRET_BYTES:
        raise ValueError(f"the master secret must have at least {MIN_MASTER_SECRET_BYTES} bytes")
    if not 0 <= nonce < 1 << 256:
        raise ValueError("nonce must be a uint256")
    return _derive(bytes(master_secret), normalize_address(address), nonce)


def passphrase_hash(passphrase: str) -> str:
    """SHA-256 hex of a passphrase, the form in which it is stored."""
    return hashlib.sha256(passphrase.encode("utf-8")).hexdigest()


def secret_fingerprint(secret: str) -> str:
    """A short, non-reversible tag of a secret for logs and support ("which secret is this?")."""
    return hashlib.sha256(b"polyclob/secret-fingerprint\x00" + secret.encode("utf-8")).hexdigest()[:16]


def api_key_record(master_secret: bytes, address: str, nonce: int) -> tuple[ApiKeyRecord, ApiCreds]:
    """Derive the credentials of (address, nonce) and the record to store for them."""
    creds = derive_api_creds(master_secret, address, nonce)
    record = ApiKeyRecord(creds.api_key, normalize_address(address), nonce, passphrase_hash(creds.passphrase))
    return record, creds


class CredentialResolver:
    """`lookup_creds` for `verify_l2`: api key → stored record → recomputed credentials.

    `find_record` is the storage seam (a DB query, possibly cached by the caller); it is consulted on every
    call, so deleting a record revokes the key at once. A record whose id or passphrase hash does not match
    the derivation (another master secret, tampering) is treated as unknown.
    """

    __slots__ = ("_find_record", "_master_secret")

    def __init__(self, master_secret: bytes, find_record: Callable[[str], ApiKeyRecord | None]) -> None:
        if len(master_secret) < MIN_MASTER_SECRET_BYTES:
            raise ValueError(f"the master secret must have at least {MIN_MASTER_SECRET_BYTES} bytes")
        self._master_secret = bytes(master_secret)
        self._find_record = find_record

    def __call__(self, api_key: str) -> L2Credentials | None:
        record = self._find_record(api_key)
        if record is None:
            return None
        creds = _derive(self._master_secret, record.address, record.nonce)
        if not (
            hmac.compare_digest(creds.api_key, api_key)
            and hmac.compare_digest(passphrase_hash(creds.passphrase), record.passphrase_hash)
        ):
            return None
        return L2Credentials(creds.api_key, record.address, creds.secret, creds.passphrase)
