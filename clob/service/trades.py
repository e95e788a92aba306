"""What every reader of a `Trade` event derives from it: its public id, its price and the shares of a fill."""

from __future__ import annotations

import uuid

from clob.engine import PRICE_SCALE, MatchType, Side, Trade

TRADE_NS = uuid.UUID("6f3c1d2e-8a4b-5c6d-9e0f-a1b2c3d4e5f6")


def trade_key(stream: str, trade: Trade) -> str:
    """The trade's public id: a UUID derived from its stream and journal position, the same on every replay."""
    return str(uuid.uuid5(TRADE_NS, f"{stream}/{trade.trade_id}"))


def fill_shares(side: Side, making: int, taking: int) -> int:
    """Shares moved by one side of a fill: a BUY receives them, a SELL gives them."""
    return taking if side == Side.BUY else making


def trade_price_pips(trade: Trade) -> int:
    """The trade's price in the taker's token: the first maker's price, mirrored for MINT/MERGE."""
    first = trade.makers[0]
    return first.price if first.match_type == MatchType.COMPLEMENTARY else PRICE_SCALE - first.price
