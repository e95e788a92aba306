"""Test doubles and helpers for the API unit tests: a fake chain, traders that sign like the official clients
(with ``clob.client``'s header and body helpers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from clob.client import Creds, l1_headers, l2_headers, order_body
from clob.service.chain_view import UNLIMITED, Holding
from orders import (
    ZERO_ADDRESS,
    ExchangeDomain,
    Order,
    Side,
    SignatureType,
    TickSize,
    address_of,
    build_limit_amounts,
    checksum_address,
    sign_order,
)

CHAIN_ID = 31337
EXCHANGE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DOMAIN = ExchangeDomain(CHAIN_ID, EXCHANGE)
ADMIN_TOKEN = "admin-secret-token"
MASTER_SECRET = bytes(range(32))
CONDITION = "0x" + "c0" * 32
YES, NO = 1111, 2222
OTHER_CONDITION = "0x" + "d0" * 32
USDC = 1_000_000


@dataclass
class FakeChain:
    """`ChainState` with settable balances, allowances and nonces (everything funded and approved by default)."""

    holdings: dict[tuple[str, int], Holding] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)
    default: Holding = field(default_factory=lambda: Holding(10_000 * USDC, UNLIMITED))
    reads: int = 0

    def holding(self, address: str, asset_id: int) -> Holding:
        self.reads += 1
        return self.holdings.get((address.lower(), asset_id), self.default)

    def nonce(self, address: str) -> int:
        return self.nonces.get(address.lower(), 0)


@dataclass
class Trader:
    """A wallet with API credentials talking to the app like py-clob-client (compact JSON, HMAC over the path)."""

    client: TestClient
    key: str
    creds: dict[str, str] = field(default_factory=dict)
    salt: int = 1

    @property
    def address(self) -> str:
        return address_of(self.key)

    def login(self, nonce: int = 0) -> Trader:
        response = self.client.post("/auth/api-key", headers=l1_headers(self.key, CHAIN_ID, nonce))
        assert response.status_code == 200, response.text
        self.creds = response.json()
        return self

    def headers(self, method: str, path: str, body: str = "", timestamp: int | None = None) -> dict[str, str]:
        creds = Creds.from_json(self.creds)
        return l2_headers(checksum_address(self.address), creds, method, path, body or None, timestamp)

    def request(self, method: str, path: str, body: Any = None, *, query: str = "", **kw: Any) -> Response:
        text = "" if body is None else json.dumps(body, separators=(",", ":"))
        headers = self.headers(method, path, text, kw.pop("timestamp", None))
        headers.update(kw.pop("headers", {}))
        url = path + (f"?{query}" if query else "")
        response: Response = self.client.request(method, url, content=text or None, headers=headers, **kw)
        return response

    def order(
        self,
        token: int,
        side: Side,
        price: str,
        size: str,
        *,
        tick: TickSize = TickSize.TICK_0_01,
        domain: ExchangeDomain = DOMAIN,
        amounts: tuple[int, int] | None = None,
        **fields: Any,
    ) -> Order:
        maker_amount, taker_amount = amounts or build_limit_amounts(side, price, size, tick, exact=True)
        signing_key = fields.pop("signing_key", self.key)
        self.salt += 1
        values: dict[str, Any] = {
            "salt": self.salt,
            "maker": self.address,
            "signer": self.address,
            "taker": ZERO_ADDRESS,
            "token_id": token,
            "maker_amount": maker_amount,
            "taker_amount": taker_amount,
            "expiration": 0,
            "nonce": 0,
            "fee_rate_bps": 0,
            "side": side,
            "signature_type": SignatureType.EOA,
        }
        values.update(fields)
        return sign_order(Order(**values), signing_key, domain)

    def body(
        self, order: Order, order_type: str = "GTC", post_only: bool = False, owner: str | None = None
    ) -> dict[str, Any]:
        return order_body(order, owner or self.creds["apiKey"], order_type, post_only)

    def place(self, order: Order, order_type: str = "GTC", **kw: Any) -> Response:
        return self.request("POST", "/order", self.body(order, order_type, **kw))


def create_market(client: TestClient, condition: str = CONDITION, yes: int = YES, no: int = NO, **kw: Any) -> Any:
    body = {
        "condition_id": condition,
        "question_id": "0x" + "0a" * 32,
        "yes_token_id": str(yes),
        "no_token_id": str(no),
        "tick_size": "0.01",
        "min_order_size": "5",
        "fee_rate_bps": 0,
        "question": "Will the tests pass?",
        "market_slug": "tests-pass",
    }
    body.update(kw)
    response = client.post("/admin/markets", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()
