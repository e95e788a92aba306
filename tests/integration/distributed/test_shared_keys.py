"""API keys shared by several gateways: a key created through one works on the others at once, even one that
looked it up (and missed) before; a key revoked through one stops working on the others within the cache TTL."""

from __future__ import annotations

import time

from clob.auth import L1Identity, api_key_record
from clob.service.keys import KeyStore
from orders.model import Address
from store import connect_database

SECRET = bytes(range(32))
TTL = 0.3


def test_keys_created_and_revoked_through_another_gateway(db_url: str) -> None:
    db = connect_database(db_url)
    a, b = KeyStore(db, SECRET, cache_ttl_s=TTL), KeyStore(db, SECRET, cache_ttl_s=TTL)
    exact = KeyStore(db, SECRET)  # the embedded mode's cache: trusts itself as the only writer
    try:
        identity = L1Identity(Address("0x" + "a1" * 20), 0)
        record, _creds = api_key_record(SECRET, identity.address, identity.nonce)
        assert b.authenticate(record.api_key) is None  # a miss, before the key exists
        assert exact.authenticate(record.api_key) is None
        a.create(identity)
        time.sleep(TTL * 1.5)
        assert b.authenticate(record.api_key) is not None  # the miss was not remembered past the TTL
        assert exact.authenticate(record.api_key) is None  # an exact cache would refuse it (single writer only)
        a.delete(record.api_key)
        assert a.authenticate(record.api_key) is None  # at once on the gateway that revoked it
        time.sleep(TTL * 1.5)
        assert b.authenticate(record.api_key) is None  # and on the other within the TTL
    finally:
        db.dispose()
