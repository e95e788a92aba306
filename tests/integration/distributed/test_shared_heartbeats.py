"""Heartbeats shared by several gateways: a beat through one counts on all; a lapse is claimed exactly once."""

from __future__ import annotations

import pytest

from clob.service.errors import ServiceError
from clob.service.heartbeats import SharedHeartbeats
from store import connect_database


def test_gateways_share_sessions_and_claim_each_lapse_once(db_url: str) -> None:
    db = connect_database(db_url)
    now = [1_000.0]
    a = SharedHeartbeats(db, 10.0, clock=lambda: now[0])
    b = SharedHeartbeats(db, 10.0, clock=lambda: now[0])
    try:
        alice, bob = "0x" + "a1" * 20, "0x" + "b2" * 20
        session = a.beat(alice, None)
        assert b.active(alice)
        now[0] += 8
        assert b.beat(alice, session) == session  # beat through the other gateway
        with pytest.raises(ServiceError):
            b.beat(alice, "not-the-session")
        b.beat(bob, None)
        now[0] += 9  # alice beat 9 s ago, bob 9 s ago: nobody lapsed
        assert a.lapsed() == []
        assert b.lapsed() == []
        now[0] += 2
        claimed = a.lapsed() + b.lapsed()
        assert sorted(claimed) == sorted([alice, bob])  # each exactly once, by whichever gateway asked first
        assert not a.active(alice)
        with pytest.raises(ServiceError):
            a.beat(alice, session)  # the session ended with the lapse
        assert a.beat(alice, None) != session
    finally:
        db.dispose()
