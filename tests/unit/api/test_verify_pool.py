"""The signature workers (clob.service.verify_pool): the digests the in-process verifier gives, None for anything
else, and all-None (so the caller verifies in-process) once no worker is left."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from clob.client import order_body
from clob.service.verify_pool import VerifyPool, decode_digests, encode_digests, verify_bodies
from orders import (
    ZERO_ADDRESS,
    Order,
    OrderVerifier,
    Side,
    SignatureType,
    address_of,
    parse_order_request,
    sign_order,
)
from orders.wallets import WalletRules, proxy_init_code_hash, safe_init_code_hash
from tests.unit.api.support import CHAIN_ID, DOMAIN, EXCHANGE

KEY = "0x" + "42" * 32


def _body(salt: int, **change: Any) -> dict[str, Any]:
    me = address_of(KEY)
    order = Order(salt, me, me, ZERO_ADDRESS, 7, 4_000_000, 10_000_000, 0, 0, 0, Side.BUY, SignatureType.EOA)
    signed = replace(sign_order(order, KEY, DOMAIN), **change)
    return order_body(signed, "key", "GTC", False)


@pytest.fixture(scope="module")
def pool() -> Iterator[VerifyPool]:
    pool = VerifyPool(2, CHAIN_ID, EXCHANGE)
    pool.warm_up()
    yield pool
    pool.close()


def test_digests_are_the_in_process_ones_and_none_for_bad_orders(pool: VerifyPool) -> None:
    verifier = OrderVerifier(CHAIN_ID, EXCHANGE)
    good = [_body(i) for i in range(1, 6)]
    forged = _body(9, taker_amount=20_000_000)  # signature no longer matches
    bodies: list[Any] = [*good, forged, {"not": "an order"}, "junk"]

    async def run() -> list[list[bytes | None]]:
        return list(await asyncio.gather(*(pool.digests(bodies) for _ in range(12))))  # more than fit in flight

    expected = [verifier.verify(parse_order_request(body).order) for body in good]
    for answer in asyncio.run(run()):
        assert answer == [*expected, None, None, None]


def test_digest_encoding_round_trips() -> None:
    digests: list[bytes | None] = [b"\x01" * 32, None, b"\x00" * 32]
    assert decode_digests(encode_digests(digests)) == digests
    assert decode_digests(encode_digests([b"short"])) == [None]


def test_a_dead_worker_is_dropped_and_the_caller_verifies_in_process() -> None:
    pool = VerifyPool(1, CHAIN_ID, EXCHANGE)
    pool.warm_up()
    try:

        async def run() -> tuple[list[bytes | None], list[bytes | None]]:
            before = await pool.digests([_body(1)])
            for worker in pool._workers:
                worker.process.kill()
                worker.process.join(5)
            return before, await pool.digests([_body(2), _body(3)])

        before, after = asyncio.run(run())
        assert before[0] is not None
        assert after == [None, None]
    finally:
        pool.close()


def test_close_from_another_thread_while_the_loop_runs() -> None:
    pool = VerifyPool(1, CHAIN_ID, EXCHANGE)
    pool.warm_up()

    async def run() -> None:
        assert (await pool.digests([_body(1)]))[0] is not None
        closer = threading.Thread(target=pool.close)
        closer.start()
        while closer.is_alive():
            await asyncio.sleep(0.01)
        assert not any(w.process.is_alive() for w in pool._workers)
        assert await pool.digests([_body(2)]) == [None]

    asyncio.run(run())


RULES = WalletRules(
    "0x" + "f1" * 20,
    proxy_init_code_hash("0x" + "e1" * 20),
    "0x" + "f2" * 20,
    safe_init_code_hash(b"\x00", "0x" + "e2" * 20),
)


def _wallet_body(salt: int, kind: SignatureType) -> dict[str, Any]:
    me = address_of(KEY)
    wallet = RULES.wallet_of(int(kind), me)
    order = Order(salt, wallet, me, ZERO_ADDRESS, 7, 4_000_000, 10_000_000, 0, 0, 0, Side.BUY, kind)
    return order_body(sign_order(order, KEY, DOMAIN), "key", "GTC", False)


def test_workers_verify_wallet_orders_with_the_deployments_rules() -> None:
    bodies = [_wallet_body(1, SignatureType.POLY_PROXY), _wallet_body(2, SignatureType.POLY_GNOSIS_SAFE)]
    expected = [OrderVerifier(CHAIN_ID, EXCHANGE, wallets=RULES).verify(parse_order_request(b).order) for b in bodies]
    assert verify_bodies(CHAIN_ID, EXCHANGE, bodies, RULES) == expected
    assert verify_bodies(CHAIN_ID, EXCHANGE, bodies) == [None, None]  # without the rules: checked in-process
    pool = VerifyPool(1, CHAIN_ID, EXCHANGE, RULES)
    try:
        pool.warm_up()
        assert asyncio.run(pool.digests(bodies)) == expected
    finally:
        pool.close()
