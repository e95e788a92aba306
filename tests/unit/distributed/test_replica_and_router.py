"""The gateway side of the distributed mode without a bus: replicas rebuilt from verified journal entries, and
the router's choice of shard and merging of outcomes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from clob.distributed.replica import Replica, ReplicaDiverged
from clob.distributed.router import ShardRouter, _merge
from clob.engine import (
    BaseUnits,
    CancelAll,
    CreateMarket,
    Engine,
    MarketId,
    OrderAccepted,
    OrderId,
    OrderType,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)
from clob.engine.types import Address
from clob.service.applied import Applied
from clob.service.codec import encode, kind_of
from clob.service.sequencer import Outcome, SequencerStopped
from clob.service.submission import Submission
from store import connect_database
from store.db import Database
from store.journal import Journal, JournalEntry

A = MarketId("0x" + "aa" * 32)
B = MarketId("0x" + "bb" * 32)
ALICE = Address("0x" + "a1" * 20)


def create(market: MarketId, yes: int) -> CreateMarket:
    return CreateMarket(Seq(0), UnixSeconds(1), market, TokenId(yes), TokenId(yes + 1), 2, BaseUnits(5_000_000), 0)


def place(n: int, token: int) -> PlaceOrder:
    return PlaceOrder(
        Seq(0),
        UnixSeconds(1),
        OrderId("0x" + f"{n:064x}"),
        ALICE,
        TokenId(token),
        Side.BUY,
        BaseUnits(4_000_000),
        BaseUnits(10_000_000),
        0,
        UnixSeconds(0),
        OrderType.GTC,
    )


def journal_of(db: Database, stream: str, commands: list[object]) -> list[JournalEntry]:
    journal = Journal(db, stream)
    items = [(kind_of(c), encode(c, {"cid": f"c{i}"}), 1000) for i, c in enumerate(commands)]  # type: ignore[arg-type]
    return journal.append(items)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return connect_database(f"sqlite:///{tmp_path / 'replica.db'}")


def direct_state(commands: list[object]) -> str:
    engine = Engine()
    for i, c in enumerate(commands, 1):
        engine.apply(dataclasses.replace(c, seq=Seq(i)))  # type: ignore[type-var]
    return engine.state_hash()


def test_replica_applies_in_order_fills_gaps_and_skips_repeats(db: Database) -> None:
    commands: list[object] = [create(A, 11), place(1, 11), place(2, 11), place(3, 12)]
    entries = journal_of(db, "s0", commands)
    replica = Replica(db, "s0")
    seen: list[Applied] = []
    replica.add_listener(seen.append)
    replica.offer([entries[0]])
    replica.offer([entries[2]])  # entry 2 never arrived: read from the journal table first
    replica.offer([entries[1], entries[2]])  # repeats are ignored
    replica.offer([entries[3]])
    assert [a.seq for a in seen] == [1, 2, 3, 4]
    assert {a.stream for a in seen} == {"s0"}
    assert seen[1].meta["cid"] == "c1"
    assert any(isinstance(ev, OrderAccepted) for ev in seen[1].events)
    assert replica.status().state_hash == direct_state(commands)
    assert replica.status().head_hash == entries[-1].hash.hex()
    book = replica.book(TokenId(11))
    assert book is not None
    assert replica.market_info(A) is not None


def test_replica_refuses_an_entry_that_does_not_chain(db: Database) -> None:
    entries = journal_of(db, "s0", [create(A, 11), place(1, 11)])
    replica = Replica(db, "s0")
    replica.offer([entries[0]])
    before = replica.status()
    forged = dataclasses.replace(entries[1], payload=entries[1].payload.replace(b"4000000", b"4000001"))
    with pytest.raises(ReplicaDiverged):
        replica.offer([forged])
    assert replica.status() == before  # nothing of the forged entry was applied
    replica.offer([entries[1]])
    assert replica.status().head_seq == 2


def test_replica_load_stops_at_upto(db: Database) -> None:
    journal_of(db, "s0", [create(A, 11), place(1, 11), place(2, 11)])
    replica = Replica(db, "s0")
    assert replica.load(upto=2) == 2
    assert replica.status().head_seq == 2
    assert replica.catch_up() == 1


def test_router_routes_by_market_and_merges_fan_outs(db: Database) -> None:
    journal_of(db, "s0", [create(A, 11)])
    journal_of(db, "s1", [create(B, 21)])
    router = ShardRouter(db, ["nats://127.0.0.1:1"], ["s0", "s1"])
    for replica in router.replicas.values():
        replica.load()
    assert router.route(place(1, 12), {}) == ["s0"]  # A's NO token
    assert router.route(place(2, 21), {}) == ["s1"]
    assert router.route(create(B, 21), {}) == ["s1"]  # an existing market stays where it is
    assert router.route(create(MarketId("0x" + "cc" * 32), 31), {"shard": "s1"}) == ["s1"]
    new = MarketId("0x" + "dd" * 32)
    assert router.route(create(new, 41), {}) == [router.home_shard(new)]
    assert router.route(CancelAll(Seq(0), UnixSeconds(1), ALICE), {}) == ["s0", "s1"]
    assert router.route(CancelAll(Seq(0), UnixSeconds(1), ALICE, B), {}) == ["s1"]
    assert router.market_info(str(B)) is not None
    assert {m.market for m in router.markets()} == {A, B}
    # not started: submissions fail fast
    fut = router.submit(Submission(place(3, 11)))
    assert isinstance(fut.exception(), SequencerStopped)


def test_merge_keeps_every_event_and_the_highest_seq() -> None:
    parts: list[Future[Outcome]] = [Future(), Future()]
    target: Future[Outcome] = Future()
    _merge(parts, target)
    first, second = object(), object()  # stand-ins for engine events: merged in shard order
    parts[0].set_result(Outcome(7, (first,), None, "s0"))  # type: ignore[arg-type]
    assert not target.done()
    parts[1].set_result(Outcome(3, (second,), None, "s1"))  # type: ignore[arg-type]
    assert target.result().seq == 7
    assert target.result().events == (first, second)
    failing: list[Future[Outcome]] = [Future(), Future()]
    target2: Future[Outcome] = Future()
    _merge(failing, target2)
    failing[0].set_result(Outcome(1))
    failing[1].set_exception(RuntimeError("shard down"))
    assert isinstance(target2.exception(), RuntimeError)


def test_a_lost_bus_outcome_is_a_503_that_says_to_check_the_order() -> None:
    import asyncio

    from clob.distributed.bus import BusError
    from clob.service.errors import ErrorCode, ServiceError
    from clob.service.sequencing import await_all

    lost: Future[Outcome] = Future()
    lost.set_exception(BusError("no outcome from the sequencer in time"))
    (answer,) = asyncio.run(await_all([lost]))
    assert isinstance(answer, ServiceError)
    assert answer.code == ErrorCode.UNAVAILABLE
    assert answer.message == "no outcome from the sequencer in time; the command may still be applied: check it"


def test_the_router_publishes_the_submission_as_it_is(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a gateway publishes reads back, on the shard, as the submission itself: the command, the meta with the
    command id, the order id and the balance reservation (nothing rebuilt from the meta)."""
    from clob.distributed.bus import H_KIND, MSG_ID
    from clob.service.obligations import Reservation
    from clob.service.submission import decode_submission

    journal_of(db, "s0", [create(A, 11)])
    router = ShardRouter(db, ["nats://127.0.0.1:1"], ["s0"])
    router.replicas["s0"].load()
    published: list[tuple[str, bytes, dict[str, str]]] = []

    async def nothing() -> None:
        return None

    def publish(shard: str, payload: bytes, headers: dict[str, str], *_: object) -> Any:
        published.append((shard, payload, headers))
        return nothing()

    class Bus:
        def call(self, coro: Any) -> Future[None]:
            coro.close()
            done: Future[None] = Future()
            done.set_result(None)
            return done

    monkeypatch.setattr(router, "_publish", publish)
    router._bus = Bus()  # type: ignore[assignment]
    router._running = True
    command = place(7, 11)
    reservation = Reservation(ALICE, 0, int(command.maker_amount), 2**70, 42, 1_700_000_000_000)
    sub = Submission(command, {"owner": "key"}, None, str(command.order_id), reservation)
    router.submit(sub)
    ((shard, payload, headers),) = published
    assert shard == "s0"
    assert headers[MSG_ID] == str(command.order_id)
    back = decode_submission(headers[H_KIND], payload)
    assert back == Submission(command, {"owner": "key", "cid": str(command.order_id)}, None, sub.order_id, reservation)
