"""The sequencer on SQLite and PostgreSQL: journal before effect, projections, recovery to the same state."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from clob.engine import (
    CancelOrder,
    CreateMarket,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address, BaseUnits
from clob.service.sequencer import DUPLICATE, Outcome, Sequencer
from clob.service.submission import UNSEQUENCED, Submission
from store import connect_database
from store.journal import verify_chain
from store.schema import orders, trade_parties, trades

MARKET = MarketId("0x" + "ab" * 32)
YES, NO = TokenId(101), TokenId(202)
NOW = UnixSeconds(1_700_000_000)


def create_market() -> Submission:
    return Submission(
        CreateMarket(UNSEQUENCED, NOW, MARKET, YES, NO, 2, BaseUnits(5_000_000), 0),
        meta={"question": "test"},
    )


def place(n: int, maker: str, token: TokenId, side: Side, price_cents: int, shares: int, **kw: Any) -> Submission:
    usdc = shares * price_cents * 10_000
    base_shares = shares * 1_000_000
    maker_amount, taker_amount = (usdc, base_shares) if side == Side.BUY else (base_shares, usdc)
    oid = OrderId("0x" + f"{n:064x}")
    return Submission(
        PlaceOrder(
            UNSEQUENCED,
            NOW,
            oid,
            Address(maker),
            token,
            side,
            BaseUnits(maker_amount),
            BaseUnits(taker_amount),
            0,
            UnixSeconds(0),
            kw.get("order_type", OrderType.GTC),
        ),
        meta={"owner": f"key-{maker}", "market": MARKET, "price": f"0.{price_cents:02d}", "order": {"n": n}},
    )


def run(seqr: Sequencer, sub: Submission) -> Any:
    return seqr.submit(sub).result(timeout=10)


def test_orders_trades_and_recovery(db_url: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seqr.start()
    try:
        assert run(seqr, create_market()).seq == 1
        run(seqr, place(1, "0xaaa", YES, Side.SELL, 60, 100))
        run(seqr, place(2, "0xbbb", NO, Side.BUY, 35, 50))  # acts as an ask at 0.65 on the YES book
        book = seqr.book(YES)
        assert book is not None
        assert [(p, s) for p, s in book.asks] == [(6000, 100_000_000), (6500, 50_000_000)]
        out = run(seqr, place(3, "0xccc", YES, Side.BUY, 70, 120))  # takes 100 @0.60 (COMPLEMENTARY), 20 MINT
        assert out.seq == 4
        # A precheck rejection is answered and not journaled.
        rejected = seqr.submit(Submission(CancelOrder(UNSEQUENCED, NOW, OrderId("0x1")), precheck=lambda e: "no"))
        assert rejected.result(timeout=10).rejected == "no"
        run(seqr, Submission(CancelOrder(UNSEQUENCED, NOW, OrderId("0x" + f"{2:064x}"))))
        hash_before = seqr.engine.state_hash()
        head = seqr.journal.head_seq
    finally:
        seqr.stop()
    assert head == 5

    with db.engine.connect() as conn:
        rows = {r.order_id[-1]: r for r in conn.execute(select(orders)).all()}
        assert rows["1"].status == "MATCHED"
        assert rows["1"].size_matched == 100_000_000
        assert rows["3"].status == "MATCHED"
        assert rows["3"].size_matched == 120_000_000
        assert rows["2"].status == "CANCELED"
        assert rows["2"].size_matched == 20_000_000
        assert json.loads(rows["3"].associate_trades)
        trade_rows = conn.execute(select(trades)).all()
        assert len(trade_rows) == 1
        payload = json.loads(trade_rows[0].payload)
        assert [m["match_type"] for m in payload["makers"]] == ["COMPLEMENTARY", "MINT"]
        assert trade_rows[0].status == "MATCHED"
        assert {r.address for r in conn.execute(select(trade_parties)).all()} == {"0xaaa", "0xbbb", "0xccc"}

    # A new sequencer on the same database rebuilds exactly the same engine state.
    again = Sequencer(db, "main")
    assert again.recover() == 5
    assert again.engine.state_hash() == hash_before
    assert verify_chain(again.journal.read()) == again.journal.head_hash
    db.dispose()


def test_replay_verifies_fills_and_names_tampering(db_url: str) -> None:
    from sqlalchemy import update

    from clob.service.replay import replay
    from store.schema import journal

    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seqr.start()
    try:
        run(seqr, create_market())
        run(seqr, place(1, "0xaaa", YES, Side.SELL, 60, 100))
        run(seqr, place(2, "0xbbb", NO, Side.SELL, 30, 40))
        run(seqr, place(3, "0xccc", YES, Side.BUY, 70, 50))
        run(seqr, place(4, "0xddd", YES, Side.SELL, 65, 80))  # MERGE with the NO seller at 0.30
        state = seqr.engine.state_hash()
        head = seqr.journal.head_hash.hex()
    finally:
        seqr.stop()

    clean = replay(db)
    assert clean.ok, clean.differences
    assert clean.entries == 5
    assert clean.trades == 2
    assert clean.state_hash == state
    assert clean.head_hash == head

    # A stored trade that the journal does not justify is reported.
    with db.engine.begin() as conn:
        row = conn.execute(select(trades).order_by(trades.c.journal_seq)).first()
        assert row is not None
        forged = json.loads(row.payload)
        forged["taker_fill"] += 1
        conn.execute(update(trades).where(trades.c.trade_id == row.trade_id).values(payload=json.dumps(forged)))
    report = replay(db)
    assert not report.ok
    assert report.differences == [f"trade {row.trade_id}: stored fills differ from the journal's"]

    # One changed byte in the journal is named by its sequence number.
    with db.engine.begin() as conn:
        entry = conn.execute(select(journal).where(journal.c.seq == 3)).one()
        tampered = bytes(entry.payload).replace(b'"maker_amount":40000000', b'"maker_amount":40000001')
        assert tampered != bytes(entry.payload)
        conn.execute(update(journal).where(journal.c.seq == 3).values(payload=tampered))
    report = replay(db)
    assert report.chain_error_seq == 3
    db.dispose()


def test_restart_from_a_verified_snapshot_and_fall_back_when_it_is_bad(db_url: str) -> None:
    from sqlalchemy import update

    from store.schema import snapshots

    db = connect_database(db_url)
    seqr = Sequencer(db, "main", snapshot_every=3)
    seqr.start()
    try:
        run(seqr, create_market())
        for i in range(1, 8):
            run(seqr, place(i, f"0x{i % 3:03x}", YES if i % 2 else NO, Side.BUY, 30 + i, 10))
        expected = seqr.engine.state_hash()
        head = seqr.journal.head_seq
    finally:
        seqr.stop()
    with db.engine.connect() as conn:
        kept = [r.seq for r in conn.execute(select(snapshots.c.seq).order_by(snapshots.c.seq))]
    assert kept == [3, 6]  # every 3 commands, the newest two kept

    again = Sequencer(db, "main")
    assert again.recover() == head - 6  # only the tail after the newest snapshot
    assert again.engine.state_hash() == expected

    # A snapshot that does not restore to its recorded state is not trusted: the previous one is used.
    with db.engine.begin() as conn:
        conn.execute(update(snapshots).where(snapshots.c.seq == 6).values(state_hash="0" * 64))
    third = Sequencer(db, "main")
    assert third.recover() == head - 3
    assert third.engine.state_hash() == expected
    # And without any usable snapshot, the whole journal.
    with db.engine.begin() as conn:
        conn.execute(update(snapshots).values(blob=b"garbage"))
    fourth = Sequencer(db, "main")
    assert fourth.recover() == head
    assert fourth.engine.state_hash() == expected
    db.dispose()


def with_id(sub: Submission, n: int) -> Submission:
    return replace(sub, order_id="0x" + f"{n:064x}")


def test_submit_many_answers_each_in_order_and_refuses_ids_sequenced_before(db_url: str) -> None:
    db = connect_database(db_url)
    seqr = Sequencer(db, "main")
    seqr.start()
    try:
        run(seqr, create_market())
        assert run(seqr, with_id(place(1, "0xaaa", YES, Side.BUY, 40, 10), 1)).seq == 2

        refused = replace(place(4, "0xbbb", YES, Side.BUY, 30, 10), precheck=lambda engine: "no")
        results = seqr.submit_many(
            [
                with_id(place(2, "0xbbb", YES, Side.BUY, 30, 10), 2),
                with_id(place(2, "0xbbb", YES, Side.BUY, 30, 10), 2),  # earlier in the same request
                with_id(place(1, "0xaaa", YES, Side.BUY, 40, 10), 1),  # stored (and resting)
                with_id(refused, 4),  # refused by its precheck: not sequenced...
                replace(with_id(place(5, "0xbbb", YES, Side.BUY, 30, 10), 5), meta={"bad": object()}),  # not JSON
                with_id(place(4, "0xbbb", YES, Side.BUY, 30, 10), 4),  # ...so the same id is not a duplicate
            ]
        ).result(timeout=10)
        assert [r.seq if isinstance(r, Outcome) else type(r) for r in results] == [3, None, None, None, TypeError, 4]
        assert [r.rejected for r in results if isinstance(r, Outcome)] == [None, DUPLICATE, DUPLICATE, "no", None]
        # cancelled orders stay sequenced: their id can never be placed again
        run(seqr, Submission(CancelOrder(UNSEQUENCED, NOW, OrderId("0x" + f"{2:064x}"))))
        (again,) = seqr.submit_many([with_id(place(2, "0xbbb", YES, Side.BUY, 30, 10), 2)]).result(timeout=10)
        assert isinstance(again, Outcome)
        assert again.rejected == DUPLICATE
        assert seqr.status().head_seq == 5
    finally:
        seqr.stop()


def test_a_command_template_is_sequenced_as_a_new_value_and_statuses_is_the_one_stream(db_url: str) -> None:
    """The submission's command keeps its placeholder seq (it could be sent again); the journal holds the real one.
    The embedded sequencer is one stream: ``statuses()`` is its ``status()``."""
    db = connect_database(db_url)
    seqr = Sequencer(db)
    seqr.start()
    try:
        market = create_market()
        assert run(seqr, market).seq == 1
        order = place(1, "0xaaa", YES, Side.BUY, 40, 10)
        assert run(seqr, order).seq == 2
        assert market.command.seq == order.command.seq == UNSEQUENCED
        (status,) = seqr.statuses()
        assert status == seqr.status()
        assert (status.stream, status.head_seq, status.resting_orders) == ("main", 2, 1)
    finally:
        seqr.stop()
