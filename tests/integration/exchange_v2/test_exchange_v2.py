"""ExchangeV2 on chain: V2 hashing, fills and matches of every type with the protocol fee to the unit, replay and
cancellation, signatures of the wrong version or type, admin fee parameters."""

from __future__ import annotations

from dataclasses import replace

from chain.exchange import Side
from chain.exchange_v2 import MatchV2, order_v2_tuple
from orders.eip712 import EIP712_DOMAIN_TYPEHASH
from orders.keccak import keccak_256
from orders.signing import sign_digest
from orders.v2 import domain_separator_v2, hash_order_v2, protocol_fee, struct_hash_v2
from tests.integration.exchange.exchange_support import USDC
from tests.integration.exchange_v2.conftest import V2Env

RATE, EXP = 2_500, 2  # 25 %, exponent 2: a fee of rate * (p(1-p))^2 per share, in collateral value


def _set_fees(env: V2Env, token: int, rate: int = RATE, exp: int = EXP) -> None:
    env.base.operator.transact(env.v2.functions.setFeeParams(token, rate, exp))


def test_hash_and_domain_match_python(env: V2Env) -> None:
    order = env.buy(1, env.base.market.yes, 10, 0.4)
    contract_hash = bytes(env.v2.functions.hashOrder(order_v2_tuple(order)).call())
    assert contract_hash == hash_order_v2(order, env.base.chain_id, env.v2.address)
    assert bytes(env.v2.functions.domainSeparator().call()) == domain_separator_v2(env.base.chain_id, env.v2.address)
    # expiration is not signed: changing it keeps the id and the signature valid
    later = replace(order, expiration=1_900_000_000)
    assert hash_order_v2(later, env.base.chain_id, env.v2.address) == contract_hash
    env.v2.functions.validateOrder(order_v2_tuple(later)).call()


def test_complementary_match_charges_the_taker_fee_exactly(env: V2Env) -> None:
    b, yes = env.base, env.base.market.yes
    _set_fees(env, yes)
    taker = env.buy(1, yes, 100, 0.60)  # pays at most 60 for 100 YES
    maker = env.sell(2, yes, 100, 0.55)  # sells 100 YES for 55
    t, m, op = b.traders[1].address, b.traders[2].address, b.operator.address
    before = {(a, k): env.balance(a, k) for a in (t, m, op) for k in (0, yes)}
    env.match(MatchV2(taker, [maker], 60 * USDC, [100 * USDC]))
    fee = protocol_fee(RATE, EXP, 0, 55 * USDC, 100 * USDC)
    assert fee > 0
    assert env.balance(t, 0) == before[(t, 0)] - 55 * USDC  # the 5 of price improvement is refunded
    assert env.balance(t, yes) == before[(t, yes)] + 100 * USDC - fee
    assert env.balance(m, 0) == before[(m, 0)] + 55 * USDC  # makers pay no fee
    assert env.balance(m, yes) == before[(m, yes)] - 100 * USDC
    assert env.balance(op, yes) == before[(op, yes)] + fee
    assert env.balance(env.v2.address, 0) == 0
    assert env.balance(env.v2.address, yes) == 0
    assert env.status(taker) == (True, 0)
    assert env.status(maker) == (True, 0)


def test_mint_match(env: V2Env) -> None:
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    _set_fees(env, yes)
    taker = env.buy(1, yes, 100, 0.60)
    maker = env.buy(2, no, 100, 0.40)
    t, m, op = b.traders[1].address, b.traders[2].address, b.operator.address
    before = {(a, k): env.balance(a, k) for a in (t, m, op) for k in (0, yes, no)}
    receipt = env.match(MatchV2(taker, [maker], 60 * USDC, [40 * USDC]))
    assert b.sets_moved(receipt) == (100 * USDC, 0)
    fee = protocol_fee(RATE, EXP, 0, 60 * USDC, 100 * USDC)
    assert env.balance(t, 0) == before[(t, 0)] - 60 * USDC
    assert env.balance(t, yes) == before[(t, yes)] + 100 * USDC - fee
    assert env.balance(m, 0) == before[(m, 0)] - 40 * USDC
    assert env.balance(m, no) == before[(m, no)] + 100 * USDC
    assert env.balance(op, yes) == before[(op, yes)] + fee


def test_merge_match(env: V2Env) -> None:
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    _set_fees(env, yes)
    taker = env.sell(1, yes, 100, 0.60)  # wants at least 60
    maker = env.sell(2, no, 100, 0.35)  # wants 35
    t, m, op = b.traders[1].address, b.traders[2].address, b.operator.address
    before = {(a, k): env.balance(a, k) for a in (t, m, op) for k in (0, yes, no)}
    receipt = env.match(MatchV2(taker, [maker], 100 * USDC, [100 * USDC]))
    assert b.sets_moved(receipt) == (0, 100 * USDC)
    fee = protocol_fee(RATE, EXP, 1, 100 * USDC, 65 * USDC)
    assert fee > 0
    assert env.balance(t, 0) == before[(t, 0)] + 65 * USDC - fee
    assert env.balance(t, yes) == before[(t, yes)] - 100 * USDC
    assert env.balance(m, 0) == before[(m, 0)] + 35 * USDC
    assert env.balance(m, no) == before[(m, no)] - 100 * USDC
    assert env.balance(op, 0) == before[(op, 0)] + fee


def test_fill_order_partial_then_replay_refused(env: V2Env) -> None:
    b, yes = env.base, env.base.market.yes
    _set_fees(env, yes, 1_000, 1)
    order = env.sell(3, yes, 50, 0.30)
    seller, op = b.traders[3].address, b.operator.address
    c0, y0 = env.balance(seller, 0), env.balance(seller, yes)
    env.fill(order, 20 * USDC)
    assert env.status(order) == (False, 30 * USDC)
    env.fill(order, 30 * USDC)
    fee1 = protocol_fee(1_000, 1, 1, 20 * USDC, 6 * USDC)
    fee2 = protocol_fee(1_000, 1, 1, 30 * USDC, 9 * USDC)
    assert env.balance(seller, 0) == c0 + 15 * USDC - fee1 - fee2
    assert env.balance(seller, yes) == y0 - 50 * USDC
    assert env.status(order) == (True, 0)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(order), 1)) == "OrderFilledOrCancelled"
    assert op  # the operator paid the proceeds


def test_cancel_by_maker_only_then_fill_refused(env: V2Env) -> None:
    b = env.base
    order = env.buy(4, b.market.yes, 10, 0.5)
    tup = order_v2_tuple(order)
    assert b.revert_name(env.v2.functions.cancelOrder(tup), b.traders[5]) == "NotOwner"
    b.traders[4].transact(env.v2.functions.cancelOrder(tup))
    assert env.status(order) == (True, 0)
    assert b.revert_name(env.v2.functions.fillOrder(tup, 1)) == "OrderFilledOrCancelled"
    assert b.revert_name(env.v2.functions.cancelOrder(tup), b.traders[4]) == "OrderFilledOrCancelled"


def test_signature_of_another_version_or_exchange_refused(env: V2Env) -> None:
    b = env.base
    order = env.buy(1, b.market.yes, 10, 0.5)
    # the same struct under a version "1" domain of this very contract
    v1_domain = keccak_256(
        EIP712_DOMAIN_TYPEHASH
        + keccak_256(b"Polymarket CTF Exchange").digest()
        + keccak_256(b"1").digest()
        + b.chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(env.v2.address[2:])
    ).digest()
    digest = keccak_256(b"\x19\x01" + v1_domain + struct_hash_v2(order)).digest()
    wrong_version = replace(order, signature=sign_digest(digest, b.keys[1]))
    fn = env.v2.functions.fillOrder(order_v2_tuple(wrong_version), 1)
    assert b.revert_name(fn) == "InvalidSignature"
    # signed for the V1 exchange's address
    other = env.buy(1, b.market.yes, 10, 0.5, exchange=b.exchange.address)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(other), 1)) == "InvalidSignature"
    # signed by somebody else
    forged = env.buy(1, b.market.yes, 10, 0.5, key=b.keys[2])
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(forged), 1)) == "InvalidSignature"


def test_unsupported_signature_type(env: V2Env) -> None:
    b = env.base
    order = env.buy(1, b.market.yes, 10, 0.5, signature_type=4)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(order), 1)) == "UnsupportedSignatureType"


def test_fee_params_admin_and_bounds(env: V2Env) -> None:
    b, yes = env.base, env.base.market.yes
    assert b.revert_name(env.v2.functions.setFeeParams(yes, 100, 1), b.traders[1]) == "NotAdmin"
    assert b.revert_name(env.v2.functions.setFeeParams(yes, 10_001, 1)) == "FeeTooHigh"
    assert b.revert_name(env.v2.functions.setFeeParams(yes, 100, 0)) == "InvalidFeeExponent"
    assert b.revert_name(env.v2.functions.setFeeParams(yes, 100, 5)) == "InvalidFeeExponent"
    assert b.revert_name(env.v2.functions.setFeeParams(12345, 100, 1)) == "InvalidTokenId"
    _set_fees(env, yes)
    assert tuple(env.v2.functions.feeParams(yes).call()) == (RATE, EXP)
    for making, taking, side in ((55 * USDC, 100 * USDC, 0), (100 * USDC, 65 * USDC, 1), (7, 3, 1), (1, 3, 0)):
        on_chain = env.v2.functions.protocolFee(yes, side, making, taking).call()
        assert on_chain == protocol_fee(RATE, EXP, side, making, taking)


def test_not_crossing_and_wrong_complement(env: V2Env) -> None:
    b, yes = env.base, env.base.market.yes
    taker = env.buy(1, yes, 10, 0.40)
    maker = env.sell(2, yes, 10, 0.50)
    fn = env.v2.functions.matchOrders(*MatchV2(taker, [maker], 4 * USDC, [10 * USDC]).as_args())
    assert b.revert_name(fn) == "NotCrossing"
    wrong = env.buy(2, b.other.no, 10, 0.70)
    fn = env.v2.functions.matchOrders(*MatchV2(taker, [wrong], 4 * USDC, [7 * USDC]).as_args())
    assert b.revert_name(fn) == "InvalidComplement"
    assert Side.BUY == 0


def test_poly_1271_wallet_order(env: V2Env) -> None:
    """Signature type 3: the maker is a contract wallet that accepts its owner's signature (ERC-1271)."""
    b, yes = env.base, env.base.market.yes
    owner = b.traders[1]
    wallet = b.operator.deploy("MockWallet1271", owner.address, b.usdc.address, b.ctf.address, env.v2.address)
    b.operator.transact(b.usdc.functions.mint(wallet.address, 40 * USDC))
    as_wallet = {"maker": wallet.address, "signer": wallet.address, "signature_type": 3}
    order = env.order(1, yes, Side.BUY, 40 * USDC, 100 * USDC, **as_wallet)
    not_owner = env.order(1, yes, Side.BUY, 40 * USDC, 100 * USDC, key=b.keys[2], **as_wallet)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(not_owner), 1)) == "InvalidSignature"
    other_signer = env.order(1, yes, Side.BUY, 40 * USDC, 100 * USDC, maker=wallet.address, signature_type=3)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(other_signer), 1)) == "InvalidSignature"
    op = b.operator.address
    op_usdc = env.balance(op, 0)
    env.fill(order, 40 * USDC)
    assert env.balance(wallet.address, 0) == 0
    assert env.balance(wallet.address, yes) == 100 * USDC
    assert env.balance(op, 0) == op_usdc + 40 * USDC
    assert env.status(order) == (True, 0)


def test_mixed_makers_one_match(env: V2Env) -> None:
    """COMPLEMENTARY and MINT makers against one taker: the taker pays exactly what the makers take, net of the
    MINT makers' collateral, and receives every token, less the fee at its actual average price."""
    b, yes, no = env.base, env.base.market.yes, env.base.market.no
    _set_fees(env, yes)
    taker = env.buy(1, yes, 300, 0.60)  # up to 180 for 300 YES
    makers = [env.sell(2, yes, 100, 0.55), env.buy(3, no, 100, 0.42), env.sell(4, yes, 100, 0.60)]
    fills = [100 * USDC, 42 * USDC, 100 * USDC]
    t = b.traders[1].address
    c0, y0 = env.balance(t, 0), env.balance(t, yes)
    no3 = env.balance(b.traders[3].address, no)
    env.match(MatchV2(taker, makers, 180 * USDC, fills))
    spent = (55 + 100 - 42 + 60) * USDC
    fee = protocol_fee(RATE, EXP, 0, spent, 300 * USDC)
    assert env.balance(t, 0) == c0 - spent
    assert env.balance(t, yes) == y0 + 300 * USDC - fee
    assert env.balance(b.traders[3].address, no) == no3 + 100 * USDC
    assert env.balance(env.v2.address, 0) == 0
    assert env.status(taker) == (True, 0)  # the whole fill is consumed; the unused 7 came back


def test_paused_refuses_settlement_but_not_cancel(env: V2Env) -> None:
    b = env.base
    order = env.sell(2, b.market.yes, 10, 0.5)
    b.operator.transact(env.v2.functions.pauseTrading())
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(order), 1)) == "Paused"
    b.traders[2].transact(env.v2.functions.cancelOrder(order_v2_tuple(order)))
    assert env.status(order) == (True, 0)
    assert b.revert_name(env.v2.functions.fillOrder(order_v2_tuple(order), 1), b.outsider) == "NotOperator"
