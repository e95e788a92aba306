"""Crossing and fill amounts: every trade is one `matchOrders` call the exchange accepts exactly as emitted.

**Crossing.** The incoming order (the taker) walks the opposite side of the YES-price book from the best level
while the level crosses its bound (`pricing.yes_bound`), in price-time order across both representations. A
maker on the taker's token trades COMPLEMENTARY; a maker on the other token trades MINT (two BUYs: their
collateral is split into a YES and a NO share) or MERGE (two SELLs: a YES and a NO share are merged back into
collateral). The maker's price is the execution price; the taker keeps any improvement over its limit.

**Amounts, in the contract's terms.** Fill amounts are in maker units of each order, and the contract computes
``taking = making * takerAmount // makerAmount`` and keeps ``remaining`` per order in maker units; the engine
keeps `Order.remaining` the same way. Rounding rule:

- Makers trade whole granules only (`pricing.GRAIN`): `s` shares at their own price `q` move exactly
  ``s * q / 10_000`` USDC, so a BUY maker's taking is exactly `s` shares and a SELL maker's taking exactly the
  USDC at its price, with no rounding at all.
- The taker's fill amount follows from what the makers delivered. A SELL taker gives exactly the shares sold
  (``taker_fill = S``) and receives the makers' USDC, at least its limit. A BUY taker is owed `takerAmount`
  shares for `makerAmount` USDC: it is charged its whole `makerAmount` once it has received at least
  `takerAmount` shares (granules are rounded *up* to reach it, within budget), otherwise the largest fill whose
  contract minimum ``floor(fill * takerAmount / makerAmount)`` does not exceed the shares received. The exchange
  refunds ``taker_fill`` minus what the makers were paid. Rounding therefore never leaves a taker with less than
  its signed ratio allows, and makers are always paid exactly at their price.

**Dust.** The walk stops at the first maker the taker can no longer fill by one granule: a SELL taker left with
fewer shares than a granule, or a BUY taker whose USDC cannot pay for one. What is left (under 0.01 share or 0.01
USDC) is dust: the order is done (`OrderStatus.MATCHED`; a FOK counts as filled), and its dust stays unused in the
contract's `remaining`. Likewise a resting order whose remaining no longer covers one granule at its own price is
done and leaves the book. Limit orders (sizes in 0.01 share) only ever leave dust after trading against fine
granules of an off-tick market order.

**Self-trade prevention: cancel the resting order.** A maker of the same owner as the taker is cancelled
(reason SELF_TRADE) and the walk goes on; expired makers are cancelled (EXPIRED) likewise. A FOK or FAK that ends
up not trading changes nothing, cancellations included.
"""

from __future__ import annotations

from typing import Final

from clob.engine.book import Level, Market, Order
from clob.engine.events import Event, MakerFill, OrderUpdated
from clob.engine.pricing import GRAIN, IS_BID, UNIT, maker_fee
from clob.engine.state import EngineState
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    PRICE_SCALE,
    Address,
    BaseUnits,
    CancelReason,
    MatchType,
    OrderStatus,
    Pips,
    Side,
)

_SELF_TRADE: Final = CancelReason.SELF_TRADE
_EXPIRED: Final = CancelReason.EXPIRED
_COMPLEMENTARY: Final = MatchType.COMPLEMENTARY
_MINT: Final = MatchType.MINT
_MERGE: Final = MatchType.MERGE
_BUY: Final = Side.BUY
_SELL: Final = Side.SELL
_LIVE: Final = OrderStatus.LIVE
_MATCHED: Final = OrderStatus.MATCHED


class Plan:
    """What a taker would do against the book, computed without touching it (so a FOK can be dropped)."""

    __slots__ = ("cancels", "done", "fills", "shares", "value")

    def __init__(self) -> None:
        self.fills: list[tuple[Order, int]] = []
        """(maker, shares) in priority order"""
        self.cancels: list[tuple[Order, CancelReason]] = []
        self.shares = 0
        """shares the taker receives (BUY) or gives (SELL)"""
        self.value = 0
        """USDC the makers are paid (BUY taker) or pay (SELL taker), at their prices"""
        self.done = False
        """the taker is complete (up to dust); False means the crossing liquidity ran out first"""


def plan_match(
    market: Market, kind: int, bound: int, owner: Address, now: int, maker_amount: int, taker_amount: int
) -> Plan:
    """Walk the book for an incoming order of `kind` with YES-price `bound` and the given signed amounts."""
    plan = Plan()
    fills = plan.fills
    cancels = plan.cancels
    taker_bid = IS_BID[kind]
    is_buy = not kind & 1
    outcome = kind >> 1
    yes_taker = outcome == 0
    levels = market.asks if taker_bid else market.bids
    keys = market.ask_keys if taker_bid else market.bid_keys
    want = taker_amount if is_buy else maker_amount
    budget = maker_amount
    shares = value = 0
    horizon = now + GTD_SAFETY_MARGIN_S
    done = False
    for key in reversed(keys):
        if taker_bid:
            price = -key
            if price > bound:
                break
        elif key < bound:
            break
        else:
            price = key
        grain = GRAIN[price]
        unit = UNIT[price if yes_taker else PRICE_SCALE - price]  # USDC of a granule in the taker's token
        other_unit = UNIT[PRICE_SCALE - price if yes_taker else price]  # ... and in the other token
        order = levels[price].head
        while order is not None:
            pos = order.pos
            expiration = order.expiration
            if pos.owner == owner:
                cancels.append((order, _SELF_TRADE))
            elif expiration and expiration <= horizon:
                cancels.append((order, _EXPIRED))
            else:
                remaining = order.remaining
                maker_kind = pos.kind
                if maker_kind & 1:  # available shares, as `book.available`
                    avail = remaining - remaining % grain
                else:
                    avail = remaining // (unit if maker_kind >> 1 == outcome else other_unit) * grain
                if is_buy:
                    take = -(-want // grain) * grain
                    if take > avail:
                        take = avail
                    cost = take // grain * unit
                    if cost > budget:  # cannot pay for what is owed: buy what the budget allows, then stop
                        take = budget // unit * grain
                        if take:
                            fills.append((order, take))
                            shares += take
                            value += take // grain * unit
                        done = True
                        break
                    fills.append((order, take))
                    shares += take
                    value += cost
                    budget -= cost
                    want -= take
                    if want <= 0:
                        done = True
                        break
                else:
                    take = want // grain * grain
                    if take >= avail:
                        take = avail
                    else:  # the maker outlasts the taker: what is left of the taker is under one granule
                        done = True
                    if take:
                        fills.append((order, take))
                        shares += take
                        value += take // grain * unit
                        want -= take
                    if done or want == 0:
                        done = True
                        break
            order = order.next
        if done:
            break
    plan.shares = shares
    plan.value = value
    plan.done = done
    return plan


def buy_taker_fill(plan: Plan, maker_amount: int, taker_amount: int) -> int:
    """The BUY taker's fill in maker units (USDC): all of it once owed shares are delivered, else the largest
    amount whose contract minimum ``fill * taker_amount // maker_amount`` is covered by the shares received."""
    shares = plan.shares
    if shares >= taker_amount:
        return maker_amount
    return min(maker_amount, ((shares + 1) * maker_amount - 1) // taker_amount)


def execute_fills(
    state: EngineState,
    market: Market,
    fills: list[tuple[Order, int]],
    taker_buy: bool,
    seq: int,
    touched: list[Level],
    out: list[Event],
) -> tuple[MakerFill, ...]:
    """Apply a plan's fills to the makers; append their `OrderUpdated`s to `out`; return the maker fills.

    A maker filled down to dust leaves the book (`EngineState.remove`)."""
    fee_rate = market.fee_rate_bps
    market_id = market.market_id
    yes_token, no_token = market.yes_token, market.no_token
    buy_match, sell_match = (_MINT, _COMPLEMENTARY) if taker_buy else (_COMPLEMENTARY, _MERGE)
    maker_fills: list[MakerFill] = []
    level: Level | None = None
    grain = yes_unit = no_unit = 0
    for order, take in fills:
        if order.level is not level:  # the first fill at a level: its constants, and the level is touched
            level = order.level
            price = level.price
            grain = GRAIN[price]
            yes_unit = UNIT[price]
            no_unit = UNIT[PRICE_SCALE - price]
            if level.stamp != seq:
                level.stamp = seq
                touched.append(level)
        pos = order.pos
        kind = pos.kind
        owner = pos.owner
        order_id = order.order_id
        if kind < 2:
            token_id = yes_token
            own = price
            unit = yes_unit
        else:
            token_id = no_token
            own = PRICE_SCALE - price
            unit = no_unit
        value = take // grain * unit
        if kind & 1:
            making = take
            taking = value
            side = _SELL
            match_type = sell_match
            least = grain  # what the order must still hold to trade a granule (`book.available`, inlined)
        else:
            making = value
            taking = take
            side = _BUY
            match_type = buy_match
            least = unit
        fee = maker_fee(fee_rate, kind, own, making, taking) if fee_rate else 0
        fill = MakerFill(
            order_id, owner, token_id, side, match_type, Pips(own), BaseUnits(making), BaseUnits(taking), BaseUnits(fee)
        )
        maker_fills.append(fill)
        remaining = order.remaining - making
        order.remaining = remaining
        level.size -= take
        pos.reserved -= making
        if remaining >= least:
            status = _LIVE
        else:  # filled, up to dust: off the book
            status = _MATCHED
            state.remove(order, 0)
        out.append(OrderUpdated(order_id, market_id, owner, BaseUnits(remaining), status))
    return tuple(maker_fills)
