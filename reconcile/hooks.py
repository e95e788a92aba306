"""Feedback from reconciliation to the book: hooks ``hook(kind, subject, evidence)`` that ``Reconciler`` calls after
a run's commit (see ``reconcile.runs``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol

from clob.engine.types import Address, OrderId, UnixSeconds
from clob.service.outcomes import cancel_one_command
from clob.service.submission import Submission
from reconcile.rules import Kind, orders_to_cancel
from reconcile.runs import Hook


class _Submitter(Protocol):
    def submit(self, submission: Any) -> Future[Any]: ...


class _Invalidator(Protocol):
    def invalidate(self, address: str, asset_id: int | None = None) -> None: ...


def book_feedback_hook(
    sequencer: _Submitter,
    *,
    chain_view: _Invalidator | None = None,
    clock: Callable[[], float] = time.time,
    timeout: float = 30.0,
) -> Hook:
    """A hook that acts on the book: cancel every order in the evidence's ``cancel`` list (a chain cancellation,
    a bumped nonce, an overfill, a balance shortfall) with a ``CancelOrder`` command of its maker, and drop the
    cached chain state of a trader whose balance fell. Idempotent (cancelling a gone order is a rejected no-op):
    add it with ``repeat=True``."""

    def hook(kind: str, subject: str, evidence: Mapping[str, Any]) -> None:
        if kind == Kind.BALANCE_BELOW_RESERVED and chain_view is not None:
            chain_view.invalidate(subject)
        now = UnixSeconds(int(clock()))
        futures = [
            sequencer.submit(
                Submission(
                    cancel_one_command(now, OrderId(order_id), Address(maker)),
                    {"reason": "reconciliation", "kind": kind, "subject": subject},
                )
            )
            for order_id, maker in orders_to_cancel(evidence)
        ]
        for fut in futures:
            fut.result(timeout=timeout)

    return hook
