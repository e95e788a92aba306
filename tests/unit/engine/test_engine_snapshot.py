"""Snapshots: a restored engine is the original one (same state hash, same events for any further commands), the
bytes are canonical and versioned, and anything that is not a valid snapshot is refused with `SnapshotError`."""

from __future__ import annotations

import hashlib
import pickle
import random
import struct
import zlib
from dataclasses import replace

import pytest
from engine_harness import MARKET, NO, NOW, SHARE, YES, Harness, limit, market_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_properties import _commands, _ops, dense_stream

from clob.engine import (
    Address,
    BaseUnits,
    CancelAll,
    Command,
    CreateMarket,
    Engine,
    EngineError,
    ExpireOrders,
    HaltMarket,
    MarketId,
    OrderId,
    OrderType,
    PlaceOrder,
    ResolveMarket,
    Seq,
    Side,
    SnapshotError,
    TokenId,
    UnixSeconds,
    check_invariants,
)
from clob.engine.snapshot import MAGIC, VERSION

BUY, SELL = Side.BUY, Side.SELL
TEN = 10 * SHARE


def _stamped(commands: list[Command]) -> list[Command]:
    return [replace(command, seq=Seq(i + 1)) for i, command in enumerate(commands)]


def _observable(engine: Engine) -> tuple[object, ...]:
    """What the queries show: markets, both books of every token, every owner's orders and reservations."""
    state = engine.state
    books = tuple(engine.book(token) for token in sorted(state.tokens))
    owners = sorted(state.owners)
    orders = tuple(tuple(engine.orders_by_owner(owner)) for owner in owners)
    reserved = tuple(engine.reserved(owner) for owner in owners)
    return tuple(engine.markets()), books, orders, reserved, engine.resting_count(), engine.last_seq


def _assert_same_future(original: Engine, restored: Engine, rest: list[Command]) -> None:
    for command in rest:
        assert restored.apply(command) == original.apply(command), command
    assert restored.state_hash() == original.state_hash()
    check_invariants(restored)


def _round_trip(original: Engine, *, compress: bool = True) -> Engine:
    data = original.snapshot(compress=compress)
    restored = Engine.restore(data)
    check_invariants(restored)
    assert restored.state_hash() == original.state_hash()
    assert _observable(restored) == _observable(original)
    assert restored.snapshot(compress=compress) == data  # canonical: the bytes are a function of the state
    live = {(o.expiration - 60, o.order_id) for o in original.state.orders.values() if o.expiration}
    assert sorted(restored.state.expiries) == sorted(live)
    return restored


SNAPSHOTS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SNAPSHOTS
@given(st.lists(_ops, min_size=30, max_size=100), st.integers(0, 10**6), st.booleans())
def test_restored_engine_emits_the_same_events_as_the_original(ops: list[object], cut: int, compress: bool) -> None:
    """Random command streams (the property tests' strategy), a snapshot at a random point, restore, then the rest
    of the stream to both: identical events and state hashes."""
    commands = _stamped(_commands(ops))  # type: ignore[arg-type]
    cut %= len(commands) + 1
    original = Engine()
    for command in commands[:cut]:
        original.apply(command)
    restored = _round_trip(original, compress=compress)
    _assert_same_future(original, restored, commands[cut:])


@pytest.mark.parametrize("seed", range(12))
def test_busy_streams_survive_snapshots_taken_all_along(seed: int) -> None:
    """Busy seeded streams (fees, dust, GTD expiries, self-trades, halts, tick changes), a snapshot every 40
    commands, each one restored and run to the end next to the original."""
    commands = _stamped(_commands(dense_stream(seed, 250)))
    original = Engine()
    for at in range(0, len(commands), 40):
        for command in commands[at : at + 40]:
            original.apply(command)
        restored = _round_trip(original, compress=bool(at % 80))
        twin = Engine()  # the original, replayed, to run the rest of the stream on
        for command in commands[: at + 40]:
            twin.apply(command)
        _assert_same_future(twin, restored, commands[at + 40 :])


def _lifecycle() -> Harness:
    """Three markets: one open with GTD and GTC orders of several owners, one halted, one resolved."""
    h = Harness()
    h.apply(market_command(fee_rate_bps=100))
    other, third = MarketId("0x" + "22" * 32), MarketId("0x" + "33" * 32)
    h.apply(market_command(other, TokenId(201), TokenId(202), tick_decimals=3, min_size=0))
    h.apply(market_command(third, TokenId(301), TokenId(302)))
    h.apply(limit("a1", "ann", YES, BUY, 4000, TEN, fee_rate_bps=100))
    h.apply(limit("a2", "ann", NO, SELL, 5500, TEN, OrderType.GTD, expiration=NOW + 500, fee_rate_bps=100))
    h.apply(limit("b1", "ben", YES, BUY, 4000, TEN, OrderType.GTD, expiration=NOW + 300, fee_rate_bps=100))
    h.apply(limit("b2", "ben", TokenId(201), SELL, 6130, TEN))
    h.apply(limit("a3", "ann", TokenId(202), BUY, 3000, TEN))
    h.apply(limit("c1", "cat", TokenId(301), BUY, 3000, TEN))
    h.apply(limit("c2", "cat", YES, SELL, 6000, TEN, fee_rate_bps=100))
    h.apply(HaltMarket(Seq(0), NOW, other))
    h.apply(ResolveMarket(Seq(0), NOW, third))
    return h


def test_market_states_expiries_and_owner_order_survive() -> None:
    h = _lifecycle()
    restored = _round_trip(h.engine)
    later: list[Command] = [
        ExpireOrders(Seq(h.seq + 1), UnixSeconds(NOW + 300)),
        CancelAll(Seq(h.seq + 2), NOW, Address("ann")),  # cancels in position order, then arrival
        replace(limit("n", "ben", TokenId(201), BUY, 5000, TEN), seq=Seq(h.seq + 3)),  # halted: refused
        replace(limit("t", "dan", YES, SELL, 4000, 3 * TEN, OrderType.FAK, fee_rate_bps=100), seq=Seq(h.seq + 4)),
    ]
    _assert_same_future(h.engine, restored, later)


def test_empty_engine_and_unusual_values_round_trip() -> None:
    """No markets at all; then text ids and owners (not hex), uint256 token ids, expirations beyond 64 bits."""
    _round_trip(Engine())
    engine = Engine()
    big_yes, big_no = TokenId(2**255 + 1), TokenId(2**256 - 1)
    engine.apply(CreateMarket(Seq(1), NOW, MarketId("élection-2028"), big_yes, big_no, 4, BaseUnits(0), 0))
    far = UnixSeconds(2**70)
    orders = [
        PlaceOrder(Seq(2), NOW, OrderId("ordre-№1"), Address("zoë"), big_yes, BUY, BaseUnits(3_001), BaseUnits(10_000),
                   0, UnixSeconds(0), OrderType.GTC),
        PlaceOrder(Seq(3), NOW, OrderId("\ud800 lone surrogate"), Address("ann"), big_no, BUY, BaseUnits(6_000),
                   BaseUnits(10_000), 0, far, OrderType.GTD),
    ]  # fmt: skip
    for order in orders:
        assert engine.apply(order)[0].__class__.__name__ == "OrderAccepted"
    restored = _round_trip(engine)
    _round_trip(engine, compress=False)
    _assert_same_future(engine, restored, [ExpireOrders(Seq(4), far)])


def test_snapshot_bytes_are_pinned() -> None:
    """The format is versioned: a change to these bytes needs a new `VERSION` (and `load` support for the old
    one). Uncompressed, so that the check does not depend on the zlib build."""
    data = _lifecycle().engine.snapshot(compress=False)
    assert data[:8] == MAGIC
    assert struct.unpack_from("<H", data, 8)[0] == VERSION == 1
    assert hashlib.sha256(data).hexdigest() == PINNED


PINNED = "2a6f78f406f1ca6c6471e9bb416f5aa7ee750ff61b93877c3a35a1c18c8f0848"


# -- refusing what is not a snapshot ---------------------------------------------------------------------------


def _valid(compress: bool = True) -> bytes:
    return _lifecycle().engine.snapshot(compress=compress)


def _with_body(data: bytes, body: bytes) -> bytes:
    """`data`'s header for another body, its length and checksum fixed up (so that only the content is wrong)."""
    magic, version, flags, _size, _crc = struct.unpack_from("<8sHHQI", data)
    return struct.pack("<8sHHQI", magic, version, flags, len(body), zlib.crc32(body)) + body


@pytest.mark.parametrize(
    ("name", "mangle", "message"),
    [
        ("empty", lambda d: b"", "bad magic"),
        ("garbage", lambda d: bytes(range(256)) * 4, "bad magic"),
        ("pickle", lambda d: pickle.dumps(Engine()), "bad magic"),
        ("json", lambda d: b'{"markets": []}', "bad magic"),
        ("magic_only", lambda d: MAGIC, "bad magic"),
        ("future_version", lambda d: d[:8] + struct.pack("<H", VERSION + 1) + d[10:], "unsupported snapshot version 2"),
        ("version_zero", lambda d: d[:8] + struct.pack("<H", 0) + d[10:], "unsupported snapshot version 0"),
        ("flags", lambda d: d[:10] + b"\x01\x00" + d[12:], "unknown snapshot flags"),
        ("truncated", lambda d: d[:-1], "header says"),
        ("trailing", lambda d: d + b"\x00", "header says"),
        ("flipped_byte", lambda d: d[:100] + bytes([d[100] ^ 0x40]) + d[101:], "checksum mismatch"),
        ("no_columns", lambda d: _with_body(d, b""), "truncated"),
        ("extra_column", lambda d: _with_body(d, d[24:] + struct.pack("<BBQQQ", 98, 0, 0, 0, 0)), "trailing bytes"),
        ("cut_column", lambda d: _with_body(d, d[24:-3]), "truncated"),
    ],
)
def test_garbage_and_other_versions_are_refused_clearly(name: str, mangle: object, message: str) -> None:
    data = mangle(_valid(compress=False))  # type: ignore[operator]
    with pytest.raises(SnapshotError, match=message) as caught:
        Engine.restore(data)
    assert isinstance(caught.value, EngineError)


def _corrupt_state(h: Harness, how: str) -> None:
    """Break the (otherwise valid) state of `h` in one way, behind the engine's back."""
    state = h.engine.state
    market = state.markets[MARKET]
    if how == "crossed":  # a bid level moved above the best ask
        level = market.bids.pop(4000)
        level.price = 6500
        market.bids[6500] = level
        market.bid_keys = sorted(market.bids)
    elif how == "nothing_to_trade":
        state.orders[OrderId("0xa1")].remaining = 1
    elif how == "off_tick":
        market.tick_decimals, market.tick = 1, 1000
    elif how == "repeated_id":
        state.orders[OrderId("0xb1")].order_id = OrderId("0xa1")
    elif how == "bad_tick_decimals":
        market.tick_decimals = 7
    elif how == "shared_token":
        state.markets[MarketId("0x" + "22" * 32)].yes_token = YES
    elif how == "negative_fee":
        market.fee_rate_bps = -1
    elif how == "resolved_with_orders":
        market.status = market.status.RESOLVED


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("crossed", "crossed book"),
        ("nothing_to_trade", "nothing to trade"),
        ("off_tick", "off tick"),
        ("repeated_id", "repeated order id"),
        ("bad_tick_decimals", "tick decimals 7"),
        ("shared_token", "token reused"),
        ("negative_fee", "fee rate -1"),
        ("resolved_with_orders", "resolved, has orders"),
    ],
)
def test_well_formed_bytes_of_an_inconsistent_state_are_refused(how: str, message: str) -> None:
    """Correct framing and checksum, impossible content: refused while rebuilding, never a broken engine."""
    h = _lifecycle()
    _corrupt_state(h, how)
    with pytest.raises(SnapshotError, match=message):
        Engine.restore(h.engine.snapshot())


@pytest.mark.parametrize("compress", [False, True])
def test_random_corruption_is_refused_or_yields_a_consistent_engine(compress: bool) -> None:
    """Untrusted input: a few hundred seeded single-byte changes (checksum fixed up). Each gives `SnapshotError`
    or, where the change happens to describe another valid state, an engine whose invariants hold."""
    data = _valid(compress)
    body = data[24:]
    rng = random.Random(20_240_601)
    outcomes = {"refused": 0, "accepted": 0}
    for _ in range(400):
        mutated = bytearray(body)
        at = rng.randrange(len(mutated))
        mutated[at] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, mutated[at] ^ (1 << rng.randrange(8))])
        try:
            engine = Engine.restore(_with_body(data, bytes(mutated)))
        except SnapshotError:
            outcomes["refused"] += 1
            continue
        outcomes["accepted"] += 1
        check_invariants(engine)
        assert Engine.restore(engine.snapshot()).state_hash() == engine.state_hash()
    assert outcomes["refused"] > 100


def test_inflated_size_is_bounded() -> None:
    data = _valid()
    with pytest.raises(SnapshotError, match="limit"):
        Engine.restore(data, max_bytes=64)
    # a column claiming a small length but inflating to a large one (a zlib bomb) stops at the claimed length
    bomb = zlib.compress(b"\x00" * 1_000_000)
    column = struct.pack("<BBQQQ", ord("q"), 1, 1, 8, len(bomb)) + bomb
    with pytest.raises(SnapshotError, match=r"zlib stream|length"):
        Engine.restore(_with_body(data, column))


def test_busy_harness_state_round_trips_with_contract_checks() -> None:
    """A harness run (invariants and on-chain settlement checked after every command) continued on the restored
    engine under the same checks."""
    h = Harness()
    commands = _commands(dense_stream(7, 200))
    h.run(commands[:120])
    h.engine = Engine.restore(h.engine.snapshot())
    h.run(commands[120:])
