"""Awaiting the command stream from the asyncio side: a sequencing result as the service answers it.

Every part of the service that sequences commands (the order desk, cancels, market admin, the heartbeat switch)
submits `Submission`s to the `CommandStream` and awaits the futures here: an `Outcome`, or a `ServiceError` 503
naming why there is none (the stream stopped, the batch did not commit, a remote stream did not answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Future

from clob.service.errors import ErrorCode, ServiceError
from clob.service.ports import CommandStream, StreamUnavailable
from clob.service.sequencer import CommitFailed, Outcome, SequencerStopped
from clob.service.submission import Submission

log = logging.getLogger(__name__)


def answer_of(result: Outcome | BaseException) -> Outcome | ServiceError:
    """A sequencing result as the service answers it: the outcome, or a 503 naming why there is none."""
    if isinstance(result, Outcome):
        return result
    if isinstance(result, SequencerStopped | CommitFailed):
        return ServiceError(ErrorCode.UNAVAILABLE, "the exchange is not accepting commands right now")
    if isinstance(result, StreamUnavailable):  # distributed mode: not published, or no outcome came back
        return ServiceError(ErrorCode.UNAVAILABLE, f"{result}; the command may still be applied: check it")
    log.error("command failed", exc_info=result)
    return ServiceError(ErrorCode.UNAVAILABLE, "the command could not be processed")


async def await_all(futures: Sequence[Future[Outcome]]) -> list[Outcome | ServiceError]:
    """The answers of ``futures``, in order, once all are done."""
    results = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures), return_exceptions=True)
    return [answer_of(r) for r in results]


async def sequence_all(stream: CommandStream, submissions: Sequence[Submission]) -> list[Outcome | ServiceError]:
    """Sequence ``submissions`` in order, woken once for all of them."""
    try:
        results = await asyncio.wrap_future(stream.submit_many(submissions))
    except Exception as exc:
        return [answer_of(exc)] * len(submissions)
    return [answer_of(r) for r in results]


async def sequence_one(stream: CommandStream, submission: Submission) -> Outcome:
    """Sequence one submission; no outcome raises the `ServiceError`."""
    (result,) = await await_all([stream.submit(submission)])
    if isinstance(result, ServiceError):
        raise result
    return result
