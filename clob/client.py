"""A small client for our own API, for the demo stack, scripts and benchmarks (Polymarket's py-clob-client works
too — the tests prove it — but it is a test-only dependency and hard-codes Polygon's contract addresses).

    client = ClobHttpClient("http://127.0.0.1:8080", key, chain_id, exchange)
    client.create_api_key()                       # L1: wallet-signed ClobAuth
    client.post_order(client.limit_order(token_id, "BUY", "0.45", "100"))   # L2: HMAC-signed
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from clob.auth import build_hmac_signature, clob_auth_digest
from orders import (
    Order,
    Side,
    SignatureType,
    TickSize,
    address_of,
    build_limit_amounts,
    checksum_address,
    normalize_address,
    order_to_json,
)
from orders.signing import ExchangeDomain, sign_digest, sign_order

ZERO = "0x0000000000000000000000000000000000000000"


class ClientError(Exception):
    """The server answered with an error: ``status`` and its ``{"error"}`` message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Creds:
    api_key: str
    secret: str
    passphrase: str

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Creds:
        """From the ``{"apiKey", "secret", "passphrase"}`` answer of POST /auth/api-key (or GET derive-api-key)."""
        return cls(data["apiKey"], data["secret"], data["passphrase"])


def _timestamp(timestamp: int | None) -> int:
    return int(time.time()) if timestamp is None else timestamp


def l1_headers(key: str, chain_id: int, nonce: int = 0, timestamp: int | None = None) -> dict[str, str]:
    """The L1 headers of the wallet ``key``: an EIP-712 ``ClobAuth`` signature (POST /auth/api-key, GET
    /auth/derive-api-key). ``timestamp`` defaults to now."""
    address = checksum_address(address_of(key))
    ts = str(_timestamp(timestamp))
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": "0x" + sign_digest(clob_auth_digest(chain_id, address, ts, nonce), key).hex(),
        "POLY_TIMESTAMP": ts,
        "POLY_NONCE": str(nonce),
    }


def l2_headers(
    address: str, creds: Creds, method: str, path: str, body: str | bytes | None, timestamp: int | None = None
) -> dict[str, str]:
    """The L2 headers of a request: the HMAC of ``timestamp + method + path + body`` under the API secret, as
    Polymarket's clients sign (``path`` without the query; ``body`` the exact bytes sent). ``address`` goes in
    ``POLY_ADDRESS`` as given; ``timestamp`` defaults to now."""
    ts = _timestamp(timestamp)
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": build_hmac_signature(creds.secret, ts, method, path, body),
        "POLY_TIMESTAMP": str(ts),
        "POLY_API_KEY": creds.api_key,
        "POLY_PASSPHRASE": creds.passphrase,
    }


def order_body(order: Order, owner: str, order_type: str = "GTC", post_only: bool = False) -> dict[str, Any]:
    """The POST /order body exactly as Polymarket's clients send it."""
    return {
        "order": order_to_json(order),
        "owner": owner,
        "orderType": order_type,
        "postOnly": post_only,
    }


class ClobHttpClient:
    """Signs and sends requests for one wallet."""

    def __init__(self, host: str, key: str, chain_id: int, exchange: str, timeout: float = 30.0) -> None:
        self.host = host.rstrip("/")
        self.key = key
        self.address = checksum_address(address_of(key))
        self.chain_id = chain_id
        self.domain = ExchangeDomain(chain_id, exchange)
        self.http = httpx.Client(base_url=self.host, timeout=timeout)
        self.creds: Creds | None = None

    # --- auth ------------------------------------------------------------------------------------------------
    def _l2_headers(self, method: str, path: str, body: str | None) -> dict[str, str]:
        if self.creds is None:
            raise RuntimeError("create or derive an API key first")
        return l2_headers(self.address, self.creds, method, path, body)

    def create_api_key(self, nonce: int = 0) -> Creds:
        headers = l1_headers(self.key, self.chain_id, nonce)
        self.creds = Creds.from_json(self._check(self.http.post("/auth/api-key", headers=headers)))
        return self.creds

    # --- requests --------------------------------------------------------------------------------------------
    def _check(self, resp: httpx.Response) -> Any:
        try:
            data = resp.json()
        except ValueError:
            data = resp.text
        if resp.status_code != 200:
            message = data.get("error", str(data)) if isinstance(data, dict) else str(data)
            raise ClientError(resp.status_code, message)
        return data

    def request(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        """An L2-authenticated request; the body is sent as the exact compact JSON that was signed."""
        text = None if body is None else json.dumps(body, separators=(",", ":"))
        headers = self._l2_headers(method, path, text)
        if text is not None:
            headers["Content-Type"] = "application/json"
        return self._check(self.http.request(method, path, content=text, headers=headers, params=params))

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """A public GET."""
        return self._check(self.http.get(path, params=params))

    # --- orders ----------------------------------------------------------------------------------------------
    def limit_order(
        self,
        token_id: int,
        side: str,
        price: str,
        size: str,
        tick: str = "0.01",
        fee_rate_bps: int = 0,
        expiration: int = 0,
        nonce: int = 0,
    ) -> Order:
        """A signed limit order with exact amounts (no float arithmetic)."""
        s = Side.BUY if side.upper() == "BUY" else Side.SELL
        maker_amount, taker_amount = build_limit_amounts(s, price, size, TickSize.parse(tick), exact=True)
        me = normalize_address(self.address)
        order = Order(
            salt=secrets.randbelow(2**32),
            maker=me,
            signer=me,
            taker=normalize_address(ZERO),
            token_id=token_id,
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            expiration=expiration,
            nonce=nonce,
            fee_rate_bps=fee_rate_bps,
            side=s,
            signature_type=SignatureType.EOA,
        )
        return sign_order(order, self.key, self.domain)

    def post_order(self, order: Order, order_type: str = "GTC", post_only: bool = False) -> Any:
        assert self.creds is not None
        return self.request("POST", "/order", order_body(order, self.creds.api_key, order_type, post_only))

    def post_orders(self, orders: list[Order], order_type: str = "GTC") -> Any:
        assert self.creds is not None
        return self.request("POST", "/orders", [order_body(o, self.creds.api_key, order_type) for o in orders])

    def close(self) -> None:
        self.http.close()
