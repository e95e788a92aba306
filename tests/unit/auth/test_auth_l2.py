"""L2 HMAC: golden vectors, py-clob-client's headers, the quote rule, and each precise rejection."""

from __future__ import annotations

import json
from typing import Any

import pytest
from py_clob_client.clob_types import ApiCreds as ClientApiCreds
from py_clob_client.clob_types import RequestArgs
from py_clob_client.headers.headers import create_level_2_headers
from py_clob_client.signer import Signer as ClientSigner
from py_clob_client.signing.hmac import build_hmac_signature as client_hmac

from clob.auth import (
    L2_PUBLIC_MESSAGE,
    AuthError,
    AuthErrorCode,
    CredentialResolver,
    L2Credentials,
    api_key_record,
    build_hmac_signature,
    verify_l2,
)
from tests.unit.orders.vectors import vectors

HMAC_VECTORS: list[dict[str, Any]] = vectors()["hmac"]
ZERO_SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
MASTER = b"m" * 32
KEY = "0x" + "11" * 32
ALICE = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
RECORD, CREDS = api_key_record(MASTER, ALICE, 0)
RESOLVE = CredentialResolver(MASTER, {RECORD.api_key: RECORD}.get)
NOW = 1_764_400_000


@pytest.mark.parametrize("entry", HMAC_VECTORS, ids=lambda e: f"{e['method']}-{e['path']}-{e['timestamp']}")
def test_golden_hmac_vectors(entry: dict[str, Any]) -> None:
    assert (
        build_hmac_signature(entry["secret"], entry["timestamp"], entry["method"], entry["path"], entry["body"])
        == entry["signature"]
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"hash": "0x123"}', "ZwAdJKvoYRlEKDkNMwd5BuwNNtg93kNaR_oU2HrfVvc="),  # py and TS tests
        ('{"hash":"0x123"}', "4gJVbox-R6XlDK4nlaicig0_ANVL1qdcahiL8CXfXLM="),  # rs test
    ],
)
def test_protocol_doc_vectors_with_body(body: str, expected: str) -> None:
    assert build_hmac_signature(ZERO_SECRET, 1000000, "test-sign", "/orders", body) == expected


def test_protocol_doc_vector_without_body() -> None:
    expected = "9-I3DmVY9ObJ6EVf_KvrHpUWMOQJXiAjR5z7fO8qnPw="
    assert build_hmac_signature(ZERO_SECRET, 1000000, "GET", "/data/orders") == expected
    assert build_hmac_signature(ZERO_SECRET, "1000000", "GET", "/data/orders", "") == expected
    assert build_hmac_signature(ZERO_SECRET, 1000000, "GET", "/data/orders", b"") == expected


def _headers(
    method: str, path: str, body: str | None, *, ts: int = NOW, creds: L2Credentials | None = None
) -> dict[str, str]:
    c = creds or RESOLVE(CREDS.api_key)
    assert c is not None
    return {
        "POLY_ADDRESS": ALICE,
        "POLY_SIGNATURE": build_hmac_signature(c.secret, ts, method, path, body),
        "POLY_TIMESTAMP": str(ts),
        "POLY_API_KEY": c.api_key,
        "POLY_PASSPHRASE": c.passphrase,
    }


def test_py_clob_client_l2_headers_are_accepted_for_its_exact_bytes() -> None:
    body = [{"orderID": "0xabc", "note": "naïve"}]
    serialized = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    client_creds = ClientApiCreds(CREDS.api_key, CREDS.secret, CREDS.passphrase)
    headers = create_level_2_headers(
        ClientSigner(KEY, 137), client_creds, RequestArgs("DELETE", "/orders", body, serialized)
    )
    now = int(headers["POLY_TIMESTAMP"])
    creds = verify_l2(headers, "DELETE", "/orders", serialized.encode("utf-8"), RESOLVE, now)
    assert creds.address == ALICE.lower()
    get_headers = create_level_2_headers(ClientSigner(KEY, 137), client_creds, RequestArgs("GET", "/data/orders"))
    verify_l2(get_headers, "GET", "/data/orders?next_cursor=MA==", b"", RESOLVE, now)  # query is not signed


def test_lower_case_header_names_and_address_are_accepted() -> None:
    headers = {k.lower(): v for k, v in _headers("GET", "/auth/api-keys", None).items()}
    headers["poly_address"] = ALICE.lower()
    assert verify_l2(headers, "get", "/auth/api-keys", None, RESOLVE, NOW).api_key == CREDS.api_key


def test_body_with_single_quotes_is_accepted_as_py_rs_and_as_ts_sign_it() -> None:
    raw = b'{"note":"it\'s"}'
    creds = RESOLVE(CREDS.api_key)
    assert creds is not None
    py_style = client_hmac(creds.secret, str(NOW), "POST", "/order", raw.decode())  # replaces ' with "
    ts_style = build_hmac_signature(creds.secret, NOW, "POST", "/order", raw)  # verbatim
    assert py_style != ts_style
    for signature in (py_style, ts_style):
        headers = {**_headers("POST", "/order", None), "POLY_SIGNATURE": signature}
        verify_l2(headers, "POST", "/order", raw, RESOLVE, NOW)


def test_the_same_signature_is_accepted_again_within_the_window() -> None:
    headers = _headers("GET", "/data/trades", None)
    for page in ("MA==", "MTAw", "MjAw"):  # py-clob-client reuses one set of headers for every page
        verify_l2(headers, "GET", f"/data/trades?next_cursor={page}", None, RESOLVE, NOW + 5)


def _l2_error(headers: dict[str, str], method: str = "POST", path: str = "/order", body: bytes = b"{}") -> AuthError:
    with pytest.raises(AuthError) as info:
        verify_l2(headers, method, path, body, RESOLVE, NOW)
    assert info.value.public_message == L2_PUBLIC_MESSAGE == "Unauthorized/Invalid api key"
    return info.value


@pytest.mark.parametrize(
    "missing", ["POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_API_KEY", "POLY_PASSPHRASE"]
)
def test_missing_header(missing: str) -> None:
    headers = _headers("POST", "/order", "{}")
    del headers[missing]
    error = _l2_error(headers)
    assert error.code == AuthErrorCode.MISSING_HEADERS
    assert missing in error.message


def test_unknown_api_key() -> None:
    other_record, other = api_key_record(b"o" * 32, ALICE, 0)
    forged = L2Credentials(other.api_key, other_record.address, other.secret, other.passphrase)
    assert _l2_error(_headers("POST", "/order", "{}", creds=forged)).code == AuthErrorCode.UNKNOWN_API_KEY


def test_passphrase_mismatch() -> None:
    headers = {**_headers("POST", "/order", "{}"), "POLY_PASSPHRASE": "0" * 64}
    assert _l2_error(headers).code == AuthErrorCode.PASSPHRASE_MISMATCH


def test_address_mismatch_another_wallet_using_alices_key() -> None:
    headers = {**_headers("POST", "/order", "{}"), "POLY_ADDRESS": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"}
    assert _l2_error(headers).code == AuthErrorCode.ADDRESS_MISMATCH


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_timestamp(skew: int) -> None:
    error = _l2_error(_headers("POST", "/order", "{}", ts=NOW + skew))
    assert error.code == AuthErrorCode.STALE_TIMESTAMP


def test_invalid_timestamp() -> None:
    headers = {**_headers("POST", "/order", "{}"), "POLY_TIMESTAMP": "soon"}
    assert _l2_error(headers).code == AuthErrorCode.INVALID_TIMESTAMP


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/order", b"{}"),  # another method
        ("POST", "/orders", b"{}"),  # another path
        ("POST", "/order", b'{"x":1}'),  # another body
        ("POST", "/order", b""),  # body dropped
    ],
)
def test_signature_over_something_else_is_rejected(method: str, path: str, body: bytes) -> None:
    error = _l2_error(_headers("POST", "/order", "{}"), method, path, body)
    assert error.code == AuthErrorCode.BAD_SIGNATURE


def test_garbage_signature_is_rejected() -> None:
    for garbage in ("x", "é" * 44, "A" * 44):
        headers = {**_headers("POST", "/order", "{}"), "POLY_SIGNATURE": garbage}
        assert _l2_error(headers).code == AuthErrorCode.BAD_SIGNATURE
