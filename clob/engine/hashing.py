"""`state_hash`: SHA-256 over a canonical text serialization of everything that determines future behaviour.

Included: `last_seq`; per market (sorted by id) its parameters and status; per side, the levels best first and
each level's orders in FIFO order with (order id, owner, kind, remaining, expiration); per owner (sorted) its
positions in creation order, each with its orders' ids in arrival order (the order `CancelAll` and
`orders_by_owner` follow). Derived data (level sizes, reservations, the expiry heap) is left out: it is a
function of the above, which `check_invariants` verifies.
"""

from __future__ import annotations

import hashlib

from clob.engine.book import Market
from clob.engine.state import EngineState

_UTF8, _ANY = "utf-8", "surrogatepass"  # ids are strings as given: a lone surrogate must not break the hash


def _market_lines(market: Market) -> list[str]:
    lines = [
        f"M|{market.market_id}|{market.yes_token}|{market.no_token}|{market.tick_decimals}|"
        f"{market.min_size}|{market.fee_rate_bps}|{market.status.value}"
    ]
    for tag, levels, keys, sign in (("B", market.bids, market.bid_keys, 1), ("A", market.asks, market.ask_keys, -1)):
        for key in reversed(keys):
            level = levels[sign * key]
            lines.append(f"{tag}|{level.price}")
            order = level.head
            while order is not None:
                pos = order.pos
                lines.append(f"O|{order.order_id}|{pos.owner}|{pos.kind}|{order.remaining}|{order.expiration}")
                order = order.next
    return lines


def state_hash(state: EngineState) -> str:
    digest = hashlib.sha256(f"S|{state.last_seq}\n".encode())
    for market_id in sorted(state.markets):
        digest.update("\n".join(_market_lines(state.markets[market_id])).encode(_UTF8, _ANY))
        digest.update(b"\n")
    for owner in sorted(state.owners):
        lines = [f"W|{owner}"]
        for pos in state.owners[owner]:
            ids = ",".join([order.order_id for order in pos.orders])
            lines.append(f"P|{pos.market.market_id}|{pos.kind}|{ids}")
        digest.update("\n".join(lines).encode(_UTF8, _ANY))
        digest.update(b"\n")
    return digest.hexdigest()
