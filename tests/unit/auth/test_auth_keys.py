"""API credentials derived from the master secret; what is stored; the resolver used by L2."""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid

import pytest

from clob.auth import (
    ApiCreds,
    ApiKeyRecord,
    CredentialResolver,
    L2Credentials,
    api_key_record,
    derive_api_creds,
    passphrase_hash,
    secret_fingerprint,
)

MASTER = bytes(range(32))
OTHER_MASTER = bytes(range(1, 33))
ALICE = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
BOB = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def test_credentials_have_the_polymarket_shapes() -> None:
    creds = derive_api_creds(MASTER, ALICE, 0)
    assert uuid.UUID(creds.api_key).version == 4
    assert str(uuid.UUID(creds.api_key)) == creds.api_key
    assert len(creds.secret) == 44
    assert creds.secret.endswith("=")
    assert len(base64.urlsafe_b64decode(creds.secret)) == 32  # what py-clob-client's HMAC decodes
    assert re.fullmatch(r"[0-9a-f]{64}", creds.passphrase)


def test_derivation_is_deterministic_and_case_insensitive() -> None:
    assert derive_api_creds(MASTER, ALICE, 3) == derive_api_creds(MASTER, ALICE.lower(), 3)
    assert derive_api_creds(bytearray(MASTER), ALICE.upper().replace("0X", "0x"), 3) == derive_api_creds(
        MASTER, ALICE, 3
    )


def test_every_part_changes_with_address_nonce_or_master() -> None:
    base = derive_api_creds(MASTER, ALICE, 0)
    for other in (
        derive_api_creds(MASTER, ALICE, 1),
        derive_api_creds(MASTER, BOB, 0),
        derive_api_creds(OTHER_MASTER, ALICE, 0),
    ):
        assert other.api_key != base.api_key
        assert other.secret != base.secret
        assert other.passphrase != base.passphrase
    parts = [base.api_key.replace("-", ""), base64.urlsafe_b64decode(base.secret).hex(), base.passphrase]
    assert len({p[:16] for p in parts}) == 3  # the three are independent derivations


@pytest.mark.parametrize(
    ("master", "address", "nonce", "message"),
    [
        (b"short", ALICE, 0, "at least 32 bytes"),
        (MASTER, "0x1234", 0, "40 hex digits"),
        (MASTER, ALICE, -1, "uint256"),
        (MASTER, ALICE, 2**256, "uint256"),
    ],
)
def test_bad_derivation_input(master: bytes, address: str, nonce: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        derive_api_creds(master, address, nonce)


def test_the_stored_record_holds_no_usable_secret() -> None:
    record, creds = api_key_record(MASTER, ALICE, 2)
    assert record == ApiKeyRecord(creds.api_key, ALICE.lower(), 2, passphrase_hash(creds.passphrase))
    stored = repr(dataclasses.astuple(record))
    assert creds.secret not in stored
    assert creds.passphrase not in stored
    assert base64.urlsafe_b64decode(creds.secret).hex() not in stored
    assert {f.name for f in dataclasses.fields(ApiKeyRecord)} == {"api_key", "address", "nonce", "passphrase_hash"}


def test_fingerprint_is_short_stable_and_not_the_secret() -> None:
    creds = derive_api_creds(MASTER, ALICE, 0)
    assert secret_fingerprint(creds.secret) == secret_fingerprint(creds.secret)
    assert len(secret_fingerprint(creds.secret)) == 16
    assert secret_fingerprint(creds.secret) not in creds.secret


class _Store:
    def __init__(self) -> None:
        self.records: dict[str, ApiKeyRecord] = {}

    def add(self, address: str, nonce: int) -> ApiCreds:
        record, creds = api_key_record(MASTER, address, nonce)
        self.records[record.api_key] = record
        return creds

    def find(self, api_key: str) -> ApiKeyRecord | None:
        return self.records.get(api_key)


def test_resolver_recomputes_credentials_from_the_record() -> None:
    store = _Store()
    creds = store.add(ALICE, 0)
    resolve = CredentialResolver(MASTER, store.find)
    assert resolve(creds.api_key) == L2Credentials(creds.api_key, ALICE.lower(), creds.secret, creds.passphrase)
    assert resolve(str(uuid.uuid4())) is None


def test_deleting_the_record_revokes_at_once() -> None:
    store = _Store()
    creds = store.add(ALICE, 0)
    resolve = CredentialResolver(MASTER, store.find)
    assert resolve(creds.api_key) is not None
    del store.records[creds.api_key]
    assert resolve(creds.api_key) is None


def test_records_that_do_not_match_the_derivation_are_unknown() -> None:
    store = _Store()
    creds = store.add(ALICE, 0)
    record = store.records[creds.api_key]
    # someone rewrote the row to point Alice's key id at Bob's wallet
    store.records[creds.api_key] = dataclasses.replace(record, address=BOB.lower())
    assert CredentialResolver(MASTER, store.find)(creds.api_key) is None
    # or the passphrase hash does not match
    store.records[creds.api_key] = dataclasses.replace(record, passphrase_hash="00" * 32)
    assert CredentialResolver(MASTER, store.find)(creds.api_key) is None
    # or the server runs with another master secret: every stored key is void
    store.records[creds.api_key] = record
    assert CredentialResolver(OTHER_MASTER, store.find)(creds.api_key) is None


def test_resolver_rejects_a_short_master_secret() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CredentialResolver(b"x" * 31, _Store().find)
