"""A trade as the book stores it (``trades.payload``), typed: what settlement and the indexer read back.

The exchange writes each engine trade as JSON (``clob.service.projections.trade_to_json``): the taker order and
one entry per maker order, with the amounts the engine computed in the contract's terms (maker units). Readers
parse it once with `StoredTrade.from_payload` instead of indexing dicts; `to_payload` gives the JSON back
(``from_payload(p).to_payload() == p`` for every payload the exchange writes).

- `MatchType`: how one maker settles against the taker, the exchange contract's enum (stored by name).
- `MakerFill`: one maker order's part of a trade.
- `StoredTrade`: the whole trade; `order_ids` lists the taker order first, then the makers, as ``matchOrders``
  takes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from orders.model import Address, Side


class MatchType(IntEnum):
    """How the exchange settles one maker against the taker (the contract's ``MatchType``).

    COMPLEMENTARY: a BUY meets a SELL of the same token. MINT: two BUYs of complementary tokens (collateral split
    into a full set). MERGE: two SELLs of complementary tokens (a full set merged back into collateral).
    """

    COMPLEMENTARY = 0
    MINT = 1
    MERGE = 2


_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
_MATCH_TYPES = {t.name: t for t in MatchType}


def _side(value: Any) -> Side:
    side = _SIDES.get(value) if isinstance(value, str) else None
    if side is None:
        raise ValueError(f"side must be BUY or SELL, got {value!r}")
    return side


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class MakerFill:
    """One maker order's part of a trade. ``making``/``taking`` are what the maker gives and gets (its maker and
    taker assets, base units), ``fee`` the fee it pays, ``matched_amount`` the shares that changed hands on its
    side; ``price`` is the maker's price as the exchange renders it (a decimal string)."""

    order_id: str
    maker: Address
    token_id: int
    side: Side
    match_type: MatchType
    price: str
    making: int
    taking: int
    fee: int
    matched_amount: int

    @classmethod
    def from_payload(cls, m: Mapping[str, Any]) -> MakerFill:
        match_type = _MATCH_TYPES.get(m["match_type"])
        if match_type is None:
            raise ValueError(f"match_type must be one of {sorted(_MATCH_TYPES)}, got {m['match_type']!r}")
        return cls(
            order_id=str(m["order_id"]),
            maker=Address(str(m["maker"])),
            token_id=_int(m["token_id"], "token_id"),
            side=_side(m["side"]),
            match_type=match_type,
            price=str(m["price"]),
            making=_int(m["making"], "making"),
            taking=_int(m["taking"], "taking"),
            fee=_int(m["fee"], "fee"),
            matched_amount=_int(m["matched_amount"], "matched_amount"),
        )

    def to_payload(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "maker": self.maker,
            "token_id": str(self.token_id),
            "side": self.side.name,
            "match_type": self.match_type.name,
            "price": self.price,
            "making": self.making,
            "taking": self.taking,
            "fee": self.fee,
            "matched_amount": self.matched_amount,
        }


@dataclass(frozen=True, slots=True)
class StoredTrade:
    """One engine trade as stored: the taker order's fill (``taker_fill`` given, ``taker_taking`` received, both
    base units, ``taker_fee`` paid) and its maker fills, in the order the engine matched them."""

    trade_id: str
    seq: int
    market: str
    taker_order_id: str
    taker: Address
    token_id: int
    side: Side
    taker_fill: int
    taker_taking: int
    taker_fee: int
    makers: tuple[MakerFill, ...]

    @classmethod
    def from_payload(cls, p: Mapping[str, Any]) -> StoredTrade:
        """Parse a ``trades.payload`` object; raises ValueError/KeyError/TypeError if it is not one."""
        return cls(
            trade_id=str(p["trade_id"]),
            seq=_int(p["seq"], "seq"),
            market=str(p["market"]),
            taker_order_id=str(p["taker_order_id"]),
            taker=Address(str(p["taker"])),
            token_id=_int(p["token_id"], "token_id"),
            side=_side(p["side"]),
            taker_fill=_int(p["taker_fill"], "taker_fill"),
            taker_taking=_int(p["taker_taking"], "taker_taking"),
            taker_fee=_int(p["taker_fee"], "taker_fee"),
            makers=tuple(MakerFill.from_payload(m) for m in p["makers"]),
        )

    def to_payload(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "seq": self.seq,
            "market": self.market,
            "taker_order_id": self.taker_order_id,
            "taker": self.taker,
            "token_id": str(self.token_id),
            "side": self.side.name,
            "taker_fill": self.taker_fill,
            "taker_taking": self.taker_taking,
            "taker_fee": self.taker_fee,
            "makers": [m.to_payload() for m in self.makers],
        }

    @property
    def order_ids(self) -> tuple[str, ...]:
        """The taker order first, then the maker orders, as in the ``matchOrders`` call."""
        return (self.taker_order_id, *(m.order_id for m in self.makers))

    @property
    def parties(self) -> frozenset[str]:
        """Lower-case addresses whose chain state (balances, allowances, orders, nonces) the trade reads or
        writes."""
        return frozenset([self.taker.lower(), *(m.maker.lower() for m in self.makers)])

    @property
    def has_fees(self) -> bool:
        return self.taker_fee > 0 or any(m.fee > 0 for m in self.makers)
