"""`Cancels`: a user's cancellations (one order, several, all of them, those of one market or token).

Each cancellation is idempotent: an order cancelled before (a retry, or expired) is answered as cancelled; one that
is not the user's, not found or already filled lands in ``not_canceled`` with the reason. A signer's orders include
its proxy wallet's and Safe's (``wallets``, the deployment's wallet rules).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from clob.auth import L2Credentials
from clob.engine import CancelAll, CancelRejected, MarketId, OrderCancelled, OrderId, RejectReason, TokenId, UnixSeconds
from clob.engine.types import Address as EngineAddress
from clob.service.errors import ErrorCode, ServiceError
from clob.service.outcomes import CANCEL_REASONS, MAX_CANCEL_IDS, CancelResult, cancel_one_command, is_order_id
from clob.service.ports import CommandStream
from clob.service.queries import OrderFilter, OrderRecord, Queries
from clob.service.sequencing import await_all, sequence_one
from clob.service.submission import UNSEQUENCED, Submission
from clob.service.wallet_rules import addresses_of
from orders.wallets import WalletRules


class Cancels:
    """DELETE /order, /orders, /cancel-all, /cancel-market-orders."""

    def __init__(
        self,
        stream: CommandStream,
        queries: Queries,
        clock: Callable[[], float] = time.time,
        wallets: WalletRules | None = None,
    ) -> None:
        self.stream = stream
        self.queries = queries
        self.clock = clock
        self.wallets = wallets

    async def cancel_orders(self, creds: L2Credentials, order_ids: Sequence[str]) -> CancelResult:
        """Cancel the user's own resting orders; anything else lands in ``not_canceled`` with the reason."""
        if len(order_ids) > MAX_CANCEL_IDS:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, f"Too many order ids: max {MAX_CANCEL_IDS}")
        ids = list(dict.fromkeys(i.lower() for i in order_ids))
        not_canceled: dict[str, str] = {}
        valid = [i for i in ids if is_order_id(i)]
        for i in ids:
            if not is_order_id(i):
                not_canceled[i] = "invalid order id"
        rows = await asyncio.to_thread(self._order_rows, valid)
        mine = addresses_of(self.wallets, creds.address)  # the signer's own orders and its wallets'
        todo: list[str] = []
        already: list[str] = []
        for i in valid:
            row = rows.get(i)
            if row is None:
                not_canceled[i] = CANCEL_REASONS[RejectReason.ORDER_NOT_FOUND]
            elif row.maker not in mine:
                not_canceled[i] = CANCEL_REASONS[RejectReason.NOT_OWNER]
            elif row.status.startswith("CANCELED"):  # cancelled before (a retry, or expired): what was asked holds
                already.append(i)
            elif row.status != "LIVE":
                not_canceled[i] = f"order is already {row.status.lower()}"
            else:
                todo.append(i)
        now = UnixSeconds(int(self.clock()))
        futures = [
            self.stream.submit(
                Submission(cancel_one_command(now, OrderId(i), EngineAddress(rows[i].maker)), {"owner": creds.api_key})
            )
            for i in todo
        ]
        canceled: list[str] = list(already)
        for i, outcome in zip(todo, await await_all(futures), strict=True):
            if isinstance(outcome, ServiceError):
                not_canceled[i] = outcome.message
                continue
            for ev in outcome.events:
                if isinstance(ev, OrderCancelled):
                    canceled.append(ev.order_id)
                elif isinstance(ev, CancelRejected):
                    not_canceled[i] = CANCEL_REASONS.get(ev.reason, ev.reason.value)
        return CancelResult(canceled, not_canceled)

    def _order_rows(self, ids: list[str]) -> dict[str, OrderRecord]:
        return {i: r for i in ids if (r := self.queries.order(i)) is not None}

    async def cancel_all(
        self, creds: L2Credentials, market: str | None = None, token_id: int | None = None
    ) -> CancelResult:
        """Cancel every resting order of the user (optionally of one market and/or one token): its own, and its
        proxy wallet's and Safe's that have any (one engine command per maker)."""
        now = UnixSeconds(int(self.clock()))
        mid = MarketId(market.lower()) if market else None
        tid = TokenId(token_id) if token_id is not None else None
        makers = [creds.address] + await asyncio.to_thread(self._wallets_with_live_orders, creds.address)
        canceled: list[str] = []
        for maker in makers:
            command = CancelAll(UNSEQUENCED, now, EngineAddress(maker), mid, tid)
            outcome = await sequence_one(self.stream, Submission(command, {"owner": creds.api_key}))
            canceled += [ev.order_id for ev in outcome.events if isinstance(ev, OrderCancelled)]
        return CancelResult(canceled, {})

    def _wallets_with_live_orders(self, signer: str) -> list[str]:
        wallets = sorted(addresses_of(self.wallets, signer) - {signer.lower()})
        return [w for w in wallets if self.queries.open_orders(w, OrderFilter(), 0, 1).items]
