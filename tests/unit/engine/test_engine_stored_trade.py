"""Every trade the engine emits reads back from ``trades.payload`` as an `orders.StoredTrade` with the event's
amounts, and writes out to the same payload (what settlement and the indexer rely on)."""

from __future__ import annotations

from engine_harness import Harness
from test_engine_properties import _commands, dense_stream

from clob.engine import Trade
from clob.service.projections import trade_to_json
from orders import MatchType, Side, StoredTrade


def test_stored_trades_round_trip_and_carry_the_events_amounts() -> None:
    h = Harness()
    kinds: set[MatchType] = set()
    for command in _commands(dense_stream(11, 400)):
        for event in h.apply(command):
            if not isinstance(event, Trade):
                continue
            payload = trade_to_json(event)
            stored = StoredTrade.from_payload(payload)
            assert stored.to_payload() == payload
            assert stored.taker_order_id == event.taker_order_id
            assert stored.taker == event.taker
            assert stored.token_id == event.token_id
            assert stored.side == Side(int(event.side))
            assert (stored.taker_fill, stored.taker_taking, stored.taker_fee) == (
                event.taker_fill,
                event.taker_taking,
                event.taker_fee,
            )
            assert stored.order_ids == (event.taker_order_id, *(m.order_id for m in event.makers))
            assert len(stored.makers) == len(event.makers)
            for fill, m in zip(stored.makers, event.makers, strict=True):
                assert (fill.order_id, fill.maker, fill.token_id) == (m.order_id, m.maker, m.token_id)
                assert (fill.making, fill.taking, fill.fee) == (m.making, m.taking, m.fee)
                assert fill.match_type.name == m.match_type.name
                assert int(fill.match_type) == int(m.match_type)
                kinds.add(fill.match_type)
            assert stored.has_fees == (event.taker_fee > 0 or any(m.fee > 0 for m in event.makers))
    assert kinds == set(MatchType)
