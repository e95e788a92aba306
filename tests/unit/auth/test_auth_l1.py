"""L1 (ClobAuth EIP-712) against the golden vectors, eth-account and py-clob-client's own headers."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from py_clob_client.headers.headers import create_level_1_headers
from py_clob_client.signer import Signer as ClientSigner

from clob.auth import CLOB_AUTH_MESSAGE, AuthError, AuthErrorCode, L1Identity, clob_auth_digest, verify_l1_headers
from clob.auth.errors import L1_PUBLIC_MESSAGE
from orders import sign_digest
from orders.keccak import keccak
from tests.unit.orders.vectors import vectors

CLOB_AUTH_VECTORS: list[dict[str, Any]] = vectors()["clob_auth"]
KEY = "0x" + "11" * 32
ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


def _headers(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "POLY_ADDRESS": entry["address"],
        "POLY_SIGNATURE": entry["signature"],
        "POLY_TIMESTAMP": entry["timestamp"],
        "POLY_NONCE": str(entry["nonce"]),
    }


def _reference_digest(chain_id: int, address: str, timestamp: str, nonce: int) -> bytes:
    signable = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                ],
                "ClobAuth": [
                    {"name": "address", "type": "address"},
                    {"name": "timestamp", "type": "string"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "message", "type": "string"},
                ],
            },
            "primaryType": "ClobAuth",
            "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": chain_id},
            "message": {"address": address, "timestamp": timestamp, "nonce": nonce, "message": CLOB_AUTH_MESSAGE},
        }
    )
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_vectors_cover_several_chains_and_nonces() -> None:
    assert {e["chain_id"] for e in CLOB_AUTH_VECTORS} >= {137, 31337, 80002}
    assert len({e["nonce"] for e in CLOB_AUTH_VECTORS}) > 1


@pytest.mark.parametrize("entry", CLOB_AUTH_VECTORS, ids=lambda e: f"{e['chain_id']}-{e['nonce']}-{e['timestamp']}")
def test_golden_clob_auth_signature(entry: dict[str, Any]) -> None:
    digest = clob_auth_digest(entry["chain_id"], entry["address"], entry["timestamp"], entry["nonce"])
    assert digest == _reference_digest(entry["chain_id"], entry["address"], entry["timestamp"], entry["nonce"])
    assert "0x" + sign_digest(digest, entry["private_key"]).hex() == entry["signature"]
    identity = verify_l1_headers(_headers(entry), entry["chain_id"], now=int(entry["timestamp"]), window_s=30)
    assert identity == L1Identity(entry["address"].lower(), entry["nonce"])


def test_header_names_and_address_case_do_not_matter() -> None:
    entry = CLOB_AUTH_VECTORS[1]
    headers = {k.lower(): v for k, v in _headers(entry).items()}
    headers["poly_address"] = entry["address"].lower()  # the rs client sends it lower-case
    headers["Poly-Signature"] = headers.pop("poly_signature")
    identity = verify_l1_headers(headers, entry["chain_id"], now=int(entry["timestamp"]) + 10, window_s=30)
    assert identity.address == entry["address"].lower()


def test_missing_nonce_defaults_to_zero() -> None:
    entry = next(e for e in CLOB_AUTH_VECTORS if e["nonce"] == 0)
    headers = _headers(entry)
    del headers["POLY_NONCE"]
    assert verify_l1_headers(headers, entry["chain_id"], now=int(entry["timestamp"])).nonce == 0


def test_py_clob_client_l1_headers_are_accepted() -> None:
    for chain_id in (137, 31337):
        headers = create_level_1_headers(ClientSigner(KEY, chain_id), nonce=7)
        identity = verify_l1_headers(headers, chain_id, now=int(headers["POLY_TIMESTAMP"]))
        assert identity == L1Identity(ADDRESS.lower(), 7)


def _l1_error(headers: dict[str, str], chain_id: int, now: int, window_s: int = 300) -> AuthError:
    with pytest.raises(AuthError) as info:
        verify_l1_headers(headers, chain_id, now, window_s)
    assert info.value.level == 1
    assert info.value.public_message == L1_PUBLIC_MESSAGE
    return info.value


ENTRY = CLOB_AUTH_VECTORS[0]
NOW = int(ENTRY["timestamp"])


@pytest.mark.parametrize("missing", ["POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP"])
def test_missing_header(missing: str) -> None:
    headers = _headers(ENTRY)
    del headers[missing]
    error = _l1_error(headers, ENTRY["chain_id"], NOW)
    assert error.code == AuthErrorCode.MISSING_HEADERS
    assert missing in error.message


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_stale_timestamp(skew: int) -> None:
    error = _l1_error(_headers(ENTRY), ENTRY["chain_id"], NOW + skew)
    assert error.code == AuthErrorCode.STALE_TIMESTAMP
    assert "300s" in error.message


@pytest.mark.parametrize("stamp", ["", "17e8", "-1", "1700000000.5", "9" * 20])
def test_malformed_timestamp(stamp: str) -> None:
    headers = {**_headers(ENTRY), "POLY_TIMESTAMP": stamp}
    code = AuthErrorCode.MISSING_HEADERS if stamp == "" else AuthErrorCode.INVALID_TIMESTAMP
    assert _l1_error(headers, ENTRY["chain_id"], NOW).code == code


def test_wrong_chain_id_is_an_address_mismatch() -> None:
    chain_id = 1 if ENTRY["chain_id"] != 1 else 137
    assert _l1_error(_headers(ENTRY), chain_id, NOW).code == AuthErrorCode.ADDRESS_MISMATCH


def test_other_nonce_or_address_is_an_address_mismatch() -> None:
    headers = {**_headers(ENTRY), "POLY_NONCE": str(ENTRY["nonce"] + 1)}
    assert _l1_error(headers, ENTRY["chain_id"], NOW).code == AuthErrorCode.ADDRESS_MISMATCH
    headers = {**_headers(ENTRY), "POLY_ADDRESS": Account.from_key("0x" + "22" * 32).address}
    assert _l1_error(headers, ENTRY["chain_id"], NOW).code == AuthErrorCode.ADDRESS_MISMATCH


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        ("0x1234", AuthErrorCode.BAD_SIGNATURE),
        ("not hex", AuthErrorCode.BAD_SIGNATURE),
        (ENTRY["signature"][:-2] + "00", AuthErrorCode.BAD_SIGNATURE),  # v = 0
        (
            ENTRY["signature"][:-2] + ("1c" if ENTRY["signature"].endswith("1b") else "1b"),
            AuthErrorCode.ADDRESS_MISMATCH,
        ),
    ],
)
def test_bad_signature(signature: str, code: AuthErrorCode) -> None:
    headers = {**_headers(ENTRY), "POLY_SIGNATURE": signature}
    assert _l1_error(headers, ENTRY["chain_id"], NOW).code == code


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("POLY_ADDRESS", "0x1234", AuthErrorCode.INVALID_ADDRESS),
        ("POLY_NONCE", "-1", AuthErrorCode.INVALID_NONCE),
        ("POLY_NONCE", str(2**256), AuthErrorCode.INVALID_NONCE),
    ],
)
def test_malformed_address_or_nonce(header: str, value: str, code: AuthErrorCode) -> None:
    assert _l1_error({**_headers(ENTRY), header: value}, ENTRY["chain_id"], NOW).code == code
