"""Whether transactions of ours settled, judged from the exchange's order state where the chain has no receipt.

A chain restored from a state dump written while blocks were mined can hold the effects of our settlement
transactions (balances, order fills, the operator's nonce) without their blocks: no receipt, no log says what
consumed those nonces. Re-sending the trades would fill their orders twice where enough remains, and FAIL them
where not; writing them off would leave the chain's balances unexplained. The exchange's ``getOrderStatus(hash)``
(filled-or-cancelled flag, remaining maker amount) tells what each order has filled on chain. A group of trades
(one transaction's: a transaction settles all its matches or none) is on chain when every order of it has filled at
least what the trades the database counts as on chain (MINED, CONFIRMED) plus this group need.

Groups are judged in the order given (their nonces); one judged on chain counts for the next ones, so two groups
cannot both claim the same fills. An order cancelled on chain before any fill reads as wholly filled (the
contract keeps one flag for both): only the trader's own cancel of every order of a group could make it look
settled, and a cancel does not consume the operator's nonce that the callers require as well.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from orders import StoredTrade
from settlement.chain import ChainClient
from settlement.store import SettlementStore

_STATUS = keccak(text="getOrderStatus(bytes32)")[:4]

Group = Mapping[str, StoredTrade]
"""trade id -> stored trade: the trades of one transaction"""


def order_fills(trade: StoredTrade) -> Counter[str]:
    """What the trade fills of each of its orders, in the order's maker units (the contract's ``making``)."""
    out: Counter[str] = Counter()
    out[trade.taker_order_id.lower()] += trade.taker_fill
    for m in trade.makers:
        out[m.order_id.lower()] += m.making
    return out


class OrderState:
    """Reads the exchange's order state and weighs it against the database's settled trades."""

    def __init__(self, chain: ChainClient, store: SettlementStore, operator: str, exchange: str) -> None:
        self.chain = chain
        self.store = store
        self.operator = operator
        self.exchange = exchange

    def filled(self, order_id: str, maker_amount: int) -> int:
        """The order's filled amount on chain (maker units)."""
        done, remaining = abi_decode(
            ["bool", "uint256"], self.chain.call(self.operator, self.exchange, _STATUS + bytes.fromhex(order_id[2:]))
        )
        if remaining:
            return maker_amount - int(remaining)
        return maker_amount if done else 0

    def on_chain(self, groups: Sequence[Group]) -> list[bool]:
        """For each group, whether its fills are on chain beyond what the database's other settled trades (and
        the groups before it judged on chain) account for."""
        needs = [sum((order_fills(p) for p in g.values()), Counter[str]()) for g in groups]
        order_ids = sorted({o for need in needs for o in need})
        if not order_ids:
            return [False] * len(groups)
        judged = {tid for g in groups for tid in g}
        accounted: Counter[str] = Counter()
        for trade in self.store.settled_trades(order_ids, exclude=judged).values():
            accounted.update(order_fills(trade))
        signed = {k.lower(): v for k, v in self.store.signed_orders(order_ids).items()}
        chain: dict[str, int] = {}
        for oid in order_ids:
            text = signed.get(oid)
            if text is None:
                return [False] * len(groups)
            chain[oid] = self.filled(oid, int(json.loads(text)["makerAmount"]))
        out = []
        for need in needs:
            ok = bool(need) and all(chain[o] - accounted[o] >= amount for o, amount in need.items())
            if ok:
                accounted.update(need)
            out.append(ok)
        return out
