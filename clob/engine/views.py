"""Read-only queries: frozen snapshots of the engine state, safe to hand to other layers."""

from __future__ import annotations

from dataclasses import dataclass

from clob.engine.book import Market, Order, available
from clob.engine.state import EngineState
from clob.engine.types import (
    PRICE_SCALE,
    Address,
    BaseUnits,
    MarketId,
    MarketStatus,
    OrderId,
    OrderType,
    Pips,
    Side,
    TokenId,
    UnixSeconds,
)


@dataclass(frozen=True, slots=True)
class MarketInfo:
    market: MarketId
    yes_token: TokenId
    no_token: TokenId
    tick_decimals: int
    min_size: BaseUnits
    fee_rate_bps: int
    status: MarketStatus


@dataclass(frozen=True, slots=True)
class OrderView:
    """A resting order. `price` is in pips of its own token; `remaining` in maker units (USDC for a BUY,
    shares for a SELL); `size` is the shares it can still trade (what it adds to its book level)."""

    order_id: OrderId
    market: MarketId
    owner: Address
    token_id: TokenId
    side: Side
    order_type: OrderType
    price: Pips
    remaining: BaseUnits
    size: BaseUnits
    expiration: UnixSeconds


@dataclass(frozen=True, slots=True)
class TokenBook:
    """One token's book: (price in pips, size in shares) per level, best level first on both sides."""

    market: MarketId
    token_id: TokenId
    bids: tuple[tuple[Pips, BaseUnits], ...]
    asks: tuple[tuple[Pips, BaseUnits], ...]


@dataclass(frozen=True, slots=True)
class Reserved:
    """What an owner's resting orders lock: collateral for BUYs, shares per token for SELLs (a copy)."""

    collateral: BaseUnits
    tokens: dict[TokenId, BaseUnits]


def market_info(state: EngineState, market_id: MarketId) -> MarketInfo | None:
    market = state.markets.get(market_id)
    if market is None:
        return None
    return MarketInfo(
        market.market_id,
        market.yes_token,
        market.no_token,
        market.tick_decimals,
        BaseUnits(market.min_size),
        market.fee_rate_bps,
        market.status,
    )


def view_order(order: Order) -> OrderView:
    pos = order.pos
    market = pos.market
    kind = pos.kind
    price = order.level.price
    return OrderView(
        order.order_id,
        market.market_id,
        pos.owner,
        market.token(kind >> 1),
        Side(kind & 1),
        OrderType.GTD if order.expiration else OrderType.GTC,
        Pips(price if kind < 2 else PRICE_SCALE - price),
        BaseUnits(order.remaining),
        BaseUnits(available(kind, price, order.remaining)),
        UnixSeconds(order.expiration),
    )


def orders_of(
    state: EngineState, owner: Address, market_id: MarketId | None = None, token_id: TokenId | None = None
) -> list[OrderView]:
    """An owner's resting orders, by position (creation order) then arrival."""
    views: list[OrderView] = []
    for pos in state.owners.get(owner, ()):
        market = pos.market
        if market_id is not None and market.market_id != market_id:
            continue
        if token_id is not None and market.token(pos.kind >> 1) != token_id:
            continue
        views.extend([view_order(order) for order in pos.orders])
    return views


def _side_levels(market: Market, bids: bool, depth: int | None) -> list[tuple[int, int]]:
    levels = market.bids if bids else market.asks
    keys = market.bid_keys if bids else market.ask_keys
    picked = keys[-depth:] if depth is not None and depth > 0 else keys
    sign = 1 if bids else -1
    return [(sign * key, levels[sign * key].size) for key in reversed(picked)]


def token_book(state: EngineState, token_id: TokenId, depth: int | None = None) -> TokenBook | None:
    """The book of one token, mirrored from the unified YES-price book for the NO token."""
    entry = state.tokens.get(token_id)
    if entry is None:
        return None
    market, index = entry
    bids = _side_levels(market, index == 0, depth)
    asks = _side_levels(market, index != 0, depth)
    if index:
        bids = [(PRICE_SCALE - price, size) for price, size in bids]
        asks = [(PRICE_SCALE - price, size) for price, size in asks]
    return TokenBook(
        market.market_id,
        token_id,
        tuple((Pips(p), BaseUnits(s)) for p, s in bids),
        tuple((Pips(p), BaseUnits(s)) for p, s in asks),
    )


def best_bid_ask(state: EngineState, token_id: TokenId) -> tuple[Pips | None, Pips | None]:
    """Best bid and best ask of one token (None for an empty side)."""
    book = token_book(state, token_id, depth=1)
    if book is None:
        return None, None
    return (book.bids[0][0] if book.bids else None, book.asks[0][0] if book.asks else None)


def reserved(state: EngineState, owner: Address) -> Reserved:
    collateral = 0
    tokens: dict[TokenId, BaseUnits] = {}
    for pos in state.owners.get(owner, ()):
        if pos.kind & 1:
            token = pos.market.token(pos.kind >> 1)
            tokens[token] = BaseUnits(tokens.get(token, 0) + pos.reserved)
        else:
            collateral += pos.reserved
    return Reserved(BaseUnits(collateral), tokens)
