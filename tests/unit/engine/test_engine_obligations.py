"""A fill moves an order's reservation to an obligation (`clob.service.obligations`) with no gap and no double count.

Over busy random streams (every match type, fees, partial fills, dust, cancels, expiries, FAK remainders), after
every command and for every trader and asset: the engine's resting reservation plus the ledger's obligations equal
what the trader's orders have committed — the whole maker amount of an order still resting (what its fills gave
plus what it still reserves), and what its fills gave for an order that left the book. The legs are what the
contract pulls from each side: `Harness` settles every trade on the contract model and checks that the taker gives
``taker_fill`` and each maker its ``making``.
"""

from __future__ import annotations

from collections import defaultdict

from engine_harness import Harness
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_properties import OWNERS, VENUES, _commands, dense_stream

from clob.engine import PlaceOrder, Side, TokenId, Trade
from clob.service.chain_view import COLLATERAL
from clob.service.obligations import Obligations, payload_legs, trade_legs
from clob.service.projections import trade_to_json


def _gives(order: PlaceOrder) -> int:
    return COLLATERAL if order.side == Side.BUY else int(order.token_id)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32), length=st.integers(50, 250))
def test_reservation_plus_obligation_is_what_the_orders_committed(seed: int, length: int) -> None:
    h = Harness()
    ledger = Obligations(None)
    given_by: dict[str, int] = defaultdict(int)  # order id -> what its fills gave
    trades = 0
    for command in _commands(dense_stream(seed, length)):
        for event in h.apply(command):
            if isinstance(event, Trade):
                trades += 1
                ledger.record(f"t{trades}", event, h.seq)
                given_by[event.taker_order_id] += event.taker_fill
                for m in event.makers:
                    given_by[m.order_id] += m.making
        committed: dict[tuple[str, int], int] = defaultdict(int)
        for oid, order in h.placed.items():
            resting = h.engine.order(oid)
            committed[(order.maker, _gives(order))] += order.maker_amount if resting else given_by[oid]
        for owner in OWNERS:
            reserved = h.engine.reserved(owner)
            assets = [COLLATERAL, *(t for v in VENUES for t in v.tokens)]
            for asset in assets:
                held = reserved.collateral if asset == COLLATERAL else reserved.tokens.get(TokenId(asset), 0)
                assert held + (ledger.outstanding(owner, asset, 0) or 0) == committed[(owner, asset)], (owner, asset)


def test_a_stored_trade_has_the_legs_of_the_event() -> None:
    """A rebuild reads trades back from ``trades.payload``: the same legs as from the engine's event, for every
    match type."""
    h = Harness()
    kinds = set()
    for command in _commands(dense_stream(7, 400)):
        for event in h.apply(command):
            if isinstance(event, Trade):
                kinds.update(m.match_type for m in event.makers)
                assert payload_legs(trade_to_json(event)) == trade_legs(event)
    assert len(kinds) == 3
