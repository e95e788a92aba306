"""GTD orders expire on time, through the journal: the sequencer's deadline timer (``clob.service.expiry``) on
SQLite and PostgreSQL, in real time (an order counts as expired 60 s before its signed expiration, so an order
signed to expire at now + 62 s leaves the book 2 s from now)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from clob.engine import (
    GTD_SAFETY_MARGIN_S,
    CancelOrder,
    CancelReason,
    ExpireOrders,
    OrderCancelled,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    UnixSeconds,
)
from clob.engine.types import Address, BaseUnits
from clob.service.applied import Applied
from clob.service.codec import decode_command
from clob.service.expiry import MAX_WAIT_S, NOTHING_DUE
from clob.service.replay import replay
from clob.service.sequencer import Sequencer
from clob.service.submission import UNSEQUENCED, Submission
from store import connect_database
from store.db import Database
from store.schema import journal, orders
from tests.integration.store.test_sequencer import MARKET, YES, create_market, run


def gtd(n: int, maker: str, expires_at: int, price_cents: int = 40, side: Side = Side.BUY) -> Submission:
    """A GTD order of 10 shares placed now, counting as expired from the second ``expires_at`` on."""
    now = int(time.time())
    expiration = UnixSeconds(expires_at + GTD_SAFETY_MARGIN_S)
    usdc, shares = 10 * price_cents * 10_000, 10_000_000
    maker_amount, taker_amount = (usdc, shares) if side == Side.BUY else (shares, usdc)
    oid = OrderId("0x" + f"{n:064x}")
    return Submission(
        PlaceOrder(
            UNSEQUENCED,
            UnixSeconds(now),
            oid,
            Address(maker),
            YES,
            side,
            BaseUnits(maker_amount),
            BaseUnits(taker_amount),
            0,
            expiration,
            OrderType.GTD,
        ),
        meta={"owner": f"key-{maker}", "market": MARKET, "price": f"0.{price_cents:02d}", "order": {"n": n}},
        order_id=oid,
    )


def journal_kinds(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [r.kind for r in conn.execute(select(journal.c.kind).order_by(journal.c.seq))]


def wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_gtd_orders_expire_on_time_through_the_journal(db_url: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seen: list[tuple[float, Applied]] = []
    seqr.add_listener(lambda item: seen.append((time.time(), item)))
    seqr.start()
    try:
        run(seqr, create_market())
        expires_first = int(time.time()) + 2
        run(seqr, gtd(1, "0xaaa", expires_first))
        run(seqr, gtd(2, "0xbbb", expires_first, 45))  # the same second: one sweep for both
        run(seqr, gtd(3, "0xccc", expires_first + 2, 35))
        book = seqr.book(YES)
        assert book is not None
        assert len(book.bids) == 3
        sweeps = lambda: [(t, a) for t, a in seen if isinstance(a.command, ExpireOrders)]  # noqa: E731
        wait_until(sweeps, 5)
        sweep_at, sweep = sweeps()[0]
        # on time: at most a second after the second at which they count as expired
        assert expires_first <= sweep_at < expires_first + 1.0
        assert sweep.command.now == expires_first
        cancels = [ev for ev in sweep.events if isinstance(ev, OrderCancelled)]
        assert sorted(c.order_id[-1] for c in cancels) == ["1", "2"]
        assert {c.reason for c in cancels} == {CancelReason.EXPIRED}
        book = seqr.book(YES)
        assert book is not None
        assert [p for p, _s in book.bids] == [3500]
        wait_until(lambda: len(sweeps()) == 2, 5)
        # Nothing else is journaled while waiting: one sweep per expiry second, none empty.
        time.sleep(0.5)
        assert journal_kinds(db) == ["create_market", "place", "place", "place", "expire", "expire"]
        state = seqr.engine.state_hash()
    finally:
        seqr.stop()
    with db.engine.connect() as conn:
        status = {r.order_id[-1]: r.status for r in conn.execute(select(orders.c.order_id, orders.c.status))}
    assert status == {"1": "CANCELED", "2": "CANCELED", "3": "CANCELED"}
    # The journal alone reproduces the expiries: replay gives the live engine's state.
    report = replay(db)
    assert report.ok, report.differences
    assert report.state_hash == state
    db.dispose()


def test_orders_that_expired_while_the_stream_was_down_expire_at_start(db_url: str) -> None:
    db = connect_database(db_url)
    first = Sequencer(db, "main")
    first.start()
    try:
        run(first, create_market())
        run(first, gtd(2, "0xbbb", int(time.time()) + 3600))
        expiry = int(time.time()) + 3
        run(first, gtd(1, "0xaaa", expiry))
    finally:
        first.stop()
    time.sleep(max(0.0, expiry + 1 - time.time()))
    assert journal_kinds(db) == ["create_market", "place", "place"]

    again = Sequencer(db, "main")
    started = time.monotonic()
    again.start()
    try:
        wait_until(lambda: again.engine.resting_count() == 1, 5)
        assert time.monotonic() - started < 1.0
        assert again.engine.order(OrderId("0x" + f"{2:064x}")) is not None
    finally:
        again.stop()
    assert journal_kinds(db) == ["create_market", "place", "place", "expire"]
    db.dispose()


def test_a_sweep_that_would_cancel_nothing_is_not_journaled(db_url: str) -> None:
    """An order cancelled before its expiry leaves a stale heap entry: its deadline wakes the writer, but the
    sweep is refused by its precheck and nothing is journaled; the stale entry is dropped (no busy loop)."""
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    refused: list[str | None] = []
    original = seqr.expiry.sent

    def watch(future: Any) -> None:
        future.add_done_callback(lambda f: refused.append(f.result().rejected))
        original(future)

    seqr.expiry.sent = watch  # type: ignore[method-assign]
    seqr.start()
    try:
        run(seqr, create_market())
        run(seqr, gtd(1, "0xaaa", int(time.time()) + 1))

        oid = OrderId("0x" + f"{1:064x}")
        run(seqr, Submission(CancelOrder(UNSEQUENCED, UnixSeconds(int(time.time())), oid)))
        time.sleep(2.0)
        assert seqr.engine.next_expiry() is None
    finally:
        seqr.stop()
    assert journal_kinds(db) == ["create_market", "place", "cancel"]
    assert refused in ([], [NOTHING_DUE])  # the deadline was dropped before or by a refused sweep
    db.dispose()


def test_expire_entries_decode_with_their_own_time(db_url: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seqr.start()
    try:
        run(seqr, create_market())
        run(seqr, gtd(1, "0xaaa", int(time.time()) + 1))
        wait_until(lambda: seqr.engine.resting_count() == 0, 5)
    finally:
        seqr.stop()
    with db.engine.connect() as conn:
        row = conn.execute(select(journal).where(journal.c.kind == "expire")).one()
    command = decode_command(row.kind, bytes(row.payload), int(row.seq))
    assert isinstance(command, ExpireOrders)
    assert command.seq == Seq(int(row.seq))
    assert int(row.ts_ms) == int(command.now) * 1000
    db.dispose()


def test_an_expiry_centuries_away_does_not_break_the_wait(db_url: str) -> None:
    """The writer's wait is capped (a thread cannot wait 10^12 s): the stream keeps taking commands."""
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seqr.start()
    try:
        run(seqr, create_market())
        run(seqr, gtd(1, "0xaaa", 2**40))
        assert seqr.expiry.wait_s(seqr.engine) == MAX_WAIT_S
        run(seqr, gtd(2, "0xbbb", int(time.time()) + 1))
        wait_until(lambda: seqr.engine.resting_count() == 1, 5)
        assert seqr.status().resting_orders == 1
    finally:
        seqr.stop()
    db.dispose()
