"""Golden tests: our Python order hash = the contract's hashOrder = Polymarket's clients' digest, and an order
signed by Polymarket's own py-order-utils is accepted by the contract."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chain.exchange import (
    ZERO_ADDRESS,
    Match,
    Order,
    Side,
    SignatureType,
    domain_separator,
    hash_order,
    order_tuple,
    sign_digest,
)
from orders import eip712, normalize_address, parse_order
from tests.integration.exchange.exchange_model import model_match_orders
from tests.integration.exchange.exchange_support import USDC, ExchangeEnv, assert_conserved, assert_matches_model
from tests.unit.orders.vectors import order_from_vector

VECTORS = Path("/work/shared/vectors/polymarket-v1-vectors.json")
MAX = 2**256 - 1


def vector_orders() -> list[dict[str, Any]]:
    if not VECTORS.exists():
        return []
    orders: list[dict[str, Any]] = json.loads(VECTORS.read_text())["orders"]
    return orders


def from_vector(v: dict[str, Any]) -> Order:
    return order_from_vector(v)


def edge_orders(env: ExchangeEnv) -> list[Order]:
    maker = env.traders[0].address
    return [
        env.buy(0, env.market.yes, 100, 0.6),
        env.sell(1, env.market.no, 3, 0.01, fee=1000, nonce=9, expiration=2**40),
        Order(MAX, maker, maker, env.operator.address, MAX, MAX, MAX, MAX, MAX, MAX, Side.SELL, 255),
        Order(0, ZERO_ADDRESS, ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, 0, 0, 0, Side.BUY, SignatureType.POLY_GNOSIS_SAFE),
    ]


def test_python_hash_equals_contract_hash_order(env: ExchangeEnv) -> None:
    ex = env.exchange
    assert ex.functions.domainSeparator().call() == domain_separator(env.chain_id, ex.address)
    for order in edge_orders(env):
        assert ex.functions.hashOrder(order_tuple(order)).call() == hash_order(order, env.chain_id, ex.address)


def test_the_books_order_hashes_as_the_contract_whatever_the_address_case(env: ExchangeEnv) -> None:
    """The chain helpers and the book share one ``Order``: an order with checksummed addresses (as tests build
    them) and the same order with the book's lower-case addresses (as ``orders.parse`` yields them) have the same
    ``orders`` EIP-712 hash (the book's order id), the contract's ``hashOrder``, and the same ABI encoding."""
    separator = eip712.domain_separator(env.chain_id, env.exchange.address)
    for order in edge_orders(env):
        book = replace(
            order,
            maker=normalize_address(order.maker),
            signer=normalize_address(order.signer),
            taker=normalize_address(order.taker),
        )
        assert book.maker == order.maker.lower()
        assert book.taker == order.taker.lower()
        assert eip712.hash_order(book, separator) == env.exchange.functions.hashOrder(order_tuple(order)).call()
        assert eip712.hash_order(order, separator) == eip712.hash_order(book, separator)
        assert order_tuple(book) == order_tuple(order)


@pytest.mark.skipif(not vector_orders(), reason="shared vectors not available")
def test_vectors_digest_and_signature() -> None:
    for v in vector_orders():
        order = from_vector(v)
        digest = hash_order(order, v["chain_id"], v["exchange"])
        assert "0x" + digest.hex() == v["digest"]
        assert sign_digest(digest, v["private_key"]) == order.signature  # RFC 6979: deterministic


@pytest.mark.skipif(not vector_orders(), reason="shared vectors not available")
def test_contract_at_the_vector_address_agrees(env: ExchangeEnv) -> None:
    """Our runtime code placed at the vectors' exchange address (chain 31337) gives their digests and accepts
    their signatures (the domain separator follows the contract's own address)."""
    vectors = [v for v in vector_orders() if v["chain_id"] == env.chain_id]
    assert vectors
    address = vectors[0]["exchange"]
    code = env.w3.eth.get_code(env.exchange.address)
    env.anvil.rpc("anvil_setCode", address, "0x" + bytes(code).hex())
    twin = env.w3.eth.contract(address=address, abi=env.exchange.abi)
    for v in vectors:
        order = from_vector(v)
        digest = twin.functions.hashOrder(order_tuple(order)).call()
        assert "0x" + digest.hex() == v["digest"]
        twin.functions.validateOrderSignature(digest, order_tuple(order)).call()


def py_order_utils_order(
    env: ExchangeEnv, who: int, token: int, side: int, maker_amount: int, taker_amount: int
) -> Order:
    builders = pytest.importorskip("py_order_utils.builders")
    putils_model = pytest.importorskip("py_order_utils.model")
    putils_signer = pytest.importorskip("py_order_utils.signer")
    builder = builders.OrderBuilder(env.exchange.address, env.chain_id, putils_signer.Signer(env.keys[who]))
    signed = builder.build_signed_order(
        putils_model.OrderData(
            maker=env.traders[who].address,
            tokenId=str(token),
            makerAmount=str(maker_amount),
            takerAmount=str(taker_amount),
            side=side,
            feeRateBps="0",
        )
    )
    return parse_order(signed.dict())  # parsed as POST /order parses it


def test_py_order_utils_orders_are_accepted(env: ExchangeEnv) -> None:
    yes = env.market.yes
    taker = py_order_utils_order(env, 0, yes, 0, 60 * USDC, 100 * USDC)  # BUY 100 @ 0.60
    maker = py_order_utils_order(env, 1, yes, 1, 100 * USDC, 58 * USDC)  # SELL 100 @ 0.58
    assert env.exchange.functions.hashOrder(order_tuple(taker)).call() == hash_order(
        taker, env.chain_id, env.exchange.address
    )
    before = env.balances()
    ledger = env.ledger(before)
    model_match_orders(ledger, taker, [maker], 60 * USDC, [100 * USDC], env.operator.address, env.complements())
    receipt = env.match(Match(taker, (maker,), 60 * USDC, (100 * USDC,)))
    after = env.balances()
    assert_matches_model(env, ledger, after)
    assert_conserved(env, before, after, receipt)
    single = py_order_utils_order(env, 2, yes, 1, 10 * USDC, 5 * USDC)
    env.operator.transact(env.exchange.functions.fillOrder(order_tuple(single), single.maker_amount))
    assert env.order_status(single) == (True, 0)
