"""A pure-Python model of CTFExchange `matchOrders`: its checks and its balance movements.

It exists to prove, in tests, that every `Trade` the engine emits settles on chain exactly as emitted. It follows
`Trading._matchOrders` step by step (Polymarket/ctf-exchange): taker checks and status update, pull the taker's
making, then per maker: match type, crossing (1e18-scaled prices, floored), token checks, status update (fills
are in maker units and may not exceed `remaining`), pull the maker's making, split (MINT) or merge (MERGE), require
the exchange to hold the maker's taking, pay it less the fee, fee to the operator; finally pay the taker the
exchange's *whole* balance of its receive asset (at least ``fill * takerAmount // makerAmount``) less its fee,
priced on the actual amounts, and refund what is left of its making asset.

Not modelled: signatures, nonces, the `taker` field, pausing and proxy wallets. Balances are per (address,
asset), asset 0 being the collateral; the conditional-tokens contract is reduced to the collateral it holds
(`ctf_collateral`) and the supply it mints and burns, so conservation is easy to state: collateral held by
addresses plus `ctf_collateral` never changes, and each outcome token's supply equals `ctf_collateral` when
every position was minted by splitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clob.engine.commands import PlaceOrder
from clob.engine.types import EngineError, MatchType, Side

COLLATERAL = 0
ONE = 10**18
BPS_DIVISOR = 10_000
MAX_FEE_RATE_BIPS = 1_000


class ContractRevertError(EngineError):
    """The transaction would revert; `args[0]` is the contract's error name."""


@dataclass(frozen=True, slots=True)
class SignedOrder:
    order_id: str
    maker: str
    token_id: int
    side: Side
    maker_amount: int
    taker_amount: int
    fee_rate_bps: int
    expiration: int

    @classmethod
    def from_command(cls, cmd: PlaceOrder) -> SignedOrder:
        return cls(
            cmd.order_id,
            cmd.maker,
            cmd.token_id,
            Side(cmd.side),
            cmd.maker_amount,
            cmd.taker_amount,
            cmd.fee_rate_bps,
            cmd.expiration,
        )


@dataclass(frozen=True, slots=True)
class OrderFill:
    """What one order gave (`making`), received before the fee (`taking`) and paid as `fee`."""

    order_id: str
    making: int
    taking: int
    fee: int
    match_type: MatchType | None  # None for the taker


@dataclass(frozen=True, slots=True)
class MatchResult:
    taker: OrderFill
    makers: tuple[OrderFill, ...]
    refund: int


def calculate_price(maker_amount: int, taker_amount: int, side: Side) -> int:
    if side == Side.BUY:
        return maker_amount * ONE // taker_amount if taker_amount else 0
    return taker_amount * ONE // maker_amount if maker_amount else 0


def calculate_fee(fee_rate_bps: int, outcome_tokens: int, maker_amount: int, taker_amount: int, side: Side) -> int:
    if fee_rate_bps == 0:
        return 0
    price = calculate_price(maker_amount, taker_amount, side)
    if not 0 < price <= ONE:
        return 0
    if side == Side.BUY:
        return fee_rate_bps * min(price, ONE - price) * outcome_tokens // (price * BPS_DIVISOR)
    return fee_rate_bps * min(price, ONE - price) * outcome_tokens // (BPS_DIVISOR * ONE)


def is_crossing(a: SignedOrder, b: SignedOrder) -> bool:
    if a.taker_amount == 0 or b.taker_amount == 0:
        return True
    price_a = calculate_price(a.maker_amount, a.taker_amount, a.side)
    price_b = calculate_price(b.maker_amount, b.taker_amount, b.side)
    if a.side == Side.BUY:
        return price_a + price_b >= ONE if b.side == Side.BUY else price_a >= price_b
    return price_b >= price_a if b.side == Side.BUY else price_a + price_b <= ONE


class ContractModel:
    def __init__(self, operator: str, exchange: str = "exchange") -> None:
        self.operator = operator
        self.exchange = exchange
        self.balances: dict[tuple[str, int], int] = {}
        self.ctf_collateral = 0
        self.complements: dict[int, int] = {}
        self.conditions: dict[int, str] = {}
        self.outcomes: dict[str, tuple[int, int]] = {}
        self.remaining: dict[str, int] = {}
        self.closed: set[str] = set()

    # -- setup and views ------------------------------------------------------------------------------------

    def register_token(self, token: int, complement: int, condition: str) -> None:
        if token == complement or token == 0 or complement == 0:
            raise ContractRevertError("InvalidTokenId")
        if token in self.complements or complement in self.complements:
            raise ContractRevertError("AlreadyRegistered")
        self.complements[token], self.complements[complement] = complement, token
        self.conditions[token] = self.conditions[complement] = condition
        self.outcomes[condition] = (token, complement)

    def deposit(self, address: str, amount: int) -> None:
        """Give `address` freshly minted collateral (test funding)."""
        self._credit(address, COLLATERAL, amount)

    def split(self, address: str, condition: str, amount: int) -> None:
        """`address` splits its collateral into both outcome tokens of `condition`."""
        self._debit(address, COLLATERAL, amount)
        self.ctf_collateral += amount
        for token in self.outcomes[condition]:
            self._credit(address, token, amount)

    def balance(self, address: str, asset: int) -> int:
        return self.balances.get((address, asset), 0)

    def supply(self, asset: int) -> int:
        return sum(amount for (_, held), amount in self.balances.items() if held == asset)

    def remaining_of(self, order: SignedOrder) -> int:
        """The contract's view of what is left to fill, in maker units."""
        if order.order_id in self.closed:
            return 0
        return self.remaining.get(order.order_id) or order.maker_amount

    # -- matchOrders -----------------------------------------------------------------------------------------

    def match_orders(
        self,
        taker: SignedOrder,
        makers: Sequence[SignedOrder],
        taker_fill: int,
        maker_fills: Sequence[int],
        block_time: int,
    ) -> MatchResult:
        """Run `matchOrders` atomically: on `ContractRevertError` nothing changes."""
        saved = (dict(self.balances), self.ctf_collateral, dict(self.remaining), set(self.closed))
        try:
            return self._match(taker, makers, taker_fill, maker_fills, block_time)
        except ContractRevertError:
            self.balances, self.ctf_collateral, self.remaining, self.closed = saved
            raise

    def _match(
        self,
        taker: SignedOrder,
        makers: Sequence[SignedOrder],
        taker_fill: int,
        maker_fills: Sequence[int],
        block_time: int,
    ) -> MatchResult:
        if len(makers) != len(maker_fills):
            raise ContractRevertError("LengthMismatch")
        minimum = self._perform_order_checks(taker, taker_fill, block_time)
        making_asset, taking_asset = _asset_ids(taker)
        self._transfer(taker.maker, self.exchange, making_asset, taker_fill)
        fills = tuple(
            self._fill_maker(taker, maker, fill, block_time) for maker, fill in zip(makers, maker_fills, strict=True)
        )
        taking = self.balance(self.exchange, taking_asset)
        if taking < minimum:
            raise ContractRevertError("TooLittleTokensReceived")
        outcome = taking if taker.side == Side.BUY else taker_fill
        fee = calculate_fee(taker.fee_rate_bps, outcome, taker_fill, taking, taker.side)
        self._transfer(self.exchange, taker.maker, taking_asset, taking - fee)
        self._transfer(self.exchange, self.operator, taking_asset, fee)
        refund = self.balance(self.exchange, making_asset)
        self._transfer(self.exchange, taker.maker, making_asset, refund)
        return MatchResult(OrderFill(taker.order_id, taker_fill, taking, fee, None), fills, refund)

    def _fill_maker(self, taker: SignedOrder, maker: SignedOrder, making: int, block_time: int) -> OrderFill:
        if taker.side == Side.BUY and maker.side == Side.BUY:
            match_type = MatchType.MINT
        elif taker.side == Side.SELL and maker.side == Side.SELL:
            match_type = MatchType.MERGE
        else:
            match_type = MatchType.COMPLEMENTARY
        if not is_crossing(taker, maker):
            raise ContractRevertError("NotCrossing")
        if match_type == MatchType.COMPLEMENTARY:
            if taker.token_id != maker.token_id:
                raise ContractRevertError("MismatchedTokenIds")
        elif self.complements.get(taker.token_id) != maker.token_id:
            raise ContractRevertError("InvalidComplement")
        taking = self._perform_order_checks(maker, making, block_time)
        outcome = taking if maker.side == Side.BUY else making
        fee = calculate_fee(maker.fee_rate_bps, outcome, maker.maker_amount, maker.taker_amount, maker.side)
        making_asset, taking_asset = _asset_ids(maker)
        self._transfer(maker.maker, self.exchange, making_asset, making)
        if match_type == MatchType.MINT:
            self._split_exchange(self.conditions[taking_asset], taking)
        elif match_type == MatchType.MERGE:
            self._merge_exchange(self.conditions[making_asset], making)
        if self.balance(self.exchange, taking_asset) < taking:
            raise ContractRevertError("TooLittleTokensReceived")
        self._transfer(self.exchange, maker.maker, taking_asset, taking - fee)
        self._transfer(self.exchange, self.operator, taking_asset, fee)
        return OrderFill(maker.order_id, making, taking, fee, match_type)

    def _perform_order_checks(self, order: SignedOrder, making: int, block_time: int) -> int:
        if order.expiration > 0 and order.expiration < block_time:
            raise ContractRevertError("OrderExpired")
        if order.fee_rate_bps > MAX_FEE_RATE_BIPS:
            raise ContractRevertError("FeeTooHigh")
        if order.token_id not in self.complements:
            raise ContractRevertError("InvalidTokenId")
        if order.order_id in self.closed:
            raise ContractRevertError("OrderFilledOrCancelled")
        taking = making * order.taker_amount // order.maker_amount if order.maker_amount else 0
        remaining = self.remaining.get(order.order_id) or order.maker_amount
        if making > remaining:
            raise ContractRevertError("MakingGtRemaining")
        remaining -= making
        if remaining == 0:
            self.closed.add(order.order_id)
        self.remaining[order.order_id] = remaining
        return taking

    # -- assets ----------------------------------------------------------------------------------------------

    def _split_exchange(self, condition: str, amount: int) -> None:
        self._debit(self.exchange, COLLATERAL, amount)
        self.ctf_collateral += amount
        for token in self.outcomes[condition]:
            self._credit(self.exchange, token, amount)

    def _merge_exchange(self, condition: str, amount: int) -> None:
        for token in self.outcomes[condition]:
            self._debit(self.exchange, token, amount)
        self.ctf_collateral -= amount
        self._credit(self.exchange, COLLATERAL, amount)

    def _transfer(self, source: str, target: str, asset: int, amount: int) -> None:
        if amount:
            self._debit(source, asset, amount)
            self._credit(target, asset, amount)

    def _debit(self, address: str, asset: int, amount: int) -> None:
        held = self.balances.get((address, asset), 0)
        if amount < 0 or held < amount:
            raise ContractRevertError("InsufficientBalance")
        self.balances[(address, asset)] = held - amount

    def _credit(self, address: str, asset: int, amount: int) -> None:
        self.balances[(address, asset)] = self.balances.get((address, asset), 0) + amount


def _asset_ids(order: SignedOrder) -> tuple[int, int]:
    """(asset the order gives, asset it receives); 0 is the collateral."""
    return (COLLATERAL, order.token_id) if order.side == Side.BUY else (order.token_id, COLLATERAL)
