"""A literal Python model of Polymarket CTFExchange settlement (protocol doc §5), used as the test oracle.

It moves tokens the way CTFExchange does — the taker's making into the exchange, each maker's making into the
exchange, one split or merge per MINT/MERGE maker, the taker paid the exchange's whole balance of its receive
asset, leftovers refunded — over an in-memory ledger. Our contract moves tokens differently (directly between the
parties, one split/merge per match); the tests assert that every party ends with exactly the balances this model
computes, so the two are equivalent on every scenario tested.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from chain.exchange import Order, Side

ONE = 10**18
BPS = 10_000
COLLATERAL = 0
EXCHANGE = "EXCHANGE"


class ModelRevertError(Exception):
    """The model's settlement would revert (the message names the reason)."""


def taking_amount(making: int, maker_amount: int, taker_amount: int) -> int:
    return 0 if maker_amount == 0 else making * taker_amount // maker_amount


def price(maker_amount: int, taker_amount: int, side: Side) -> int:
    if side == Side.BUY:
        return 0 if taker_amount == 0 else maker_amount * ONE // taker_amount
    return 0 if maker_amount == 0 else taker_amount * ONE // maker_amount


def fee_amount(rate: int, outcome_tokens: int, maker_amount: int, taker_amount: int, side: Side) -> int:
    if rate == 0:
        return 0
    p = price(maker_amount, taker_amount, side)
    if p == 0 or p > ONE:
        return 0
    m = min(p, ONE - p)
    if side == Side.BUY:
        return rate * m * outcome_tokens // (p * BPS)
    return rate * m * outcome_tokens // (BPS * ONE)


def is_crossing(a: Order, b: Order) -> bool:
    if a.taker_amount == 0 or b.taker_amount == 0:
        return True
    pa, pb = price(a.maker_amount, a.taker_amount, a.side), price(b.maker_amount, b.taker_amount, b.side)
    if a.side == Side.BUY:
        return pa + pb >= ONE if b.side == Side.BUY else pa >= pb
    return pb >= pa if b.side == Side.BUY else pa + pb <= ONE


@dataclass
class Ledger:
    """Balances by (holder, asset id); asset 0 is collateral. Holders are lower-case addresses or EXCHANGE."""

    balances: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    split_total: int = 0
    merge_total: int = 0

    def transfer(self, src: str, dst: str, asset: int, amount: int) -> None:
        src, dst = src.lower(), dst.lower()
        if self.balances[(src, asset)] < amount:
            raise ModelRevertError(f"insufficient {asset} of {src}")
        self.balances[(src, asset)] -= amount
        self.balances[(dst, asset)] += amount

    def split(self, yes: int, no: int, amount: int) -> None:
        ex = EXCHANGE.lower()
        if self.balances[(ex, COLLATERAL)] < amount:
            raise ModelRevertError("split: insufficient collateral")
        self.balances[(ex, COLLATERAL)] -= amount
        self.balances[(ex, yes)] += amount
        self.balances[(ex, no)] += amount
        self.split_total += amount

    def merge(self, yes: int, no: int, amount: int) -> None:
        ex = EXCHANGE.lower()
        if self.balances[(ex, yes)] < amount or self.balances[(ex, no)] < amount:
            raise ModelRevertError("merge: insufficient sets")
        self.balances[(ex, yes)] -= amount
        self.balances[(ex, no)] -= amount
        self.balances[(ex, COLLATERAL)] += amount
        self.merge_total += amount


@dataclass(frozen=True)
class Fill:
    """What one order did in a settlement: making given, taking received (fee included), fee."""

    making: int
    taking: int
    fee: int


def asset_ids(order: Order) -> tuple[int, int]:
    return (COLLATERAL, order.token_id) if order.side == Side.BUY else (order.token_id, COLLATERAL)


def model_fill_order(ledger: Ledger, order: Order, making: int, operator: str) -> Fill:
    taking = taking_amount(making, order.maker_amount, order.taker_amount)
    fee = fee_amount(
        order.fee_rate_bps,
        taking if order.side == Side.BUY else making,
        order.maker_amount,
        order.taker_amount,
        order.side,
    )
    maker_asset, taker_asset = asset_ids(order)
    ledger.transfer(order.maker, operator, maker_asset, making)
    ledger.transfer(operator, order.maker, taker_asset, taking - fee)
    return Fill(making, taking, fee)


def model_match_orders(
    ledger: Ledger,
    taker: Order,
    makers: list[Order],
    taker_fill: int,
    maker_fills: list[int],
    operator: str,
    complement: dict[int, int],
) -> tuple[Fill, list[Fill]]:
    """CTFExchange's matchOrders over ``ledger``; ``complement`` maps each token to its complement."""
    making = taker_fill
    min_taking = taking_amount(making, taker.maker_amount, taker.taker_amount)
    t_maker_asset, t_taker_asset = asset_ids(taker)
    ledger.transfer(taker.maker, EXCHANGE, t_maker_asset, making)
    fills = []
    for maker, fill in zip(makers, maker_fills, strict=True):
        if not is_crossing(taker, maker):
            raise ModelRevertError("NotCrossing")
        both_buy = taker.side == Side.BUY and maker.side == Side.BUY
        both_sell = taker.side == Side.SELL and maker.side == Side.SELL
        if not (both_buy or both_sell):
            if maker.token_id != taker.token_id:
                raise ModelRevertError("MismatchedTokenIds")
        elif complement.get(taker.token_id) != maker.token_id:
            raise ModelRevertError("InvalidComplement")
        m_taking = taking_amount(fill, maker.maker_amount, maker.taker_amount)
        m_fee = fee_amount(
            maker.fee_rate_bps,
            m_taking if maker.side == Side.BUY else fill,
            maker.maker_amount,
            maker.taker_amount,
            maker.side,
        )
        m_maker_asset, m_taker_asset = asset_ids(maker)
        ledger.transfer(maker.maker, EXCHANGE, m_maker_asset, fill)
        yes, no = sorted((taker.token_id, complement[taker.token_id]))
        if both_buy:
            ledger.split(yes, no, m_taking)
        elif both_sell:
            ledger.merge(yes, no, fill)
        if ledger.balances[(EXCHANGE.lower(), m_taker_asset)] < m_taking:
            raise ModelRevertError("TooLittleTokensReceived")
        ledger.transfer(EXCHANGE, maker.maker, m_taker_asset, m_taking - m_fee)
        ledger.transfer(EXCHANGE, operator, m_taker_asset, m_fee)
        fills.append(Fill(fill, m_taking, m_fee))
    taking = ledger.balances[(EXCHANGE.lower(), t_taker_asset)]
    if taking < min_taking:
        raise ModelRevertError("TooLittleTokensReceived")
    t_fee = fee_amount(taker.fee_rate_bps, taking if taker.side == Side.BUY else making, making, taking, taker.side)
    ledger.transfer(EXCHANGE, taker.maker, t_taker_asset, taking - t_fee)
    ledger.transfer(EXCHANGE, operator, t_taker_asset, t_fee)
    ledger.transfer(EXCHANGE, taker.maker, t_maker_asset, ledger.balances[(EXCHANGE.lower(), t_maker_asset)])
    return Fill(making, taking, t_fee), fills
