"""Calling ExchangeV2 from Python: the ABI tuple of a V2 order and the match/fill argument lists.

Hashing and signing live in `orders.v2`; web3 contract objects (``chain.rpc.contract_at(w3, "ExchangeV2", ...)``)
do the ABI encoding from these tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from orders.v2 import OrderV2

EXCHANGE_V2_ARTIFACT = "ExchangeV2"


def order_v2_tuple(order: OrderV2) -> tuple[Any, ...]:
    """The ABI tuple of the contract's ``OrderV2`` struct (the unsigned ``expiration`` is not part of it)."""
    return (
        order.salt,
        to_checksum_address(order.maker),
        to_checksum_address(order.signer),
        order.token_id,
        order.maker_amount,
        order.taker_amount,
        int(order.side),
        int(order.signature_type),
        order.timestamp,
        bytes(order.metadata),
        bytes(order.builder),
        bytes(order.signature),
    )


@dataclass(frozen=True, slots=True)
class MatchV2:
    """The arguments of ``ExchangeV2.matchOrders``: one taker order against its makers."""

    taker_order: OrderV2
    maker_orders: Sequence[OrderV2]
    taker_fill_amount: int
    maker_fill_amounts: Sequence[int]

    def as_args(self) -> tuple[Any, ...]:
        return (
            order_v2_tuple(self.taker_order),
            [order_v2_tuple(o) for o in self.maker_orders],
            self.taker_fill_amount,
            list(self.maker_fill_amounts),
        )
