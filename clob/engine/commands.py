"""Commands: the only inputs of the engine.

Every command carries `seq`, the sequence number the journal assigned to it (strictly increasing; the engine
rejects a stale one), and `now`, the unix time of the command. The engine never reads a clock: expiry is decided
by `now` alone, so replaying the journal reproduces every decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from clob.engine.types import (
    Address,
    BaseUnits,
    MarketId,
    OrderId,
    OrderType,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
)


@dataclass(frozen=True, slots=True)
class CreateMarket:
    """Open a binary market: `yes_token` is outcome index 0, `no_token` index 1."""

    seq: Seq
    now: UnixSeconds
    market: MarketId
    yes_token: TokenId
    no_token: TokenId
    tick_decimals: int
    min_size: BaseUnits
    fee_rate_bps: int


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """A signed V1 order (the fields the book needs) and how to place it.

    BUY: `maker_amount` is the USDC paid, `taker_amount` the shares received. SELL: `maker_amount` is the
    shares sold, `taker_amount` the USDC received. `order_id` is the order's EIP-712 hash.
    """

    seq: Seq
    now: UnixSeconds
    order_id: OrderId
    maker: Address
    token_id: TokenId
    side: Side
    maker_amount: BaseUnits
    taker_amount: BaseUnits
    fee_rate_bps: int
    expiration: UnixSeconds
    order_type: OrderType
    post_only: bool = False


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel one order. With `owner` set, only that owner's order is cancelled (else `NOT_OWNER`)."""

    seq: Seq
    now: UnixSeconds
    order_id: OrderId
    owner: Address | None = None


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every resting order of `owner`, optionally only in one market or one token."""

    seq: Seq
    now: UnixSeconds
    owner: Address
    market: MarketId | None = None
    token_id: TokenId | None = None


@dataclass(frozen=True, slots=True)
class CancelMarketOrders:
    """Operator action: cancel every resting order of a market (optionally one token), reason ADMIN."""

    seq: Seq
    now: UnixSeconds
    market: MarketId
    token_id: TokenId | None = None


@dataclass(frozen=True, slots=True)
class HaltMarket:
    """Stop accepting orders; resting orders stay and can still be cancelled."""

    seq: Seq
    now: UnixSeconds
    market: MarketId


@dataclass(frozen=True, slots=True)
class ResumeMarket:
    seq: Seq
    now: UnixSeconds
    market: MarketId


@dataclass(frozen=True, slots=True)
class ResolveMarket:
    """Close the market for good: every resting order is cancelled with reason MARKET_RESOLVED."""

    seq: Seq
    now: UnixSeconds
    market: MarketId


@dataclass(frozen=True, slots=True)
class ChangeTickSize:
    """Make the tick finer (more decimals). Resting prices stay on tick, so nothing is re-priced."""

    seq: Seq
    now: UnixSeconds
    market: MarketId
    tick_decimals: int


@dataclass(frozen=True, slots=True)
class ExpireOrders:
    """Cancel, with reason EXPIRED, every order expired at `now` (the GTD sweep)."""

    seq: Seq
    now: UnixSeconds


Command = (
    CreateMarket
    | PlaceOrder
    | CancelOrder
    | CancelAll
    | CancelMarketOrders
    | HaltMarket
    | ResumeMarket
    | ResolveMarket
    | ChangeTickSize
    | ExpireOrders
)
