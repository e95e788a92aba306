"""`OrderDesk`: signed orders in, placements out — the checks (`clob.service.intake`), the sequencing, the answers.

Thread model: order checks run on the asyncio loop when nothing in them can block — a single order, or a batch
whose signatures the worker processes verified (`clob.service.verify_pool`), with the chain view answering from
its cache — and on a thread otherwise. Sequencing happens on the sequencer's own thread, awaited through one future
for the request's orders (`clob.service.sequencing`).

Retries are answered as the first try was: an order sequenced before (a duplicate of the sequencer's, or refused
now by a check of what changed since, such as the market halted or the balance spent by its own settlement) is
answered with what its placement answered, read back from the order store.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from clob.auth import L2Credentials
from clob.engine import OrderRejected, RejectReason, Trade
from clob.service.chain_view import COLLATERAL, ChainCacheMiss
from clob.service.engine_terms import place_order
from clob.service.errors import ErrorCode, ServiceError
from clob.service.intake import CheckedOrder, OrderIntake, balance_reservation
from clob.service.obligations import NOT_ENOUGH_BALANCE, STALE_BALANCE
from clob.service.outcomes import MAX_BATCH_ORDERS, Placement, engine_reject, stored_taker_amounts, taker_amounts
from clob.service.ports import ChainView, CommandStream
from clob.service.queries import Queries
from clob.service.sequencer import DUPLICATE, Outcome
from clob.service.sequencing import sequence_all
from clob.service.submission import UNSEQUENCED, Submission
from clob.service.trades import trade_key
from clob.service.verify_pool import VerifyPool
from orders import OrderError, OrderVerifier, parse_order_request
from orders import Side as OrderSide
from orders import order_id as order_id_of

_MOMENT_CODES = frozenset(
    {
        ErrorCode.MARKET_NOT_READY,
        ErrorCode.INVALID_ORDER_EXPIRATION,
        ErrorCode.INVALID_ORDER_NONCE,
        ErrorCode.INVALID_ORDER_NOT_ENOUGH_BALANCE,
    }
)
"""Refusals of an order that may have been fine when it was first posted."""


def _is_duplicate(outcome: Outcome | ServiceError) -> bool:
    return isinstance(outcome, Outcome) and outcome.rejected == DUPLICATE


def order_submission(c: CheckedOrder, owner: str, now: int) -> Submission:
    """The submission of a checked order: its PlaceOrder, the meta journaled with it (owner, market, price, the
    signed order, and what its balance was checked against), its id and its balance reservation."""
    o, request = c.order, c.request
    command = place_order(UNSEQUENCED, now, c.order_id, o, request.order_type, request.post_only)
    meta: dict[str, Any] = {"owner": owner, "market": c.token.market, "price": c.price, "order": c.order_json()}
    reservation = None
    if c.spendable is not None:
        reservation = balance_reservation(c, c.spendable)
        meta["spendable"] = str(c.spendable)  # the journal's record of what the reservation was checked against
        meta["spendable_block"] = c.spendable_block
        meta["spendable_read_ms"] = c.spendable_read_ms
    return Submission(command, meta, None, c.order_id, reservation)


class OrderDesk:
    """Places signed orders (POST /order, POST /orders and the fast path, `clob.api.order_path`)."""

    def __init__(
        self,
        stream: CommandStream,
        intake: OrderIntake,
        queries: Queries,
        verifier: OrderVerifier,
        chain: ChainView | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stream = stream
        self.intake = intake
        self.queries = queries
        self.verifier = verifier
        self.chain = chain
        self.clock = clock
        self.pool: VerifyPool | None = None
        """Signature verification in worker processes, while the service runs with some (`ExchangeService`)."""

    def check_all(
        self,
        creds: L2Credentials,
        bodies: Sequence[object],
        now: int,
        digests: Sequence[bytes | None] | None = None,
        cached_only: bool = False,
    ) -> list[CheckedOrder | ServiceError]:
        """The checks of each order (`OrderIntake.check`); duplicates are the sequencer's (``order_id``).
        ``digests``: order hashes already verified by the pool (None where the signature must be checked here)."""
        out: list[CheckedOrder | ServiceError] = []
        for i, body in enumerate(bodies):
            try:
                out.append(self.intake.check(creds, body, now, digests[i] if digests else None, cached_only))
            except ServiceError as exc:
                out.append(exc)
        return out

    def _placement(self, order_id: str, outcome: Outcome | ServiceError) -> Placement:
        if isinstance(outcome, ServiceError):
            return Placement(order_id, error=outcome)
        if outcome.rejected == DUPLICATE:
            return Placement(order_id, error=engine_reject(order_id, RejectReason.DUPLICATE_ORDER))
        if outcome.rejected is not None:
            balance = outcome.rejected in (NOT_ENOUGH_BALANCE, STALE_BALANCE)
            code = ErrorCode.INVALID_ORDER_NOT_ENOUGH_BALANCE if balance else None
            return Placement(order_id, error=ServiceError(code or ErrorCode.INVALID_ORDER_PAYLOAD, outcome.rejected))
        for ev in outcome.events:
            if isinstance(ev, OrderRejected):
                return Placement(order_id, error=engine_reject(order_id, ev.reason))
            if isinstance(ev, Trade) and ev.taker_order_id == order_id:
                making, taking = taker_amounts(ev)
                stream = outcome.stream or self.stream.stream
                return Placement(order_id, "matched", making, taking, (trade_key(stream, ev),))
        return Placement(order_id, "live")

    async def place_orders(self, creds: L2Credentials, bodies: Sequence[object]) -> list[Placement]:
        """Check and sequence up to `MAX_BATCH_ORDERS` orders; one `Placement` each, in order."""
        if len(bodies) > MAX_BATCH_ORDERS:
            raise ServiceError(
                ErrorCode.TOO_MANY_ORDERS, f"Too many orders in payload: {len(bodies)}, max {MAX_BATCH_ORDERS}"
            )
        now = int(self.clock())
        single = len(bodies) == 1
        pool = self.pool
        digests = await pool.digests(bodies) if pool is not None and not single else None
        checked = None
        if single or (digests is not None and None not in digests):
            # One order (its signature costs less than the round trip to the pool), or every signature verified
            # in the pool (what is left is parsing and table lookups): checked here, on the loop, rather than on a
            # thread — provided the chain view answers from its cache.
            with contextlib.suppress(ChainCacheMiss):
                checked = self.check_all(creds, bodies, now, digests, cached_only=True)
        if checked is None:  # signatures to recover here, or chain reads that may block
            checked = await asyncio.to_thread(self.check_all, creds, bodies, now, digests)
        placed = [c for c in checked if isinstance(c, CheckedOrder)]
        outcomes = await sequence_all(self.stream, [order_submission(c, creds.api_key, now) for c in placed])
        for c, o in zip(placed, outcomes, strict=True):
            if isinstance(o, Outcome) and o.rejected == STALE_BALANCE and self.chain is not None:
                self.chain.invalidate(c.order.maker, COLLATERAL if c.order.side == OrderSide.BUY else c.order.token_id)
        again = [c.order_id for c, o in zip(placed, outcomes, strict=True) if _is_duplicate(o)]
        # A retry refused by a check of what changed since the first try (the market halted, the order expired,
        # the balance spent by its own settlement) is still a retry if the order was sequenced: first answer.
        refused = {i: oid for i, c in enumerate(checked) if (oid := self._retry_id(creds, bodies[i], c)) is not None}
        lookups = [*again, *refused.values()]
        first = await asyncio.to_thread(self._first_answers, lookups, creds.address) if lookups else {}
        placements = iter(
            [first.get(c.order_id) or self._placement(c.order_id, o) for c, o in zip(placed, outcomes, strict=True)]
        )
        return [
            (first.get(refused.get(i, "")) or Placement("", error=c))
            if isinstance(c, ServiceError)
            else next(placements)
            for i, c in enumerate(checked)
        ]

    def _retry_id(self, creds: L2Credentials, body: object, result: CheckedOrder | ServiceError) -> str | None:
        """The order id of a refused body if the refusal depends on the moment (a retry may be of an order
        sequenced before); None otherwise."""
        if not isinstance(result, ServiceError) or result.code not in _MOMENT_CODES:
            return None
        try:
            order = parse_order_request(body).order
        except OrderError:
            return None
        if order.signer != creds.address:
            return None
        return order_id_of(self.verifier.order_hash(order))

    def _first_answers(self, order_ids: Sequence[str], owner: str) -> dict[str, Placement]:
        """What the placement of each of these sequenced orders answered (the same order posted again: a retry):
        ``matched`` with what it gave and received on arrival and its trades, or ``live``."""
        out: dict[str, Placement] = {}
        for order_id in dict.fromkeys(order_ids):
            found = self.queries.arrival(order_id)
            if found is None or found[0].maker != owner:
                continue
            _record, arrivals = found
            if not arrivals:
                out[order_id] = Placement(order_id, "live")
                continue
            making = taking = 0
            for _tid, payload in arrivals:
                gave, got = stored_taker_amounts(payload)
                making, taking = making + gave, taking + got
            out[order_id] = Placement(order_id, "matched", making, taking, tuple(t for t, _p in arrivals))
        return out

    async def place_order(self, creds: L2Credentials, body: object) -> Placement:
        """One order; a refusal raises `ServiceError`."""
        (placement,) = await self.place_orders(creds, [body])
        if placement.error is not None:
            raise placement.error
        return placement
