"""`Reads`: what the public and the L2 read routes answer — books, prices, markets, a user's orders and trades.

Every read comes from the market views (`clob.service.markets`, kept by the command stream's listeners) or the
order store (`clob.service.queries`); nothing here sequences a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clob.auth import L2Credentials
from clob.service.errors import ErrorCode, ServiceError
from clob.service.markets import LastTrade, MarketData, MarketRecord, TokenRef
from clob.service.outcomes import is_order_id, parse_token_id
from clob.service.queries import OrderFilter, OrderRecord, Page, Queries, TradeFilter, TradeRecord
from clob.service.wallet_rules import addresses_of
from orders import checksum_address
from orders.wallets import WalletRules


class Reads:
    """The read side of the API (``exchange``: the deployment's exchange contract address; ``wallets``: its wallet
    rules, so that a signer's orders and trades include its proxy wallet's and Safe's)."""

    def __init__(
        self,
        markets: MarketData,
        queries: Queries,
        exchange: str,
        clock: Callable[[], float] = time.time,
        wallets: WalletRules | None = None,
    ) -> None:
        self.markets = markets
        self.queries = queries
        self.exchange_address = checksum_address(exchange)
        self.clock = clock
        self.wallets = wallets

    def now(self) -> int:
        """The server's time (Unix seconds)."""
        return int(self.clock())

    # --- a user's orders and trades (L2) ---------------------------------------------------------------------------
    def order(self, creds: L2Credentials, order_id: str) -> OrderRecord:
        record = self.queries.order(order_id.lower()) if is_order_id(order_id.lower()) else None
        if record is None or record.maker not in addresses_of(self.wallets, creds.address):
            raise ServiceError(ErrorCode.NOT_FOUND, "order not found")
        return record

    def open_orders(self, creds: L2Credentials, flt: OrderFilter, offset: int, limit: int) -> Page[OrderRecord]:
        return self.queries.open_orders(sorted(addresses_of(self.wallets, creds.address)), flt, offset, limit)

    def trades(self, creds: L2Credentials, flt: TradeFilter, offset: int, limit: int) -> Page[TradeRecord]:
        return self.queries.trades(sorted(addresses_of(self.wallets, creds.address)), flt, offset, limit)

    # --- books and prices ------------------------------------------------------------------------------------------
    def token(self, token_id: str | None) -> TokenRef:
        ref = self.markets.token(parse_token_id(token_id))
        if ref is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No orderbook exists for the requested token id")
        return ref

    def book(self, token_id: str | None) -> dict[str, Any]:
        """The token's OrderBookSummary, in Polymarket's JSON shape."""
        return self.markets.summary(self.token(token_id), int(self.clock() * 1000))

    def _best(self, token_id: str | None) -> tuple[int | None, int | None]:
        return self.markets.best(self.token(token_id).token_id)

    def price(self, token_id: str | None, side: str | None) -> int:
        """BUY: the best bid; SELL: the best ask (pips)."""
        if side is None or side.upper() not in ("BUY", "SELL"):
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid side")
        bid, ask = self._best(token_id)
        value = bid if side.upper() == "BUY" else ask
        if value is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"No {'bids' if side.upper() == 'BUY' else 'asks'} on the book")
        return value

    def midpoint(self, token_id: str | None) -> tuple[int, int]:
        """(bid + ask) as a pair (numerator in pips, denominator 2) to stay exact."""
        bid, ask = self._best(token_id)
        if bid is None or ask is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No midpoint: one side of the book is empty")
        return bid + ask, 2

    def spread(self, token_id: str | None) -> int:
        bid, ask = self._best(token_id)
        if bid is None or ask is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No spread: one side of the book is empty")
        return ask - bid

    def last_trade(self, token_id: str | None) -> LastTrade | None:
        return self.markets.last_trade(self.token(token_id).token_id)

    def tick_size(self, token_id: str | None) -> int:
        """Tick decimals of the token's market."""
        info = self.markets.info(self.token(token_id).market)
        assert info is not None
        return info.tick_decimals

    def fee_rate(self, token_id: str | None) -> int:
        info = self.markets.info(self.token(token_id).market)
        assert info is not None
        return info.fee_rate_bps

    # --- markets ---------------------------------------------------------------------------------------------------
    def token_prices(self, market: MarketRecord) -> dict[str, str]:
        """Last trade price per token id of a market (tokens never traded are absent)."""
        out: dict[str, str] = {}
        for token in (market.yes_token, market.no_token):
            last = self.markets.last_trade(int(token))
            if last is not None:
                out[token] = last.price
        return out

    def markets_page(self, offset: int, limit: int) -> Page[MarketRecord]:
        records = self.markets.records(offset, limit + 1)
        return Page(records[:limit], offset, limit, len(records) > limit)

    def market(self, condition_id: str) -> MarketRecord:
        record = self.markets.record(condition_id)
        if record is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        return record
