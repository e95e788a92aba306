"""Roles, pause, registry, nonces, views and the ERC1155 receiver hooks."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.exchange import ERROR_SIGNATURES, MAX_FEE_RATE_BPS, decode_revert, order_tuple
from tests.integration.exchange.exchange_support import ExchangeEnv


def events(env: ExchangeEnv, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in getattr(env.exchange.events, name)().process_receipt(receipt, errors=DISCARD)]


def test_deployer_is_admin_and_operator(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    op = env.operator.address
    assert ex.isAdmin(op).call()
    assert ex.isOperator(op).call()
    assert ex.admins(op).call() == 1
    assert ex.operators(op).call() == 1
    assert not ex.isAdmin(env.outsider.address).call()
    assert ex.getCollateral().call() == env.usdc.address
    assert ex.getCtf().call() == env.ctf.address
    assert ex.getMaxFeeRate().call() == MAX_FEE_RATE_BPS
    assert ex.paused().call() is False


def test_role_management_and_events(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    admin, other = env.operator, env.outsider
    assert env.revert_name(ex.addOperator(other.address), other) == "NotAdmin"
    r = admin.transact(ex.addOperator(other.address))
    assert events(env, "NewOperator", r) == [{"newOperatorAddress": other.address, "admin": admin.address}]
    assert ex.isOperator(other.address).call()
    r = other.transact(ex.renounceOperatorRole())
    assert events(env, "RemovedOperator", r) == [{"removedOperator": other.address, "admin": other.address}]
    assert env.revert_name(ex.renounceOperatorRole(), other) == "NotOperator"
    r = admin.transact(ex.addAdmin(other.address))
    assert events(env, "NewAdmin", r) == [{"newAdminAddress": other.address, "admin": admin.address}]
    r = other.transact(ex.removeAdmin(admin.address))
    assert events(env, "RemovedAdmin", r) == [{"removedAdmin": admin.address, "admin": other.address}]
    assert env.revert_name(ex.pauseTrading(), admin) == "NotAdmin"
    other.transact(ex.addOperator(admin.address))  # still an operator; idempotent
    r = other.transact(ex.removeOperator(admin.address))
    assert events(env, "RemovedOperator", r) == [{"removedOperator": admin.address, "admin": other.address}]
    assert not ex.isOperator(admin.address).call()
    r = other.transact(ex.renounceAdminRole())
    assert events(env, "RemovedAdmin", r) == [{"removedAdmin": other.address, "admin": other.address}]
    assert env.revert_name(ex.addAdmin(other.address), other) == "NotAdmin"


def test_pause_events(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    r = env.operator.transact(ex.pauseTrading())
    assert events(env, "TradingPaused", r) == [{"pauser": env.operator.address}]
    assert ex.paused().call() is True
    r = env.operator.transact(ex.unpauseTrading())
    assert events(env, "TradingUnpaused", r) == [{"pauser": env.operator.address}]
    assert env.revert_name(ex.unpauseTrading(), env.outsider) == "NotAdmin"


def test_registry(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    m = env.market
    assert ex.getComplement(m.yes).call() == m.no
    assert ex.getComplement(m.no).call() == m.yes
    assert ex.getConditionId(m.yes).call() == m.condition_id
    assert ex.registry(m.no).call() == [m.yes, m.condition_id]
    ex.validateTokenId(m.yes).call()
    ex.validateComplement(m.yes, m.no).call()
    assert env.revert_name(ex.validateTokenId(5)) == "InvalidTokenId"
    assert env.revert_name(ex.getComplement(5)) == "InvalidTokenId"
    assert env.revert_name(ex.validateComplement(m.yes, env.other.no)) == "InvalidComplement"
    assert env.revert_name(ex.validateComplement(5, m.yes)) == "InvalidTokenId"
    cid = b"\x11" * 32
    assert env.revert_name(ex.registerToken(7, 8, cid), env.outsider) == "NotAdmin"
    assert env.revert_name(ex.registerToken(7, 7, cid)) == "InvalidTokenId"
    assert env.revert_name(ex.registerToken(0, 8, cid)) == "InvalidTokenId"
    assert env.revert_name(ex.registerToken(7, 0, cid)) == "InvalidTokenId"
    assert env.revert_name(ex.registerToken(m.yes, 8, cid)) == "AlreadyRegistered"
    assert env.revert_name(ex.registerToken(7, m.no, cid)) == "AlreadyRegistered"
    r = env.operator.transact(ex.registerToken(7, 8, cid))
    assert events(env, "TokenRegistered", r) == [
        {"token0": 7, "token1": 8, "conditionId": cid},
        {"token0": 8, "token1": 7, "conditionId": cid},
    ]


def test_nonces(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    maker = env.traders[4]
    assert ex.nonces(maker.address).call() == 0
    assert ex.isValidNonce(maker.address, 0).call()
    r = maker.transact(ex.incrementNonce())
    assert events(env, "NonceIncremented", r) == [{"maker": maker.address, "newNonce": 1}]
    assert ex.nonces(maker.address).call() == 1
    assert not ex.isValidNonce(maker.address, 0).call()


def test_cancel_orders_and_events(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    a = env.sell(2, env.market.yes, 10, 0.5)
    b = env.buy(2, env.market.no, 10, 0.5)
    r = env.traders[2].transact(ex.cancelOrders([order_tuple(a), order_tuple(b)]))
    hashes = [ex.hashOrder(order_tuple(o)).call() for o in (a, b)]
    assert [e["orderHash"] for e in events(env, "OrderCancelled", r)] == hashes
    assert env.order_status(a) == (True, 0)
    assert env.revert_name(ex.validateOrder(order_tuple(a))) == "OrderFilledOrCancelled"
    ex.validateOrder(order_tuple(env.sell(2, env.market.yes, 10, 0.5))).call()


def test_erc1155_hooks_accept_only_the_ctf(env: ExchangeEnv) -> None:
    ex = env.exchange.functions
    z = "0x" + "00" * 20
    assert env.revert_name(ex.onERC1155Received(z, z, 1, 1, b""), env.outsider) == "UnexpectedToken"
    assert env.revert_name(ex.onERC1155BatchReceived(z, z, [1], [1], b""), env.outsider) == "UnexpectedToken"
    assert ex.onERC1155Received(z, z, 1, 1, b"").call({"from": env.ctf.address}) == bytes.fromhex("f23a6e61")
    assert ex.supportsInterface(bytes.fromhex("4e2312e0")).call()  # IERC1155Receiver
    assert ex.supportsInterface(bytes.fromhex("01ffc9a7")).call()  # IERC165
    assert not ex.supportsInterface(bytes.fromhex("ffffffff")).call()


def test_error_list_matches_the_abi(env: ExchangeEnv) -> None:
    abi_errors = {
        f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in env.exchange.abi if e["type"] == "error"
    }
    # TransferFailed lives in a library: in the helper's list but not in the contract ABI.
    assert abi_errors <= set(ERROR_SIGNATURES)
    assert set(ERROR_SIGNATURES) - abi_errors <= {"TransferFailed()"}
    assert decode_revert(Web3.keccak(text="InvalidNonce()")[:4]).name == "InvalidNonce"
