"""`Access`: who is calling — L1 (wallet-signed) and L2 (API key HMAC) authentication, API keys, the admin token."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping

from clob.auth import ApiCreds, AuthError, L1Identity, L2Credentials, verify_l1_headers, verify_l2
from clob.service.errors import ErrorCode, ServiceError
from clob.service.keys import KeyStore

_KEY_DELETION = ("DELETE", "/auth/api-key")
"""Authenticated by revoked keys too, so that a retried deletion answers as the first one did."""


class Access:
    """The auth routes and the checks every authenticated route runs first."""

    def __init__(
        self,
        keys: KeyStore,
        chain_id: int,
        auth_window_s: int = 300,
        admin_token: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.chain_id = chain_id
        self.auth_window_s = auth_window_s
        self.admin_token = admin_token
        self.clock = clock

    def authenticate_l1(self, headers: Mapping[str, str]) -> L1Identity:
        try:
            return verify_l1_headers(headers, self.chain_id, int(self.clock()), self.auth_window_s)
        except AuthError as exc:
            raise ServiceError(ErrorCode.INVALID_L1_HEADERS, exc.public_message) from None

    def authenticate_l2(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> L2Credentials:
        """Check the HMAC headers and the timestamp window. The same signed request may come again (a client's
        retry, py-clob-client's one signature for every page, two identical cancel-alls in one second): every
        operation is idempotent instead (docs/api.md, "Retries"), so a repeat is served, never refused. Deleting
        an API key accepts the key once revoked, so a retried deletion answers "OK" again."""
        lookup = self.keys.resolve_any if (method.upper(), path) == _KEY_DELETION else self.keys.resolve
        try:
            return verify_l2(headers, method, path, body, lookup, int(self.clock()), self.auth_window_s)
        except AuthError as exc:
            raise ServiceError(ErrorCode.UNAUTHORIZED, exc.public_message) from None

    def create_api_key(self, identity: L1Identity) -> ApiCreds:
        return self.keys.create(identity)

    def derive_api_key(self, identity: L1Identity) -> ApiCreds:
        return self.keys.derive(identity)

    def list_api_keys(self, creds: L2Credentials) -> list[str]:
        return self.keys.list_keys(creds.address)

    def delete_api_key(self, creds: L2Credentials) -> None:
        self.keys.delete(creds.api_key)

    def check_admin(self, token: str | None) -> None:
        if not self.admin_token or not token or not hmac.compare_digest(token.encode(), self.admin_token.encode()):
            raise ServiceError(ErrorCode.ADMIN_UNAUTHORIZED, "Unauthorized")
