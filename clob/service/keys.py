"""API keys: creation and derivation (L1), lookup for L2, listing and revocation, and the master secret.

Credentials are derived from the server's master secret (`clob.auth.keys`); the ``api_keys`` table stores only the
record (key id, address, nonce, passphrase hash). This module owns that table:

- ``create`` (POST /auth/api-key) is idempotent per (address, nonce): the same wallet and nonce always get the same
  credentials, and a second create returns them again (a revoked key is re-activated).
- ``derive`` (GET /auth/derive-api-key) returns the credentials only if the key exists and is active; otherwise it
  raises ``API_KEY_NOT_FOUND`` (our choice, documented in docs/api.md: py-clob-client's
  ``create_or_derive_api_creds`` calls create first, so it never depends on derive creating keys).
- L2 lookups go through an in-memory cache of records. In the embedded mode this process is the only writer of the
  table, so the cache is exact: ``delete`` drops the entry at once and the key stops working on the next request.
  Where several API gateways share the table (distributed mode) each entry, found or not, is trusted for
  ``cache_ttl_s`` only: a key revoked through one gateway stops working on the others within that time, and a key
  created through one works on the others at once (a miss is not remembered longer than the TTL either).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

from sqlalchemy import insert, select, update

from clob.auth import ApiCreds, ApiKeyRecord, CredentialResolver, L1Identity, L2Credentials, api_key_record
from clob.auth.keys import MIN_MASTER_SECRET_BYTES
from clob.service.errors import ErrorCode, ServiceError
from orders.model import Address
from store.db import Database
from store.schema import api_keys


def load_master_secret(secret_hex: str, path: Path) -> bytes:
    """The master secret from hex (if given), else from ``path`` — created with 32 random bytes, mode 0600."""
    if secret_hex:
        secret = bytes.fromhex(secret_hex.removeprefix("0x"))
    elif path.exists():
        secret = bytes.fromhex(path.read_text().strip())
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret.hex() + "\n")
    if len(secret) < MIN_MASTER_SECRET_BYTES:
        raise ValueError(f"the master secret must have at least {MIN_MASTER_SECRET_BYTES} bytes")
    return secret


class KeyStore:
    """The ``api_keys`` table plus an in-memory cache of records (exact, or for ``cache_ttl_s`` when shared)."""

    def __init__(self, db: Database, master_secret: bytes, cache_ttl_s: float | None = None) -> None:
        self._db = db
        self._master = master_secret
        self._lock = threading.Lock()
        self._cache: dict[str, ApiKeyRecord | None] = {}
        self._ttl = cache_ttl_s
        self._cached_at: dict[str, float] = {}
        self.resolve = CredentialResolver(master_secret, self._find_record)
        """``api_key -> L2Credentials | None``, the ``lookup_creds`` of `clob.auth.verify_l2`."""
        self.resolve_any = CredentialResolver(master_secret, self._find_any_record)
        """The same, revoked keys included (uncached): what deleting a key authenticates with."""

    def _find_record(self, api_key: str) -> ApiKeyRecord | None:
        with self._lock:
            if api_key in self._cache and (
                self._ttl is None or time.monotonic() - self._cached_at.get(api_key, 0.0) < self._ttl
            ):
                return self._cache[api_key]
        if len(api_key) > 36:
            return None
        with self._db.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.address, api_keys.c.nonce, api_keys.c.passphrase_hash).where(
                    api_keys.c.api_key == api_key, api_keys.c.revoked.is_(False)
                )
            ).first()
        record = (
            None if row is None else ApiKeyRecord(api_key, Address(row.address), int(row.nonce), row.passphrase_hash)
        )
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
                self._cached_at.clear()
            self._cache[api_key] = record
            self._cached_at[api_key] = time.monotonic()
        return record

    def _find_any_record(self, api_key: str) -> ApiKeyRecord | None:
        if len(api_key) > 36:
            return None
        with self._db.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.address, api_keys.c.nonce, api_keys.c.passphrase_hash).where(
                    api_keys.c.api_key == api_key
                )
            ).first()
        return None if row is None else ApiKeyRecord(api_key, Address(row.address), int(row.nonce), row.passphrase_hash)

    def create(self, identity: L1Identity) -> ApiCreds:
        """The credentials of (address, nonce), storing (or re-activating) their record."""
        record, creds = api_key_record(self._master, identity.address, identity.nonce)
        replaced: str | None = None
        with self._db.engine.begin() as conn:
            row = conn.execute(
                select(api_keys.c.api_key, api_keys.c.revoked).where(
                    api_keys.c.address == record.address, api_keys.c.nonce == record.nonce
                )
            ).first()
            if row is None:
                conn.execute(
                    insert(api_keys).values(
                        api_key=record.api_key,
                        address=record.address,
                        nonce=record.nonce,
                        passphrase_hash=record.passphrase_hash,
                        created_at_ms=int(time.time() * 1000),
                        revoked=False,
                    )
                )
            elif row.revoked or row.api_key != record.api_key:  # revoked, or minted under another master secret
                replaced = row.api_key
                conn.execute(
                    update(api_keys)
                    .where(api_keys.c.api_key == row.api_key)
                    .values(api_key=record.api_key, passphrase_hash=record.passphrase_hash, revoked=False)
                )
        with self._lock:
            if replaced is not None:
                self._cache.pop(replaced, None)
            self._cache[record.api_key] = record
            self._cached_at[record.api_key] = time.monotonic()
        return creds

    def derive(self, identity: L1Identity) -> ApiCreds:
        """The credentials of an existing, active key of (address, nonce)."""
        record, creds = api_key_record(self._master, identity.address, identity.nonce)
        if self._find_record(record.api_key) is None:
            raise ServiceError(
                ErrorCode.API_KEY_NOT_FOUND,
                "Could not derive api key! No API key exists for this address and nonce; create one first",
            )
        return creds

    def authenticate(self, api_key: str) -> L2Credentials | None:
        return self.resolve(api_key)

    def list_keys(self, address: str) -> list[str]:
        with self._db.engine.connect() as conn:
            rows = conn.execute(
                select(api_keys.c.api_key)
                .where(api_keys.c.address == address.lower(), api_keys.c.revoked.is_(False))
                .order_by(api_keys.c.created_at_ms, api_keys.c.api_key)
            ).all()
        return [r.api_key for r in rows]

    def delete(self, api_key: str) -> None:
        """Revoke a key: it stops authenticating at once."""
        with self._db.engine.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.api_key == api_key).values(revoked=True))
        with self._lock:
            self._cache[api_key] = None
            self._cached_at[api_key] = time.monotonic()
