"""Exchange events on anvil: fills, matches, cancellations and token registrations, and the read queries over them.

Skipped until the ``Exchange`` contract is built (``build/contracts/Exchange.json``).
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from chain.anvil import dev_key
from chain.deploy import exchange_available
from chain.exchange import order_tuple, sign
from chain.markets import fund_account, prepare_market
from chain.rpc import contract_at
from store import Database
from store.queries import chain as queries
from tests.integration.indexer.world import USDC, World

if not exchange_available():
    pytest.skip("Exchange contract not built yet (build/contracts/Exchange.json is absent)", allow_module_level=True)
ex = pytest.importorskip("chain.exchange", reason="chain/exchange.py (order signing helpers) not present")

ZERO = "0x" + "00" * 20


def _order(
    world: World, exchange: str, key_index: int, token: int, side: Any, making: int, taking: int, salt: int
) -> Any:
    maker = world.signer(key_index).address
    order = ex.Order(salt, maker, maker, ZERO, token, making, taking, 0, 0, 0, side)
    return sign(order, dev_key(key_index), world.manifest.chain_id, exchange)


def test_fills_matches_cancellations_and_queries(world: World, db: Database) -> None:
    exchange = contract_at(world.w3, "Exchange", world.manifest.contracts["exchange"])
    owner = world.owner  # admin and operator
    market = prepare_market(owner, exchange, world.ctf, world.usdc.address, Web3.keccak(text="Exchange indexing"))
    alice, bob = world.signer(2), world.signer(3)
    fund_account(owner, alice, world.usdc, world.ctf, exchange.address, 0, sets=100 * USDC, markets=[market])
    fund_account(owner, bob, world.usdc, world.ctf, exchange.address, 100 * USDC)
    fund_account(owner, owner, world.usdc, world.ctf, exchange.address, 100 * USDC)
    chain_id, addr = world.manifest.chain_id, exchange.address

    # matchOrders: bob BUYs 10 YES at 0.60 from alice's SELL.
    sell = _order(world, addr, 2, market.yes, ex.Side.SELL, 10 * USDC, 6 * USDC, 1)
    buy = _order(world, addr, 3, market.yes, ex.Side.BUY, 6 * USDC, 10 * USDC, 2)
    match_tx = owner.transact(
        exchange.functions.matchOrders(order_tuple(buy), [order_tuple(sell)], 6 * USDC, [10 * USDC])
    )["transactionHash"]
    # fillOrder: the operator takes 5 of alice's second SELL.
    sell2 = _order(world, addr, 2, market.no, ex.Side.SELL, 10 * USDC, 4 * USDC, 3)
    fill_tx = owner.transact(exchange.functions.fillOrder(order_tuple(sell2), 5 * USDC))["transactionHash"]
    # cancelOrder by its maker.
    sell3 = _order(world, addr, 2, market.yes, ex.Side.SELL, 1 * USDC, 1 * USDC, 4)
    alice.transact(exchange.functions.cancelOrder(order_tuple(sell3)))

    idx = world.indexer(db, confirmations=2)
    idx.run_until_synced()

    def h(order: Any) -> str:
        return "0x" + ex.hash_order(order, chain_id, addr).hex()

    match_fills = queries.fills_by_tx(db, "0x" + bytes(match_tx).hex())
    assert [f.order_hash for f in match_fills] == [h(sell), h(buy)]
    maker_fill = match_fills[0]
    assert (maker_fill.maker, maker_fill.taker) == (alice.address.lower(), bob.address.lower())
    assert (maker_fill.maker_asset_id, maker_fill.taker_asset_id) == (market.yes, 0)
    assert (maker_fill.maker_amount_filled, maker_fill.taker_amount_filled, maker_fill.fee) == (10 * USDC, 6 * USDC, 0)
    matches = queries.matches_by_tx(db, "0x" + bytes(match_tx).hex())
    assert len(matches) == 1
    assert matches[0].taker_order_hash == h(buy)
    assert matches[0].taker_order_maker == bob.address.lower()

    state = queries.order_state(db, h(sell2))
    assert (state.making_filled, state.taking_filled, state.cancelled) == (5 * USDC, 2 * USDC, False)
    assert state.fills[0].tx_hash == "0x" + bytes(fill_tx).hex()
    cancelled = queries.order_state(db, h(sell3))
    assert cancelled.cancelled
    assert cancelled.fills == ()

    assert queries.market_token_ids(db, "0x" + market.condition_id.hex()) == sorted([market.yes, market.no])
    by_market = queries.fills_by_market(db, "0x" + market.condition_id.hex())
    assert {f.order_hash for f in by_market} == {h(sell), h(buy), h(sell2)}
    assert {f.order_hash for f in queries.fills_by_user(db, bob.address)} == {h(sell), h(buy)}
    assert {f.order_hash for f in queries.fills_by_user(db, alice.address)} == {h(sell), h(sell2)}

    # The fillOrder is 1 block below the head: unconfirmed at depth 2.
    confirmed = queries.fills_by_market(db, "0x" + market.condition_id.hex(), confirmed_only=True)
    assert {f.order_hash for f in confirmed} == {h(sell), h(buy)}
    assert [f.confirmed for f in queries.fills_by_order(db, h(sell2))] == [False]

    # Pagination: newest first, `before` continues after the last one seen.
    page1 = queries.fills_by_market(db, "0x" + market.condition_id.hex(), limit=2)
    page2 = queries.fills_by_market(
        db, "0x" + market.condition_id.hex(), limit=2, before=(page1[-1].block_number, page1[-1].log_index)
    )
    assert [f.order_hash for f in page1 + page2] == [h(sell2), h(buy), h(sell)]

    positions = {p.token_id: p for p in queries.positions_by_user(db, bob.address)}
    assert positions[market.yes].balance == 10 * USDC == world.balance(bob.address, market.yes)
    assert positions[market.yes].condition_id == "0x" + market.condition_id.hex()
