"""The unified book of one binary market: mutable, slotted internals (never handed out).

One book serves both outcome tokens. It is kept in YES-price space: a bid level at `P` pips holds BUY YES orders
at `P` and SELL NO orders at `10_000 - P` in one FIFO (arrival order across both representations); an ask level
holds SELL YES at `P` and BUY NO at `10_000 - P`. The NO book is the same levels mirrored (a YES bid at `P` is a
NO ask at `1 - P`).

- `Order`: a resting order, a node of its level's FIFO (an intrusive doubly linked list: O(1) unlink wherever
  the order stands in a deep level) and an entry of its position's list. `remaining` is in maker units, exactly
  the contract's `remaining`.
- `Level`: a price level; `size` is the sum of its orders' *available* shares (whole granules, see
  `clob.engine.pricing`).
- `Position`: one owner's resting orders of one kind in one market, a plain list in creation order, with the
  amount they reserve (collateral for BUY kinds, shares of the token for SELL kinds). Removing an order scans
  that list, which is short: one owner's orders of one kind in one market.
- `Market`: parameters, state, the two sides (dicts from price to level plus sorted price keys: bids ascending,
  asks as negated prices ascending, so the best of each side is the last element) and the owners' positions.
"""

from __future__ import annotations

from bisect import insort
from typing import Final

from clob.engine.pricing import GRAIN, UNIT
from clob.engine.types import PRICE_SCALE, Address, BaseUnits, MarketId, MarketStatus, OrderId, TokenId

NO_BID: Final = 0
NO_ASK: Final = PRICE_SCALE


class Position:
    __slots__ = ("kind", "market", "orders", "owner", "reserved")

    def __init__(self, owner: Address, market: Market, kind: int) -> None:
        self.owner = owner
        self.market = market
        self.kind = kind
        self.orders: list[Order] = []
        """the resting orders, in creation order"""
        self.reserved = 0


class Order:
    """A resting order. It has no `__init__`: the code that creates one (`EngineState.rest`, `snapshot.load`)
    fills every slot right away, saving a call on the hottest path."""

    __slots__ = ("expiration", "level", "next", "order_id", "pos", "prev", "remaining")

    order_id: OrderId
    pos: Position
    remaining: int
    expiration: int
    level: Level
    prev: Order | None
    next: Order | None


class Level:
    __slots__ = ("head", "is_bid", "market", "price", "size", "stamp", "tail")

    def __init__(self, market: Market, price: int, is_bid: bool) -> None:
        self.market = market
        self.price = price
        self.is_bid = is_bid
        self.size = 0
        self.head: Order | None = None
        self.tail: Order | None = None
        self.stamp = -1  # seq of the last command that touched the level (to emit one delta per command)


def available(kind: int, price: int, remaining: int) -> int:
    """Shares an order of `kind` resting at YES price `price` can still deliver in whole granules."""
    grain = GRAIN[price]
    if kind & 1:
        return remaining - remaining % grain
    return remaining // UNIT[price if kind == 0 else PRICE_SCALE - price] * grain


class Market:
    __slots__ = (
        "accounts",
        "ask_keys",
        "asks",
        "best_ask",
        "best_bid",
        "bid_keys",
        "bids",
        "fee_rate_bps",
        "market_id",
        "min_size",
        "no_token",
        "status",
        "tick",
        "tick_decimals",
        "yes_token",
    )

    def __init__(
        self,
        market_id: MarketId,
        yes_token: TokenId,
        no_token: TokenId,
        tick_decimals: int,
        min_size: BaseUnits,
        fee_rate_bps: int,
    ) -> None:
        self.market_id = market_id
        self.yes_token = yes_token
        self.no_token = no_token
        self.tick_decimals = tick_decimals
        self.tick = 10 ** (4 - tick_decimals)
        self.min_size = min_size
        self.fee_rate_bps = fee_rate_bps
        self.status = MarketStatus.OPEN
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_keys: list[int] = []
        self.ask_keys: list[int] = []
        self.best_bid = NO_BID
        self.best_ask = NO_ASK
        self.accounts: dict[Address, list[Position | None]] = {}
        """owner -> its positions in this market, by kind"""

    def token(self, index: int) -> TokenId:
        return self.yes_token if index == 0 else self.no_token

    def level_for(self, price: int, is_bid: bool) -> Level:
        """The level at `price` on one side, created (and indexed) if missing."""
        side = self.bids if is_bid else self.asks
        level = side.get(price)
        if level is None:
            level = side[price] = Level(self, price, is_bid)
            if is_bid:
                insort(self.bid_keys, price)
                if price > self.best_bid:
                    self.best_bid = price
            else:
                insort(self.ask_keys, -price)
                if price < self.best_ask:
                    self.best_ask = price
        return level

    def drop_level(self, level: Level) -> None:
        price = level.price
        if level.is_bid:
            del self.bids[price]
            keys = self.bid_keys
            if keys[-1] == price:
                keys.pop()
                self.best_bid = keys[-1] if keys else NO_BID
            else:
                keys.remove(price)
        else:
            del self.asks[price]
            keys = self.ask_keys
            if keys[-1] == -price:
                keys.pop()
                self.best_ask = -keys[-1] if keys else NO_ASK
            else:
                keys.remove(-price)
