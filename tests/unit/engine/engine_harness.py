"""Test harness for the matching engine: order builders, and a runner that checks every command.

`Harness.apply` runs a command, then checks the engine's invariants (FIFO included), and settles every `Trade`
on the `ContractModel` of the exchange: the model must accept the call, compute the same amounts and fees,
keep collateral and each outcome token conserved, and agree with the engine on each order's remaining.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from contract_model import ContractModel, SignedOrder

from clob.engine import (
    PRICE_SCALE,
    Address,
    BaseUnits,
    Command,
    CreateMarket,
    Engine,
    Event,
    MarketId,
    OrderAccepted,
    OrderCancelled,
    OrderId,
    OrderType,
    OrderUpdated,
    PlaceOrder,
    Seq,
    Side,
    TokenId,
    Trade,
    UnixSeconds,
    check_invariants,
)

SHARE = 1_000_000
NOW = UnixSeconds(1_700_000_000)
MARKET = MarketId("0x" + "11" * 32)
YES = TokenId(101)
NO = TokenId(102)
OPERATOR = "operator"
E = TypeVar("E")
FUNDING = 10**15


def order_id(tag: str) -> OrderId:
    """A readable order id (real ones are EIP-712 hashes; the engine only needs uniqueness)."""
    return OrderId(f"0x{tag}")


def limit(
    tag: str,
    owner: str,
    token: TokenId,
    side: Side,
    price: int,
    shares: int,
    order_type: OrderType = OrderType.GTC,
    *,
    expiration: int = 0,
    post_only: bool = False,
    fee_rate_bps: int = 0,
) -> PlaceOrder:
    """A limit order of `shares` base units at `price` pips, with the exact amounts the clients sign."""
    usdc = shares * price // PRICE_SCALE
    maker, taker = (usdc, shares) if side == Side.BUY else (shares, usdc)
    return PlaceOrder(
        Seq(0),
        NOW,
        order_id(tag),
        Address(owner),
        token,
        side,
        BaseUnits(maker),
        BaseUnits(taker),
        fee_rate_bps,
        UnixSeconds(expiration),
        order_type,
        post_only,
    )


def raw(
    tag: str,
    owner: str,
    token: TokenId,
    side: Side,
    maker_amount: int,
    taker_amount: int,
    order_type: OrderType = OrderType.FOK,
    *,
    fee_rate_bps: int = 0,
    expiration: int = 0,
) -> PlaceOrder:
    """An order with explicit signed amounts (market orders with off-tick ratios, bad precision...)."""
    return PlaceOrder(
        Seq(0),
        NOW,
        order_id(tag),
        Address(owner),
        token,
        side,
        BaseUnits(maker_amount),
        BaseUnits(taker_amount),
        fee_rate_bps,
        UnixSeconds(expiration),
        order_type,
        False,
    )


def market_command(
    market: MarketId = MARKET,
    yes: TokenId = YES,
    no: TokenId = NO,
    *,
    tick_decimals: int = 2,
    min_size: int = 5 * SHARE,
    fee_rate_bps: int = 0,
) -> CreateMarket:
    return CreateMarket(Seq(0), NOW, market, yes, no, tick_decimals, BaseUnits(min_size), fee_rate_bps)


@dataclass
class Harness:
    """Runs commands with fresh sequence numbers, checking everything after each one."""

    engine: Engine = field(default_factory=Engine)
    model: ContractModel = field(default_factory=lambda: ContractModel(OPERATOR))
    seq: int = 0
    placed: dict[str, PlaceOrder] = field(default_factory=dict)
    arrival: dict[OrderId, int] = field(default_factory=dict)
    trades: list[Trade] = field(default_factory=list)
    log: list[tuple[Command, list[Event]]] = field(default_factory=list)
    funded: set[str] = field(default_factory=set)
    conditions: dict[TokenId, str] = field(default_factory=dict)

    def apply(self, command: Command, *, now: int | None = None) -> list[Event]:
        """Stamp `command` with the next seq (and `now`, if given), apply it, check everything."""
        self.seq += 1
        stamped = _restamp(command, self.seq, now)
        if isinstance(stamped, CreateMarket):
            self._register(stamped)
        if isinstance(stamped, PlaceOrder):
            self.placed[stamped.order_id] = stamped
            self.fund(stamped.maker)
        events = self.engine.apply(stamped)
        self.log.append((stamped, events))
        for event in events:
            if isinstance(event, OrderAccepted):
                self.arrival[event.order_id] = self.seq
            elif isinstance(event, Trade):
                self.trades.append(event)
                self._settle(event, stamped.now)
        check_invariants(self.engine, self.arrival)
        self._check_remaining(events)
        return events

    def run(self, commands: Iterable[Command]) -> list[Event]:
        events: list[Event] = []
        for command in commands:
            events.extend(self.apply(command))
        return events

    # -- settlement on the contract model ----------------------------------------------------------------------

    def _register(self, cmd: CreateMarket) -> None:
        if cmd.yes_token in self.model.complements or cmd.no_token in self.model.complements:
            return
        if cmd.yes_token == cmd.no_token:
            return
        self.model.register_token(cmd.yes_token, cmd.no_token, cmd.market)
        self.conditions[cmd.yes_token] = self.conditions[cmd.no_token] = cmd.market
        for owner in self.funded:
            self.model.split(owner, cmd.market, FUNDING)

    def fund(self, owner: str) -> None:
        if owner in self.funded:
            return
        self.funded.add(owner)
        self.model.deposit(owner, 100 * FUNDING)  # enough to split into every market a test creates
        for condition in self.model.outcomes:
            self.model.split(owner, condition, FUNDING)

    def _settle(self, trade: Trade, now: int) -> None:
        model = self.model
        collateral_before = model.supply(0) + model.ctf_collateral
        taker = SignedOrder.from_command(self.placed[trade.taker_order_id])
        makers = [SignedOrder.from_command(self.placed[m.order_id]) for m in trade.makers]
        result = model.match_orders(taker, makers, trade.taker_fill, [m.making for m in trade.makers], now)
        assert result.taker.making == trade.taker_fill
        assert result.taker.taking == trade.taker_taking, (result.taker, trade)
        assert result.taker.fee == trade.taker_fee, (result.taker, trade)
        for fill, expected in zip(trade.makers, result.makers, strict=True):
            assert (fill.making, fill.taking, fill.fee, fill.match_type) == (
                expected.making,
                expected.taking,
                expected.fee,
                expected.match_type,
            ), (fill, expected)
        assert model.supply(0) + model.ctf_collateral == collateral_before, "collateral not conserved"
        locked = 0
        for yes, no in model.outcomes.values():
            assert model.supply(yes) == model.supply(no), f"outcome supplies of {yes}/{no} differ"
            locked += model.supply(yes)
        assert locked == model.ctf_collateral, "outcome supply != collateral locked in the CTF"
        check_limits(trade, self.placed)

    def _check_remaining(self, events: Sequence[Event]) -> None:
        """The engine's `remaining` of every order it reports on equals the contract's (for traded orders)."""
        for event in events:
            if isinstance(event, (OrderUpdated, OrderCancelled)) and event.order_id in self.model.remaining:
                signed = SignedOrder.from_command(self.placed[event.order_id])
                assert self.model.remaining_of(signed) == event.remaining, (event, self.model.remaining_of(signed))


def check_limits(trade: Trade, placed: dict[str, PlaceOrder]) -> None:
    """Every maker trades exactly at its own price; the taker never does worse than its signed ratio."""
    for fill in trade.makers:
        order = placed[fill.order_id]
        if fill.side == Side.BUY:  # paid `making` USDC for `taking` shares at exactly its price
            assert fill.making * order.taker_amount == fill.taking * order.maker_amount
            assert fill.making * PRICE_SCALE == fill.taking * fill.price
        else:
            assert fill.taking * order.maker_amount == fill.making * order.taker_amount
            assert fill.taking * PRICE_SCALE == fill.making * fill.price
    taker = placed[trade.taker_order_id]
    assert trade.makers
    if taker.side == Side.BUY:
        cost = _buy_cost(trade)
        assert trade.taker_taking >= trade.taker_fill * taker.taker_amount // taker.maker_amount
        assert 0 < cost <= trade.taker_fill  # the refund is never negative
        assert cost * taker.taker_amount <= trade.taker_taking * taker.maker_amount  # paid price <= limit
    else:
        assert trade.taker_taking * taker.maker_amount >= trade.taker_fill * taker.taker_amount  # price >= limit


def _buy_cost(trade: Trade) -> int:
    """USDC a BUY taker actually pays: what COMPLEMENTARY makers receive plus its share of MINT collateral."""
    cost = 0
    for fill in trade.makers:
        if fill.side == Side.SELL:  # COMPLEMENTARY: the maker is paid its taking
            cost += fill.taking
        else:  # MINT: one share of collateral per share, the maker pays `making` of it
            cost += fill.taking - fill.making
    return cost


def _restamp(command: Command, seq: int, now: int | None) -> Command:
    if now is None:
        return replace(command, seq=Seq(seq))
    return replace(command, seq=Seq(seq), now=UnixSeconds(now))


def events_of(events: Iterable[Event], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


def snapshot(h: Harness) -> tuple[object, ...]:
    """Everything observable about the books and orders (not `last_seq`)."""
    engine = h.engine
    books = tuple(engine.book(token) for token in sorted(h.conditions))
    orders = tuple(view for owner in sorted(h.funded) for view in engine.orders_by_owner(owner))
    return books, orders, engine.resting_count()
