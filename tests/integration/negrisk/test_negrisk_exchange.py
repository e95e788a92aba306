"""The neg-risk exchange on a real anvil chain: orders signed for its own EIP-712 domain settle one outcome's
tokens as COMPLEMENTARY, MINT (split through the adapter) and MERGE (merge through the adapter) matches."""

from __future__ import annotations

import itertools

import pytest
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from chain.build import load_artifact
from chain.exchange import (
    ERRORS_BY_SELECTOR,
    ZERO_ADDRESS,
    Match,
    Order,
    Side,
    decode_revert,
    domain_separator,
    revert_data,
    sign,
)
from chain.markets import fund_event_trader
from tests.integration.negrisk.negrisk_support import USDC, NegRiskEnv

_SALTS = itertools.count(1)
SHARES = 100 * USDC
P_YES = 60 * USDC  # 100 shares at 0.60
P_NO = 40 * USDC  # 100 shares at 0.40


def _order(nr: NegRiskEnv, who: int, token: int, side: Side, maker: int, taker: int, *, exchange: str = "") -> Order:
    address = nr.traders[who].address
    order = Order(
        salt=next(_SALTS),
        maker=address,
        signer=address,
        taker=ZERO_ADDRESS,
        token_id=token,
        maker_amount=maker,
        taker_amount=taker,
        expiration=0,
        nonce=0,
        fee_rate_bps=0,
        side=side,
    )
    return sign(order, nr.keys[who], int(nr.w3.eth.chain_id), exchange or nr.exchange.address)


def _match(nr: NegRiskEnv, m: Match) -> object:
    return nr.admin.transact(nr.exchange.functions.matchOrders(*m.as_args()))


def _snapshot(nr: NegRiskEnv, who: list[str], ids: list[int]) -> dict[str, list[int]]:
    return {w: [nr.usdc_of(w), *nr.tokens_of(w, ids)] for w in who}


def test_domain_is_its_own(nr: NegRiskEnv) -> None:
    chain_id = int(nr.w3.eth.chain_id)
    separator = bytes(nr.exchange.functions.domainSeparator().call())
    assert separator == domain_separator(chain_id, nr.exchange.address)
    binary = nr.manifest.contracts["exchange"]
    assert separator != domain_separator(chain_id, binary)
    assert nr.exchange.functions.getNegRiskAdapter().call() == nr.adapter.address
    assert nr.exchange.functions.getCtf().call() == nr.ctf.address
    assert nr.exchange.functions.isOperator(nr.admin.address).call()


def test_order_signed_for_the_binary_exchange_is_refused(nr: NegRiskEnv) -> None:
    nr.split(nr.traders[0], 0, SHARES)
    binary = nr.manifest.contracts["exchange"]
    taker = _order(nr, 1, nr.yes(0), Side.BUY, P_YES, SHARES, exchange=binary)
    maker = _order(nr, 0, nr.yes(0), Side.SELL, SHARES, P_YES)
    fn = nr.exchange.functions.matchOrders(*Match(taker, (maker,), P_YES, (SHARES,)).as_args())
    assert nr.revert_name(fn, nr.admin) == "InvalidSignature"


def test_complementary_match(nr: NegRiskEnv) -> None:
    seller, buyer = nr.traders[0], nr.traders[1]
    funded = nr.usdc_of(seller.address)
    fund_event_trader(nr.admin, seller, nr.manifest, 5 * USDC, {nr.event.markets[0].condition_id: SHARES})
    assert nr.usdc_of(seller.address) == funded + 5 * USDC  # the split's collateral minted on top
    ids = [nr.yes(0), nr.no(0)]
    before = _snapshot(nr, [seller.address, buyer.address], ids)
    taker = _order(nr, 1, nr.yes(0), Side.BUY, P_YES, SHARES)
    maker = _order(nr, 0, nr.yes(0), Side.SELL, SHARES, P_YES)
    receipt = _match(nr, Match(taker, (maker,), P_YES, (SHARES,)))
    after = _snapshot(nr, [seller.address, buyer.address], ids)
    assert after[seller.address] == [before[seller.address][0] + P_YES, 0, SHARES]
    assert after[buyer.address] == [before[buyer.address][0] - P_YES, SHARES, 0]
    assert len(nr.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)) == 2


def test_mint_match_splits_through_the_adapter(nr: NegRiskEnv) -> None:
    yes_buyer, no_buyer = nr.traders[1], nr.traders[2]
    ids = [nr.yes(0), nr.no(0)]
    before = _snapshot(nr, [yes_buyer.address, no_buyer.address], ids)
    pool = nr.usdc_of(nr.adapter.address)
    taker = _order(nr, 1, nr.yes(0), Side.BUY, P_YES, SHARES)
    maker = _order(nr, 2, nr.no(0), Side.BUY, P_NO, SHARES)
    receipt = _match(nr, Match(taker, (maker,), P_YES, (P_NO,)))
    after = _snapshot(nr, [yes_buyer.address, no_buyer.address], ids)
    assert after[yes_buyer.address] == [before[yes_buyer.address][0] - P_YES, SHARES, 0]
    assert after[no_buyer.address] == [before[no_buyer.address][0] - P_NO, 0, SHARES]
    assert nr.usdc_of(nr.adapter.address) == pool + SHARES  # the full sets' collateral sits in the adapter
    (split,) = nr.adapter.events.PositionSplit().process_receipt(receipt, errors=DISCARD)
    assert split["args"]["stakeholder"] == nr.exchange.address
    assert split["args"]["amount"] == SHARES
    assert nr.usdc_of(nr.exchange.address) == 0
    assert nr.tokens_of(nr.exchange.address, ids) == [0, 0]
    assert nr.tokens_of(nr.adapter.address, ids) == [0, 0]


def test_merge_match_merges_through_the_adapter(nr: NegRiskEnv) -> None:
    yes_seller, no_seller = nr.traders[0], nr.traders[3]
    nr.split(yes_seller, 1, SHARES)
    nr.split(no_seller, 1, SHARES)
    ids = [nr.yes(1), nr.no(1)]
    before = _snapshot(nr, [yes_seller.address, no_seller.address], ids)
    pool = nr.usdc_of(nr.adapter.address)
    taker = _order(nr, 0, nr.yes(1), Side.SELL, SHARES, P_YES)
    maker = _order(nr, 3, nr.no(1), Side.SELL, SHARES, P_NO)
    receipt = _match(nr, Match(taker, (maker,), SHARES, (SHARES,)))
    after = _snapshot(nr, [yes_seller.address, no_seller.address], ids)
    assert after[yes_seller.address] == [before[yes_seller.address][0] + P_YES, 0, SHARES]
    assert after[no_seller.address] == [before[no_seller.address][0] + P_NO, SHARES, 0]
    assert nr.usdc_of(nr.adapter.address) == pool - SHARES
    (merge,) = nr.adapter.events.PositionsMerge().process_receipt(receipt, errors=DISCARD)
    assert merge["args"]["stakeholder"] == nr.exchange.address
    assert nr.usdc_of(nr.exchange.address) == 0
    assert nr.tokens_of(nr.exchange.address, ids) == [0, 0]


def test_adapter_mismatch_is_refused(nr: NegRiskEnv) -> None:
    """The exchange is bound to its adapter's collateral and conditional tokens."""
    other_usdc = nr.admin.deploy("MockUSDC", nr.admin.address)
    artifact = load_artifact("NegRiskExchange")
    factory = nr.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    zero = "0x" + "00" * 20  # no wallet factories
    constructor = factory.constructor(other_usdc.address, nr.ctf.address, nr.adapter.address, zero, zero)
    with pytest.raises(ContractLogicError) as info:
        constructor.estimate_gas({"from": nr.admin.address})
    assert decode_revert(revert_data(info.value)).name == "AdapterMismatch"


def test_every_neg_risk_error_decodes() -> None:
    """The settlement side names every revert of the neg-risk exchange and of the adapter a match can reach."""
    known = set(ERRORS_BY_SELECTOR.values())
    for name in ("NegRiskExchange", "NegRiskAdapter", "WrappedCollateral"):
        abi = load_artifact(name)["abi"]
        errors = {f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in abi if e["type"] == "error"}
        assert errors <= known, f"{name}: {sorted(errors - known)}"
