"""Snapshots taken off the writer thread (fork or inline) are exactly the state at their seq; fast recovery paths
(paged scan, one-call chain check, direct decode) give the same results and the same errors as the generic ones."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from clob.engine import (
    CancelAll,
    CancelOrder,
    CreateMarket,
    Engine,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address, BaseUnits
from clob.service.codec import CodecError, decode, decode_command, encode, kind_of
from clob.service.sequencer import Sequencer
from clob.service.snapshot_capture import SnapshotTaker, default_mode
from clob.service.snapshots import load_verified
from store import Journal, connect_database
from store.journal import GENESIS, JournalVerifyError, verified, verify_chain
from store.schema import journal, snapshots
from tests.integration.store.test_sequencer import create_market, place, run

MARKET = MarketId("0x" + "ab" * 32)
YES, NO = TokenId(101), TokenId(202)
NOW = UnixSeconds(1_700_000_000)
MODES = ["inline", "fork"] if default_mode() == "fork" else ["inline"]


def order(seq: int, side: Side, cents: int, shares: int = 10) -> PlaceOrder:
    usdc = shares * cents * 10_000
    maker_amount, taker_amount = (usdc, shares * 1_000_000) if side == Side.BUY else (shares * 1_000_000, usdc)
    return PlaceOrder(
        Seq(seq),
        NOW,
        OrderId(f"0x{seq:064x}"),
        Address(f"0x{seq % 5:040x}"),
        YES,
        side,
        BaseUnits(maker_amount),
        BaseUnits(taker_amount),
        0,
        UnixSeconds(0),
        OrderType.GTC,
    )


def engine_with(n: int) -> Engine:
    engine = Engine()
    engine.apply(CreateMarket(Seq(1), NOW, MARKET, YES, NO, 2, BaseUnits(5_000_000), 0))
    for seq in range(2, n + 1):
        engine.apply(order(seq, Side.BUY if seq % 2 else Side.SELL, 30 + seq % 15 if seq % 2 else 55 + seq % 15))
    return engine


@pytest.mark.parametrize("mode", MODES)
def test_capture_is_the_state_at_its_seq_while_the_engine_moves_on(db_url: str, mode: str) -> None:
    db = connect_database(db_url)
    engine = engine_with(200)
    expected = engine.state_hash()
    taker = SnapshotTaker(db, "main", mode)
    assert taker.capture(200, b"\x07" * 32, engine)
    for seq in range(201, 260):  # the writer goes on at once; the capture must not see any of this
        engine.apply(order(seq, Side.BUY, 20 + seq % 10))
    engine.apply(CancelAll(Seq(260), NOW, Address(f"0x{1:040x}")))
    assert taker.wait(60)
    assert (taker.stored, taker.failed, taker.last_stored_seq) == (1, 0, 200)
    with db.engine.connect() as conn:
        row = conn.execute(select(snapshots)).one()
    assert (row.seq, bytes(row.journal_hash), row.state_hash) == (200, b"\x07" * 32, expected)
    assert Engine.restore(bytes(row.blob)).state_hash() == expected != engine.state_hash()
    db.dispose()


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_capture_is_counted_and_stores_nothing(db_url: str, mode: str) -> None:
    class Broken:
        def state_hash(self) -> str:
            raise RuntimeError("boom")

        def snapshot(self) -> bytes:
            raise RuntimeError("boom")

    db = connect_database(db_url)
    taker = SnapshotTaker(db, "main", mode)
    broken: Any = Broken()
    taker.capture(5, b"\x01" * 32, broken)
    assert taker.wait(60)
    assert (taker.stored, taker.failed) == (0, 1)
    with db.engine.connect() as conn:
        assert conn.execute(select(snapshots)).all() == []
    db.dispose()


@pytest.mark.parametrize("mode", MODES)
def test_sequencer_snapshots_off_thread_and_restarts_from_them(db_url: str, mode: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main", snapshot_every=4, snapshot_mode=mode)
    seqr.start()
    try:
        run(seqr, create_market())
        for i in range(1, 14):
            run(seqr, place(i, f"0x{i % 4:03x}", YES if i % 3 else NO, Side.BUY if i % 2 else Side.SELL, 40 + i, 10))
            # at most the capture this command may have started is in flight at the next one, so none is deferred
            # (deferral has its own test above) and the snapshots fall exactly every 4 commands
            assert seqr.snapshots.wait(60)
        expected = seqr.engine.state_hash()
        head = seqr.journal.head_seq
    finally:
        seqr.stop()
    assert seqr.snapshots.failed == 0
    restored = load_verified(db, "main")
    assert restored is not None
    _engine, snap = restored
    assert snap.seq == seqr.snapshots.last_stored_seq == 12  # every 4
    with db.engine.connect() as conn:
        entry_hash = conn.execute(select(journal.c.hash).where(journal.c.seq == snap.seq)).scalar_one()
    assert bytes(entry_hash) == snap.journal_hash
    again = Sequencer(db, "main")
    assert again.recover() == head - snap.seq
    assert again.engine.state_hash() == expected
    full = Sequencer(db, "main")
    assert full.recover(use_snapshot=False) == head
    assert full.engine.state_hash() == expected
    db.dispose()


def test_recover_streams_pages_and_names_a_tampered_entry(db_url: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main", snapshot_every=0)
    seqr.start()
    try:
        run(seqr, create_market())
        for i in range(1, 30):
            run(seqr, place(i, f"0x{i % 4:03x}", YES, Side.BUY if i % 2 else Side.SELL, 40 + i % 20, 10))
        expected = seqr.engine.state_hash()
    finally:
        seqr.stop()
    # pages smaller than the journal: the same rows, in order, as the entry reader
    j = Journal(db, "main")
    rows = list(j.scan(page=7))
    assert [r[0] for r in rows] == list(range(1, 31))
    assert [(e.seq, e.kind, e.payload, e.ts_ms, e.prev_hash, e.hash) for e in j.read()] == rows
    assert list(verified(iter(rows)))[-1][5] == verify_chain(j.read()) == j.head_hash
    assert list(j.scan(from_seq=29, page=1)) == rows[28:]
    again = Sequencer(db, "main")
    assert again.recover() == 30
    assert again.engine.state_hash() == expected
    with db.engine.begin() as conn:
        payload = conn.execute(select(journal.c.payload).where(journal.c.seq == 17)).scalar_one()
        conn.execute(update(journal).where(journal.c.seq == 17).values(payload=bytes(payload).replace(b"0", b"1", 1)))
    broken = Sequencer(db, "main")
    with pytest.raises(JournalVerifyError) as info:
        broken.recover()
    assert info.value.seq == 17
    assert broken.engine.state_hash() != expected  # nothing half-applied: the engine was not replaced
    with pytest.raises(JournalVerifyError) as info:
        list(verified(j.scan(from_seq=3), 3, rows[1][5]))
    assert info.value.seq == 17
    with pytest.raises(JournalVerifyError, match="missing"):
        list(verified(j.scan(from_seq=3), 2, GENESIS))
    db.dispose()


def test_fast_decode_matches_the_generic_decoder() -> None:
    commands: list[Any] = [
        CreateMarket(Seq(1), NOW, MARKET, YES, NO, 2, BaseUnits(5_000_000), 0),
        order(2, Side.BUY, 40),
        order(3, Side.SELL, 60),
        CancelOrder(Seq(4), NOW, OrderId("0x" + "00" * 32), Address("0x" + "11" * 20)),
        CancelAll(Seq(5), NOW, Address("0x" + "11" * 20), None, TokenId(2**255 + 7)),
        CancelAll(Seq(6), NOW, Address("0x" + "11" * 20), MARKET, None),
    ]
    for cmd in commands:
        payload = encode(cmd, {"big": 2**100, "x": [1.5]})
        assert decode_command(kind_of(cmd), payload, cmd.seq) == decode(kind_of(cmd), payload, cmd.seq)[0] == cmd
    # anything unusual goes the generic way, with the generic result or error
    odd = {
        b'{"command":{"now":1,"owner":"0x1","market":null},"meta":{}}': "ok",  # a defaulted field left out
        b'{"command":{"now":1234567890123456789012345,"owner":"0x1","market":null,"token_id":null},"meta":{}}': "ok",
        b'{"command":{"now":1,"owner":"0x1","market":null,"token_id":"5","x":1},"meta":{}}': "error",
        b"not json": "error",
        b'{"command":[],"meta":{}}': "error",
    }
    for payload, outcome in odd.items():
        if outcome == "ok":
            assert decode_command("cancel_all", payload, 9) == decode("cancel_all", payload, 9)[0]
        else:
            with pytest.raises(CodecError):
                decode_command("cancel_all", payload, 9)
    bad_side = encode(order(7, Side.BUY, 40)).replace(b'"side":0', b'"side":7')
    with pytest.raises(CodecError, match="Side"):
        decode_command("place", bad_side, 7)
    with pytest.raises(CodecError, match="unknown"):
        decode_command("nope", b"{}", 1)


def test_a_busy_taker_declines_until_a_slot_frees(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from clob.service import snapshot_capture

    release = threading.Event()
    real_store = snapshot_capture.store_snapshot

    def slow_store(*args: Any, **kwargs: Any) -> None:
        release.wait(30)
        real_store(*args, **kwargs)

    monkeypatch.setattr(snapshot_capture, "store_snapshot", slow_store)
    db = connect_database(db_url)
    engine = engine_with(20)
    taker = SnapshotTaker(db, "main", "inline", max_in_flight=1)
    assert taker.capture(20, b"\x02" * 32, engine)
    assert taker.in_flight == 1
    assert not taker.capture(20, b"\x02" * 32, engine)  # busy: nothing done, the caller tries again later
    assert not taker.wait(0.05)
    release.set()
    assert taker.wait(30)
    assert (taker.stored, taker.failed, taker.in_flight) == (1, 0, 0)
    engine.apply(CancelAll(Seq(21), NOW, Address(f"0x{1:040x}")))
    assert taker.capture(21, b"\x03" * 32, engine)  # a free slot again
    assert taker.wait(30)
    assert (taker.stored, taker.last_stored_seq) == (2, 21)
    db.dispose()
