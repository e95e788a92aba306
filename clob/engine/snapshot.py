"""Snapshots: the whole engine state as compact, versioned, deterministic bytes, and back.

``data = dump(engine.state)``; ``state = load(data)`` (or `Engine.snapshot` / `Engine.restore`). The restored
engine has the same `state_hash` and, for any further commands, emits exactly the events the original would.

**Safe on untrusted input.** No pickle, no `eval`, no recursion: fixed binary columns, read with bounds checks.
Every size is checked against the bytes present (and inflated sizes against `max_bytes`) before anything is
allocated, the body is CRC-checked, and the decoded state is validated as it is rebuilt (what `check_invariants`
checks, by construction). Any defect raises `SnapshotError`, never a half-built engine.

**Layout, version 1.** A 24-byte header, little-endian::

    magic b"CLOBSNAP" | version u16 | flags u16 (0) | body length u64 | CRC-32 of the body u32

then the body, a fixed sequence of columns, each
``tag u8 | deflated u8 | count u64 | length u64 | stored length u64 | payload`` (with `deflated` 1 the payload
is the zlib stream of `length` bytes, else the bytes themselves):

- int columns: tag ``b``/``h``/``i``/``q`` (signed 1/2/4/8-byte integers, the narrowest that fits) or ``t``
  (decimal ASCII, comma separated: integers beyond 64 bits, such as uint256 token ids);
- str columns: tag ``x`` (every value is ``0x`` and 2k lowercase hex digits, k the same for all: a u32 k, then
  the raw bytes; never deflated, being random), or ``u`` (u32 lengths in code points, then the UTF-8 text,
  surrogates passed through).

The columns, in order (M markets, L levels, W owners, P positions, N resting orders):

1. ``last_seq`` (1);
2. markets, sorted by id (M each): id, YES token, NO token, tick decimals, minimum size, fee rate, status
   (0 OPEN, 1 HALTED, 2 RESOLVED), number of bid levels, number of ask levels;
3. levels, market by market, bids then asks, each best first (L each): price (YES pips), number of orders;
4. resting orders in book order, i.e. level by level and FIFO within a level (N each): id, remaining (maker
   units), expiration (0: none);
5. owners with resting orders, sorted (W);
6. positions, owner by owner, each owner's in creation order (P each): owner index, market index, kind
   (0 BUY YES, 1 SELL YES, 2 BUY NO, 3 SELL NO), number of orders;
7. each position's orders in its own (arrival) order, as indices into 4 (N).

Derived on restore rather than stored: level sizes, positions' reserved amounts, sorted price keys and best prices,
the token index and the expiry heap (rebuilt from the resting GTD orders; the live engine's heap may also hold
entries of orders that are gone, which `admin.expire_orders` skips). The body is a function of the state alone
(markets, owners sorted; books and lists in their order), so equal states give equal bytes (compressed: with the
same zlib).
"""

from __future__ import annotations

import gc
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from heapq import heapify
from operator import attrgetter

from clob.engine.book import NO_ASK, NO_BID, Level, Market, Order
from clob.engine.pricing import GRAIN, IS_BID, UNIT
from clob.engine.state import EngineState
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    MAX_AMOUNT,
    MAX_FEE_RATE_BPS,
    PRICE_SCALE,
    TICK_DECIMALS,
    Address,
    BaseUnits,
    EngineError,
    MarketId,
    MarketStatus,
    OrderId,
    TokenId,
)

MAGIC = b"CLOBSNAP"
VERSION = 1
"""The format written by `dump`; `load` reads this version only (and says so for any other)."""
MAX_BYTES = 1 << 31
"""`load` refuses snapshots whose columns add up to more than this many bytes once inflated, unless told a larger
limit (2 GiB; bench/engine-results.md says how many resting orders that holds)."""

_HEADER = struct.Struct("<8sHHQI")
_COLUMN = struct.Struct("<BBQQQ")
_U32 = struct.Struct("<I")
_STATUSES = (MarketStatus.OPEN, MarketStatus.HALTED, MarketStatus.RESOLVED)
_WIDTHS = {ord("b"): 1, ord("h"): 2, ord("i"): 4, ord("q"): 8}
"""Integer column tags and their widths in bytes (a property of the format, whatever the platform's C types)."""
_TYPECODES = {width: next(c for c in "bhilq" if array(c).itemsize == width) for width in (1, 2, 4, 8)}
"""The `array` typecode of each width on this platform."""
_INT_RANGES = ((ord("b"), 1, 1 << 7), (ord("h"), 2, 1 << 15), (ord("i"), 4, 1 << 31), (ord("q"), 8, 1 << 63))
_LENGTHS = next(c for c in "HILQ" if array(c).itemsize == 4)
"""Unsigned 4-byte lengths."""
_HEX, _TEXT, _DECIMAL = ord("x"), ord("u"), ord("t")
_BIG_ENDIAN = sys.byteorder == "big"
_DEFLATE_FROM = 256
"""Columns shorter than this are stored as they are."""


class SnapshotError(EngineError):
    """The bytes are not a snapshot this engine can restore: wrong magic or version, truncated, corrupt, or
    describing an inconsistent state."""


# -- writing ----------------------------------------------------------------------------------------------------


class _Writer:
    __slots__ = ("compress", "parts")

    def __init__(self, compress: bool) -> None:
        self.compress = compress
        self.parts: list[bytes] = []

    def _column(self, tag: int, count: int, payload: bytes) -> None:
        stored = payload
        if self.compress and tag != _HEX and len(payload) >= _DEFLATE_FROM:
            deflated = zlib.compress(payload, 1)
            if len(deflated) < len(payload):
                stored = deflated
        header = _COLUMN.pack(tag, stored is not payload, count, len(payload), len(stored))
        self.parts += header, stored

    def ints(self, values: Sequence[int]) -> None:
        count = len(values)
        low, high = (min(values), max(values)) if count else (0, 0)
        for tag, width, bound in _INT_RANGES:
            if -bound <= low and high < bound:
                column = array(_TYPECODES[width], values)
                if _BIG_ENDIAN:
                    column.byteswap()
                self._column(tag, count, column.tobytes())
                return
        self._column(_DECIMAL, count, ",".join(map(str, values)).encode())

    def strs(self, values: Sequence[str]) -> None:
        count = len(values)
        width = len(values[0]) if count else 0
        if count and width >= 4 and width % 2 == 0 and min(map(len, values)) == max(map(len, values)):
            joined = "".join(values)
            # 'x' is no hex digit: with exactly one "0x" per value, and at its start, the rest is all the digits
            digits = joined.replace("0x", "")
            prefixed = joined[::width] == "0" * count and joined[1::width] == "x" * count
            if prefixed and len(digits) == count * (width - 2):
                try:
                    raw = bytes.fromhex(digits)
                except ValueError:
                    raw = b""
                if raw.hex() == digits:  # lowercase hex only, so that reading gives back the very same strings
                    self._column(_HEX, count, _U32.pack(width // 2 - 1) + raw)  # bytes per value, the values
                    return
        lengths = array(_LENGTHS, map(len, values))
        if _BIG_ENDIAN:
            lengths.byteswap()
        self._column(_TEXT, count, lengths.tobytes() + "".join(values).encode("utf-8", "surrogatepass"))

    def result(self) -> bytes:
        body = b"".join(self.parts)
        return _HEADER.pack(MAGIC, VERSION, 0, len(body), zlib.crc32(body)) + body


def dump(state: EngineState, *, compress: bool = True) -> bytes:
    """The snapshot of `state`. With `compress`, columns are deflated where that helps (the order ids, the bulk of
    a snapshot, are random hex stored as raw bytes: deflate cannot shrink them)."""
    market_ids = sorted(state.markets)
    markets = [state.markets[m] for m in market_ids]
    level_prices: list[int] = []
    level_counts: list[int] = []
    book: list[Order] = []
    counts: list[list[int]] = [[] for _ in range(2)]
    for market in markets:
        for side, (levels, keys, sign) in enumerate(
            ((market.bids, market.bid_keys, 1), (market.asks, market.ask_keys, -1))
        ):
            counts[side].append(len(keys))
            for key in reversed(keys):
                level = levels[sign * key]
                first = len(book)
                order = level.head
                while order is not None:
                    book.append(order)
                    order = order.next
                level_prices.append(level.price)
                level_counts.append(len(book) - first)
    index = dict(zip(book, range(len(book)), strict=True))
    owners = sorted(state.owners)
    market_index = {market_id: i for i, market_id in enumerate(market_ids)}
    pos_owner: list[int] = []
    pos_market: list[int] = []
    pos_kind: list[int] = []
    pos_count: list[int] = []
    own: list[int] = []
    for w, owner in enumerate(owners):
        for pos in state.owners[owner]:
            own.extend([index[order] for order in pos.orders])
            pos_owner.append(w)
            pos_market.append(market_index[pos.market.market_id])
            pos_kind.append(pos.kind)
            pos_count.append(len(pos.orders))
    del index

    out = _Writer(compress)
    out.ints([state.last_seq])
    out.strs(market_ids)
    out.ints([m.yes_token for m in markets])
    out.ints([m.no_token for m in markets])
    out.ints([m.tick_decimals for m in markets])
    out.ints([m.min_size for m in markets])
    out.ints([m.fee_rate_bps for m in markets])
    out.ints([_STATUSES.index(m.status) for m in markets])
    out.ints(counts[0])
    out.ints(counts[1])
    out.ints(level_prices)
    out.ints(level_counts)
    out.strs(list(map(attrgetter("order_id"), book)))
    out.ints(list(map(attrgetter("remaining"), book)))
    out.ints(list(map(attrgetter("expiration"), book)))
    out.strs(owners)
    out.ints(pos_owner)
    out.ints(pos_market)
    out.ints(pos_kind)
    out.ints(pos_count)
    out.ints(own)
    return out.result()


# -- reading ----------------------------------------------------------------------------------------------------


class _Reader:
    __slots__ = ("at", "body", "budget")

    def __init__(self, body: memoryview, budget: int) -> None:
        self.body = body
        self.at = 0
        self.budget = budget

    def _column(self, count: int | None) -> tuple[int, int, bytes | memoryview]:
        body = self.body
        if len(body) - self.at < _COLUMN.size:
            raise SnapshotError("truncated: a column is missing")
        tag, deflated, n, size, stored = _COLUMN.unpack_from(body, self.at)
        start = self.at + _COLUMN.size
        if stored > len(body) - start:
            raise SnapshotError("truncated: a column is shorter than its header says")
        if count is not None and n != count:
            raise SnapshotError(f"a column has {n} values, {count} expected")
        self.at = start + stored
        payload: bytes | memoryview = body[start : start + stored]
        if size > self.budget:
            raise SnapshotError("snapshot larger than the limit (see `max_bytes`)")
        self.budget -= size
        if deflated == 1:
            inflater = zlib.decompressobj()
            try:
                payload = inflater.decompress(payload, size + 1)
            except zlib.error as exc:
                raise SnapshotError(f"corrupt column: {exc}") from exc
            if not inflater.eof or inflater.unused_data:
                raise SnapshotError("corrupt column: not one complete zlib stream")
        elif deflated != 0:
            raise SnapshotError(f"unknown column encoding {deflated}")
        if len(payload) != size:
            raise SnapshotError("a column's length does not match its header")
        return tag, n, payload

    def ints(self, count: int | None = None) -> list[int]:
        tag, n, payload = self._column(count)
        width = _WIDTHS.get(tag)
        if width is not None:
            if len(payload) != n * width:
                raise SnapshotError("an integer column has the wrong length")
            column = array(_TYPECODES[width])
            column.frombytes(payload)
            if _BIG_ENDIAN:
                column.byteswap()
            return column.tolist()
        if tag == _DECIMAL:
            if len(payload) > 100 * n + 1:  # uint256 has 78 digits
                raise SnapshotError("a decimal column is too long")
            text = bytes(payload).decode("ascii")
            values = [int(v) for v in text.split(",")] if n else []
            if len(values) != n or (not n and text):
                raise SnapshotError("a decimal column has the wrong number of values")
            return values
        raise SnapshotError(f"not an integer column (tag {tag})")

    def strs(self, count: int | None = None) -> list[str]:
        tag, n, payload = self._column(count)
        if tag == _HEX:
            if len(payload) < _U32.size:
                raise SnapshotError("truncated hex column")
            size = _U32.unpack_from(payload)[0]  # bytes per value
            if not size or len(payload) - _U32.size != n * size:
                raise SnapshotError("a hex column has the wrong length")
            digits = payload[_U32.size :].hex()
            step = 2 * size
            return ["0x" + digits[i : i + step] for i in range(0, n * step, step)]
        if tag == _TEXT:
            if len(payload) < 4 * n:
                raise SnapshotError("truncated text column")
            lengths = array(_LENGTHS)
            lengths.frombytes(payload[: 4 * n])
            if _BIG_ENDIAN:
                lengths.byteswap()
            text = bytes(payload[4 * n :]).decode("utf-8", "surrogatepass")
            if sum(lengths) != len(text):
                raise SnapshotError("a text column's lengths do not add up")
            values: list[str] = []
            at = 0
            for length in lengths:
                values.append(text[at : at + length])
                at += length
            return values
        raise SnapshotError(f"not a string column (tag {tag})")

    def end(self) -> None:
        if self.at != len(self.body):
            raise SnapshotError("trailing bytes after the last column")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SnapshotError(message)


def _body(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data).cast("B")
    if len(view) < _HEADER.size or view[:8] != MAGIC:
        raise SnapshotError("not an engine snapshot (bad magic)")
    _magic, version, flags, size, crc = _HEADER.unpack_from(view)
    if version != VERSION:
        raise SnapshotError(f"unsupported snapshot version {version} (this engine reads version {VERSION})")
    if flags:
        raise SnapshotError(f"unknown snapshot flags {flags:#x}")
    body = view[_HEADER.size :]
    if len(body) != size:
        raise SnapshotError(f"snapshot body is {len(body)} bytes, its header says {size}")
    if zlib.crc32(body) != crc:
        raise SnapshotError("snapshot checksum mismatch")
    return body


def load(data: bytes | bytearray | memoryview, *, max_bytes: int = MAX_BYTES) -> EngineState:
    """Rebuild an engine state from `dump`'s bytes; `SnapshotError` if they are not a valid snapshot, or if its
    columns would inflate to more than `max_bytes`.

    The cyclic garbage collector is paused while the objects are built (it would otherwise rescan the growing
    state again and again) and resumed afterwards.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _load(_Reader(_body(data), max_bytes))
    except SnapshotError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, UnicodeError) as exc:
        raise SnapshotError(f"corrupt snapshot: {exc!r}") from exc
    finally:
        if paused:
            gc.enable()


def _load(reader: _Reader) -> EngineState:
    state = EngineState()
    (last_seq,) = reader.ints(1)
    _require(last_seq >= -1, "last_seq below -1")
    state.last_seq = last_seq
    markets = _load_markets(reader, state)
    book = _load_books(reader, markets)
    _load_positions(reader, state, markets, book)
    reader.end()
    expiries = [(order.expiration - GTD_SAFETY_MARGIN_S, order.order_id) for order in book if order.expiration]
    heapify(expiries)
    state.expiries = expiries
    return state


def _load_markets(reader: _Reader, state: EngineState) -> list[Market]:
    ids = reader.strs()
    m = len(ids)
    yes_tokens, no_tokens = reader.ints(m), reader.ints(m)
    ticks, min_sizes, fees, statuses = reader.ints(m), reader.ints(m), reader.ints(m), reader.ints(m)
    markets: list[Market] = []
    for i, market_id in enumerate(ids):
        _require(i == 0 or ids[i - 1] < market_id, "markets not sorted by id, or repeated")
        yes, no = yes_tokens[i], no_tokens[i]
        _require(yes != no and yes not in state.tokens and no not in state.tokens, f"{market_id}: token reused")
        _require(ticks[i] in TICK_DECIMALS, f"{market_id}: tick decimals {ticks[i]}")
        _require(min_sizes[i] >= 0, f"{market_id}: minimum size {min_sizes[i]}")
        _require(0 <= fees[i] <= MAX_FEE_RATE_BPS, f"{market_id}: fee rate {fees[i]}")
        _require(0 <= statuses[i] < len(_STATUSES), f"{market_id}: status {statuses[i]}")
        market = Market(MarketId(market_id), TokenId(yes), TokenId(no), ticks[i], BaseUnits(min_sizes[i]), fees[i])
        market.status = _STATUSES[statuses[i]]
        state.markets[market.market_id] = market
        state.tokens[market.yes_token] = (market, 0)
        state.tokens[market.no_token] = (market, 1)
        markets.append(market)
    return markets


def _load_books(reader: _Reader, markets: list[Market]) -> list[Order]:
    """The levels and their orders (FIFO links, no positions yet); returns the orders in book order."""
    m = len(markets)
    bid_counts, ask_counts = reader.ints(m), reader.ints(m)
    _require(all(c >= 0 for c in bid_counts) and all(c >= 0 for c in ask_counts), "negative level count")
    levels_total = sum(bid_counts) + sum(ask_counts)
    prices, counts = reader.ints(levels_total), reader.ints(levels_total)
    ids = reader.strs()
    n = len(ids)
    _require(sum(counts) == n and (not counts or min(counts) >= 1), "level order counts do not match the orders")
    remaining, expirations = reader.ints(n), reader.ints(n)
    _require(not remaining or (min(remaining) > 0 and max(remaining) <= MAX_AMOUNT), "order remaining out of range")
    book: list[Order] = []
    at = 0
    lv = 0
    for market, bids, asks in zip(markets, bid_counts, ask_counts, strict=True):
        _require(market.status != MarketStatus.RESOLVED or not bids + asks, f"{market.market_id}: resolved, has orders")
        tick = market.tick
        for is_bid, count in ((True, bids), (False, asks)):
            side = market.bids if is_bid else market.asks
            previous = PRICE_SCALE if is_bid else 0
            for _ in range(count):
                price, size = prices[lv], counts[lv]
                lv += 1
                better = previous > price if is_bid else previous < price
                if not (better and 0 < price < PRICE_SCALE and price % tick == 0):
                    raise SnapshotError(f"{market.market_id}: level {price} off tick, or out of order")
                previous = price
                level = side[price] = Level(market, price, is_bid)
                prev: Order | None = None
                for order_id, rest, expiration in zip(
                    ids[at : at + size], remaining[at : at + size], expirations[at : at + size], strict=True
                ):
                    order = Order()
                    order.order_id = OrderId(order_id)
                    order.remaining = rest
                    order.expiration = expiration
                    order.level = level
                    order.prev = prev
                    order.next = None
                    if prev is None:
                        level.head = order
                    else:
                        prev.next = order
                    prev = order
                    book.append(order)
                level.tail = prev
                at += size
        bid_prices = list(market.bids)  # best (highest) first
        ask_prices = list(market.asks)  # best (lowest) first
        bid_prices.reverse()
        market.bid_keys = bid_prices
        market.ask_keys = [-p for p in reversed(ask_prices)]
        market.best_bid = bid_prices[-1] if bid_prices else NO_BID
        market.best_ask = ask_prices[0] if ask_prices else NO_ASK
        _require(market.best_bid < market.best_ask, f"{market.market_id}: crossed book")
    return book


def _load_positions(reader: _Reader, state: EngineState, markets: list[Market], book: list[Order]) -> None:
    """Positions with their orders in creation order, each order's position, level sizes and reserved amounts."""
    owners = reader.strs()
    w = len(owners)
    _require(all(owners[i - 1] < owners[i] for i in range(1, w)), "owners not sorted, or repeated")
    pos_owner = reader.ints()
    p = len(pos_owner)
    pos_market, pos_kind, pos_count = reader.ints(p), reader.ints(p), reader.ints(p)
    own = reader.ints(len(book))
    n = len(book)
    _require(not own or (min(own) >= 0 and max(own) < n), "order index out of range")
    _require(sum(pos_count) == n and (not pos_count or min(pos_count) >= 1), "position counts do not match")
    _require(not p or (min(pos_market) >= 0 and max(pos_market) < len(markets)), "position market out of range")
    _require(all(0 <= kind < 4 for kind in pos_kind), "position kind out of range")
    _require(pos_owner == sorted(pos_owner) and sorted(set(pos_owner)) == list(range(w)), "positions of owners")
    for order in book:
        order.pos = None  # type: ignore[assignment]  # (marks "not yet placed"; every order gets one below)
    at = 0
    for owner_index, market_index, kind, count in zip(pos_owner, pos_market, pos_kind, pos_count, strict=True):
        owner = Address(owners[owner_index])
        market = markets[market_index]
        account = market.accounts.get(owner)
        _require(account is None or account[kind] is None, f"position {owner}/{market.market_id}/{kind} repeated")
        pos = state.position(owner, market, kind)
        is_bid = IS_BID[kind]
        outcome_no = kind >= 2
        sell = kind & 1
        reserved = 0
        owned = pos.orders
        for i in own[at : at + count]:
            order = book[i]
            level = order.level
            if order.pos is not None or level.market is not market or level.is_bid != is_bid:
                raise SnapshotError(f"{order.order_id}: in two positions, or in a position of another book")
            rest = order.remaining
            price = level.price
            if sell:  # shares it adds to its level (`book.available`)
                shares = rest - rest % GRAIN[price]
            else:
                shares = rest // UNIT[PRICE_SCALE - price if outcome_no else price] * GRAIN[price]
            if shares <= 0:
                raise SnapshotError(f"{order.order_id}: resting with nothing to trade")
            level.size += shares
            reserved += rest
            order.pos = pos
            owned.append(order)
        pos.reserved = reserved
        at += count
    state.orders = dict(zip((order.order_id for order in book), book, strict=True))
    _require(len(state.orders) == n, "repeated order id")
