"""`MarketAdmin`: the operator's commands on the book — open a market, halt, resume, resolve, make the tick finer.

The on-chain side of a market (``prepareCondition``, ``registerToken``) is the market-lifecycle tooling's
(`chain.markets`); here each change is one sequenced command, and the answer is the market as the API shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clob.engine import (
    BaseUnits,
    ChangeTickSize,
    Command,
    CommandRejected,
    CreateMarket,
    HaltMarket,
    MarketId,
    RejectReason,
    ResolveMarket,
    ResumeMarket,
    TokenId,
    UnixSeconds,
)
from clob.service.errors import ErrorCode, ServiceError
from clob.service.markets import MarketData, MarketRecord
from clob.service.outcomes import MarketSpec, is_order_id
from clob.service.ports import CommandStream
from clob.service.sequencing import sequence_one
from clob.service.submission import UNSEQUENCED, Submission
from orders import TickSize


class MarketAdmin:
    """POST /admin/markets and /admin/markets/{condition_id}/… (the routes check the admin token first)."""

    def __init__(self, stream: CommandStream, markets: MarketData, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream
        self.markets = markets
        self.clock = clock

    def _record(self, condition_id: str) -> MarketRecord:
        record = self.markets.record(condition_id)
        if record is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        return record

    async def create_market(self, spec: MarketSpec) -> MarketRecord:
        condition = spec.condition_id.lower()
        if not is_order_id(condition):
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "condition_id must be 0x followed by 64 hex digits")
        try:
            tick = TickSize.parse(spec.tick_size)
        except ValueError as exc:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, str(exc)) from None
        for name, token in (("yes_token_id", spec.yes_token_id), ("no_token_id", spec.no_token_id)):
            if not 0 < token < 1 << 256:
                raise ServiceError(ErrorCode.INVALID_PAYLOAD, f"{name} must be a uint256 above 0")
        if spec.yes_token_id == spec.no_token_id:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "yes_token_id and no_token_id must differ")
        now = UnixSeconds(int(self.clock()))
        meta: dict[str, Any] = {
            "question_id": spec.question_id,
            "question": spec.question,
            "description": spec.description,
            "market_slug": spec.market_slug,
            "oracle": spec.oracle,
            "end_date_iso": spec.end_date_iso,
        }
        if spec.shard:
            meta["shard"] = spec.shard
        command = CreateMarket(
            UNSEQUENCED,
            now,
            MarketId(condition),
            TokenId(spec.yes_token_id),
            TokenId(spec.no_token_id),
            tick.decimals,
            BaseUnits(spec.min_order_size),
            spec.fee_rate_bps,
        )
        outcome = await sequence_one(self.stream, Submission(command, meta))
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market not created: {ev.reason.value}")
        return self._record(condition)

    async def set_market_open(self, condition_id: str, open_: bool) -> MarketRecord:
        """Halt (``open_`` false) or resume a market."""
        market = MarketId(condition_id.lower())
        if self.markets.info(market) is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        now = UnixSeconds(int(self.clock()))
        command = ResumeMarket(UNSEQUENCED, now, market) if open_ else HaltMarket(UNSEQUENCED, now, market)
        outcome = await sequence_one(self.stream, Submission(command, {}))
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                if ev.reason == RejectReason.UNKNOWN_MARKET:
                    raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market unchanged: {ev.reason.value}")
        return self._record(market)

    async def _market_command(
        self,
        condition_id: str,
        make: Callable[[UnixSeconds, MarketId], Command],
        meta: dict[str, Any] | None = None,
    ) -> MarketRecord:
        market = MarketId(condition_id.lower())
        if self.markets.info(market) is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        now = UnixSeconds(int(self.clock()))
        outcome = await sequence_one(self.stream, Submission(make(now, market), meta or {}))
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market unchanged: {ev.reason.value}")
        return self._record(market)

    async def resolve_market(self, condition_id: str, winning_asset_id: str = "") -> MarketRecord:
        """Close a market for good (its condition resolved on chain): every resting order is cancelled with
        CANCELED_MARKET_RESOLVED and no order is accepted again. ``winning_asset_id`` (one of the market's tokens,
        or "" when unknown) is journaled with the command: ``tokens[].winner`` and ``market_resolved`` name it."""
        if winning_asset_id:
            info = self.markets.info(MarketId(condition_id.lower()))
            if info is not None and winning_asset_id not in (str(info.yes_token), str(info.no_token)):
                raise ServiceError(ErrorCode.INVALID_PAYLOAD, "winning_asset_id must be one of the market's tokens")
        meta = {"winning_asset_id": winning_asset_id} if winning_asset_id else {}
        return await self._market_command(condition_id, lambda now, m: ResolveMarket(UNSEQUENCED, now, m), meta)

    async def change_tick_size(self, condition_id: str, tick_size: str) -> MarketRecord:
        """Make the market's tick finer ("0.01" → "0.001"); publishes ``tick_size_change``."""
        decimals = TickSize.parse(tick_size).decimals
        return await self._market_command(condition_id, lambda now, m: ChangeTickSize(UNSEQUENCED, now, m, decimals))
