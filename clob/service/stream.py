"""Command streams' shared pieces: the refusal of a remote stream, and one future for several."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future

from clob.service.sequencer import Outcome


class StreamUnavailable(Exception):  # noqa: N818 - a state, not an error
    """A remote command stream could not take a command or did not answer in time (it may still be applied)."""


def collect(futures: Sequence[Future[Outcome]]) -> Future[list[Outcome | BaseException]]:
    """One future for several: their results (or exceptions) in order, once all are done — ``submit_many`` for a
    stream that takes commands one at a time."""
    target: Future[list[Outcome | BaseException]] = Future()
    if not futures:
        target.set_result([])
        return target
    remaining = [len(futures)]
    lock = threading.Lock()

    def done(_f: Future[Outcome]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        target.set_result([f.exception() or f.result() for f in futures])

    for f in futures:
        f.add_done_callback(done)
    return target
