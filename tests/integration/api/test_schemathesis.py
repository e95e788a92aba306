"""schemathesis over /openapi.json against a real uvicorn server: no generated request gets a 5xx.

Requests are generated from the live schema, valid (positive) and schema-violating (negative), for every
operation. Each is signed with valid L2 headers (and the admin token on /admin), so fuzzed bodies get past
authentication into order intake, cancels and queries instead of stopping at a 401. Every answer must be below 500,
and every error must be Polymarket's ``{"error": ...}``.

``POLYCLOB_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 8). The CLI equivalent, without
signatures, is ``schemathesis run http://127.0.0.1:8080/openapi.json --checks not_a_server_error``.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

from chain.markets import Market
from clob.client import Creds, l1_headers, l2_headers, order_body
from clob.settings import Settings
from orders import (
    ZERO_ADDRESS,
    Order,
    Side,
    SignatureType,
    TickSize,
    address_of,
    build_limit_amounts,
    checksum_address,
    sign_order,
)
from tests.integration.api.live import ADMIN_TOKEN, MASTER_SECRET_HEX, live_server, open_market
from tests.unit.api.support import DOMAIN, EXCHANGE

EXAMPLES = int(os.environ.get("POLYCLOB_FUZZ_EXAMPLES", "8"))
KEY = "0x" + "77" * 32


def _creds(base: str) -> Creds:
    response = httpx.post(f"{base}/auth/api-key", headers=l1_headers(KEY, 31337))
    assert response.status_code == 200, response.text
    return Creds.from_json(response.json())


def test_no_server_errors(tmp_path: Path) -> None:
    settings_ = Settings(
        database_url=f"sqlite:///{tmp_path / 'fuzz.db'}",
        sqlite_synchronous="NORMAL",
        chain_id=31337,
        manifest_path=tmp_path / "none.json",
        exchange_address=EXCHANGE,
        master_secret_hex=MASTER_SECRET_HEX,
        admin_token=ADMIN_TOKEN,
        check_balances=False,
    )
    with live_server(settings_) as base, httpx.Client(base_url=base, timeout=30) as http:
        market = Market(bytes.fromhex("fa" * 32), 5551, 5552)
        open_market(base, market)
        creds = _creds(base)
        seed_book(http, creds, market)
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) > 30
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(http, creds, operation, mode, failures)
        assert failures == [], "\n".join(failures[:20])


def seed_book(http: httpx.Client, creds: Creds, market: Market) -> None:
    """A couple of resting orders, so that book, price and order reads have something to show."""
    me = address_of(KEY)
    for salt, (side, price) in enumerate(((Side.BUY, "0.40"), (Side.SELL, "0.60"))):
        maker_amount, taker_amount = build_limit_amounts(side, price, "10", TickSize.TICK_0_01, exact=True)
        order = Order(
            salt, me, me, ZERO_ADDRESS, market.yes, maker_amount, taker_amount, 0, 0, 0, side, SignatureType.EOA
        )
        body = json.dumps(order_body(sign_order(order, KEY, DOMAIN), creds.api_key), separators=(",", ":"))
        headers = signed(creds, "POST", "/order", body)
        assert http.post("/order", content=body, headers=headers).status_code == 200


def signed(creds: Creds, method: str, path: str, body: str | bytes | None) -> dict[str, str]:
    return {
        **l2_headers(checksum_address(address_of(KEY)), creds, method, path, body),
        "Content-Type": "application/json",
    }


def fuzz(http: httpx.Client, creds: Creds, operation: Any, mode: GenerationMode, failures: list[str]) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        body: str | bytes | None = None
        if isinstance(case.body, bytes):  # a payload that is not JSON at all
            body = case.body
        elif case.body is not NOT_SET:
            body = json.dumps(case.body, separators=(",", ":"))
        url = http.build_request(case.method, case.formatted_path).url
        headers = {k: str(v) for k, v in (case.headers or {}).items()}
        headers.update(signed(creds, case.method.upper(), url.raw_path.decode("ascii").partition("?")[0], body))
        if case.formatted_path.startswith("/admin"):
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        response = http.request(case.method, url, params=case.query or None, content=body, headers=headers)
        where = f"{case.method.upper()} {case.formatted_path} {case.query} {body!r:.300}"
        if response.status_code >= 500:
            failures.append(f"{response.status_code} for {where}: {response.text[:200]}")
        elif response.status_code >= 400:
            payload = response.json()
            if not (isinstance(payload, dict) and set(payload) == {"error"}):
                failures.append(f"error without the {{'error'}} shape for {where}: {response.text[:200]}")

    with contextlib.suppress(Unsatisfiable):  # negative mode on an operation with nothing to violate (GET /)
        run()
