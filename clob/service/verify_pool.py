"""Signature verification in worker processes, to use a second core for the CPU-bound part of order intake.

The GIL keeps one process on one core; the sequencer thread, the event loop and the checks share it. With a pool,
each POST /order(s) body list goes to a worker process that parses every order and recovers its signer; it returns
the order hashes of the orders whose signature is valid (None for any other, which the main process then checks
again the ordinary way to produce the precise error). The main process still parses each order (cheap) and runs
every other check; the engine stays single-writer (only the sequencer applies commands).

The worker is handed the decoded JSON (re-encoded with orjson: far cheaper to pickle than the dicts) and answers
with digests computed from its own parse of the same value, so a digest always belongs to the order the main
process parses.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

import orjson

from clob.orders import OrderError, OrderVerifier, parse_order_request


@lru_cache(maxsize=4)
def _verifier(chain_id: int, exchange: str) -> OrderVerifier:
    return OrderVerifier(chain_id, exchange)


def verify_bodies(chain_id: int, exchange: str, bodies: Sequence[object] | bytes) -> list[bytes | None]:
    """In a worker: the order hash of each body (or of each item of a JSON array) whose signature verifies, else
    None."""
    verifier = _verifier(chain_id, exchange)
    if isinstance(bodies, bytes):
        bodies = orjson.loads(bodies)
        assert isinstance(bodies, list)
    out: list[bytes | None] = []
    for body in bodies:
        try:
            out.append(verifier.verify(parse_order_request(body).order))
        except (OrderError, ValueError, TypeError, OverflowError):
            out.append(None)
    return out


class VerifyPool:
    """A process pool verifying order signatures for one deployment."""

    def __init__(self, workers: int, chain_id: int, exchange: str) -> None:
        self.chain_id = chain_id
        self.exchange = exchange
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    async def digests(self, bodies: Sequence[object]) -> list[bytes | None]:
        # sent as JSON: a few bytes objects to pickle instead of every dict and string of every order
        try:
            payload: list[object] | bytes = orjson.dumps(list(bodies))
        except TypeError:  # an integer beyond 64 bits: pickled as it is
            payload = list(bodies)
        future = self._pool.submit(verify_bodies, self.chain_id, self.exchange, payload)
        return await asyncio.wrap_future(future)

    def warm_up(self) -> None:
        """Start the workers now (spawning takes a while) rather than on the first order."""
        self._pool.submit(verify_bodies, self.chain_id, self.exchange, []).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
