"""Smart-wallet makers on chain: proxy wallets (POLY_PROXY), Safes (POLY_GNOSIS_SAFE) and EIP-1271 contracts
(POLY_1271), settled through matchOrders with every balance checked against the CTFExchange model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.logs import DISCARD

from chain.exchange import Order, SignatureType, order_tuple
from chain.rpc import Signer, contract_at
from chain.wallets import WalletFactories, ensure_wallet_funded, ensure_wallets, wallet_calls
from tests.integration.exchange.exchange_support import STOCK, USDC, ExchangeEnv, settle_and_check
from tests.support.chain import Chain

PROXY_OWNER, SAFE_OWNER, EOA_TRADER, STRANGER, SIGNER_1271 = 3, 4, 5, 6, 7


@dataclass
class Wallets:
    proxy: str  # trader PROXY_OWNER's proxy wallet
    safe: str  # trader SAFE_OWNER's Safe
    contracts: dict[str, str]


def _contracts(env: ExchangeEnv, chain_session: Chain) -> dict[str, str]:
    return {**chain_session.manifest.contracts, "exchange": env.exchange.address}


@pytest.fixture
def wallets(env: ExchangeEnv, chain_session: Chain) -> Wallets:
    """A funded, approved proxy wallet (owner: trader 3) and Safe (owner: trader 4): STOCK USDC and STOCK YES and
    NO of both markets each."""
    contracts = _contracts(env, chain_session)
    split = {"0x" + m.condition_id.hex(): STOCK for m in (env.market, env.other)}
    proxy = ensure_wallets(env.operator, env.traders[PROXY_OWNER].address, contracts)["proxy"]
    safe = ensure_wallets(env.operator, env.traders[SAFE_OWNER].address, contracts)["safe"]
    ensure_wallet_funded(env.operator, env.traders[PROXY_OWNER], "proxy", proxy, contracts, STOCK, split)
    ensure_wallet_funded(env.operator, env.traders[SAFE_OWNER], "safe", safe, contracts, STOCK, split)
    env.extra_holders += [proxy, safe]
    return Wallets(proxy, safe, contracts)


def wallet_order(
    env: ExchangeEnv,
    who: int,
    wallet: str,
    sig_type: int,
    side: str,
    token: int,
    shares: float,
    price: float,
    **kw: Any,
) -> Order:
    """An order with ``wallet`` as maker, signed by trader ``who`` (its signer) with signature type ``sig_type``."""
    make = env.buy if side == "BUY" else env.sell
    return make(who, token, shares, price, maker=wallet, signature_type=sig_type, **kw)


def test_exchange_derives_the_factories_wallet_addresses(env: ExchangeEnv, chain_session: Chain) -> None:
    contracts = _contracts(env, chain_session)
    factories = WalletFactories.read(env.w3, contracts)
    proxy_factory: Any = contract_at(env.w3, "ProxyWalletFactory", contracts["proxy_factory"])
    safe_factory: Any = contract_at(env.w3, "SafeWalletFactory", contracts["safe_factory"])
    ex = env.exchange.functions
    assert ex.getProxyFactory().call() == contracts["proxy_factory"]
    assert ex.getSafeFactory().call() == contracts["safe_factory"]
    assert ex.getPolyProxyFactoryImplementation().call() == proxy_factory.functions.getImplementation().call()
    assert ex.getSafeFactoryImplementation().call() == contracts["safe_singleton"]
    for trader in env.traders[:4]:
        owner = trader.address
        proxy = proxy_factory.functions.walletOf(owner).call()
        assert ex.getPolyProxyWalletAddress(owner).call() == proxy == factories.proxy_of(owner)
        safe = safe_factory.functions.computeProxyAddress(owner).call()
        assert ex.getSafeAddress(owner).call() == safe == factories.safe_of(owner)
        # The API's derivation (orders.wallets, no chain) is the same.
        rules = factories.rules()
        assert (rules.proxy_of(owner), rules.safe_of(owner)) == (proxy.lower(), safe.lower())
    # The deployed wallets are where the factories said, owned by their owner.
    owner = env.traders[0]
    created = ensure_wallets(env.operator, owner.address, contracts)
    assert created == {"proxy": factories.proxy_of(owner.address), "safe": factories.safe_of(owner.address)}
    assert contract_at(env.w3, "ProxyWallet", created["proxy"]).functions.owner().call() == owner.address
    assert contract_at(env.w3, "Safe", created["safe"]).functions.getOwners().call() == [owner.address]


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=st.binary(min_size=20, max_size=20))
def test_api_and_contract_derive_the_same_wallet_of_any_owner(
    env: ExchangeEnv, chain_session: Chain, owner: bytes
) -> None:
    """orders.wallets (what the API checks, no chain) agrees with the exchange contract for any owner address."""
    rules = WalletFactories.read(env.w3, _contracts(env, chain_session)).rules()
    address = Web3.to_checksum_address(owner)
    ex = env.exchange.functions
    assert rules.proxy_of(address) == ex.getPolyProxyWalletAddress(address).call().lower()
    assert rules.safe_of(address) == ex.getSafeAddress(address).call().lower()


def test_proxy_and_safe_orders_cross_each_other_and_an_eoa(env: ExchangeEnv, wallets: Wallets) -> None:
    yes, no = env.market.yes, env.market.no
    # COMPLEMENTARY: the proxy wallet buys YES from the Safe and from an EOA.
    taker = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_PROXY, "BUY", yes, 100, 0.60, fee=100)
    safe_ask = wallet_order(env, SAFE_OWNER, wallets.safe, SignatureType.POLY_GNOSIS_SAFE, "SELL", yes, 60, 0.60)
    eoa_ask = env.sell(EOA_TRADER, yes, 40, 0.60, fee=100)
    receipt, _, _ = settle_and_check(env, taker, [safe_ask, eoa_ask], 60 * USDC, [60 * USDC, 40 * USDC])
    fills = env.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert [f["args"]["maker"] for f in fills] == [wallets.safe, env.traders[EOA_TRADER].address, wallets.proxy]
    # MINT: the Safe buys NO against the proxy wallet's YES bid; MERGE: both sell back.
    taker = wallet_order(env, SAFE_OWNER, wallets.safe, SignatureType.POLY_GNOSIS_SAFE, "BUY", no, 50, 0.45)
    maker = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_PROXY, "BUY", yes, 50, 0.55)
    settle_and_check(env, taker, [maker], taker.maker_amount, [maker.maker_amount])
    taker = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_PROXY, "SELL", yes, 30, 0.50)
    makers = [
        wallet_order(env, SAFE_OWNER, wallets.safe, SignatureType.POLY_GNOSIS_SAFE, "SELL", no, 20, 0.50),
        env.sell(EOA_TRADER, no, 10, 0.50),
    ]
    settle_and_check(env, taker, makers, 30 * USDC, [20 * USDC, 10 * USDC])


def test_fill_order_with_wallet_makers(env: ExchangeEnv, wallets: Wallets) -> None:
    before = env.balances()
    order = wallet_order(env, SAFE_OWNER, wallets.safe, SignatureType.POLY_GNOSIS_SAFE, "SELL", env.market.yes, 10, 0.5)
    env.operator.transact(env.exchange.functions.fillOrder(order_tuple(order), order.maker_amount))
    after = env.balances()
    safe = wallets.safe.lower()
    assert after[(safe, env.market.yes)] == before[(safe, env.market.yes)] - 10 * USDC
    assert after[(safe, 0)] == before[(safe, 0)] + 5 * USDC


@pytest.mark.parametrize("sig_type", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_order_naming_a_wallet_the_signer_does_not_own_reverts(
    env: ExchangeEnv, wallets: Wallets, sig_type: int
) -> None:
    wallet = wallets.proxy if sig_type == SignatureType.POLY_PROXY else wallets.safe
    # The stranger signs (validly, as itself) an order that spends someone else's wallet.
    stolen = wallet_order(env, STRANGER, wallet, sig_type, "SELL", env.market.yes, 10, 0.5)
    assert env.revert_name(env.exchange.functions.fillOrder(order_tuple(stolen), stolen.maker_amount)) == (
        "InvalidSignature"
    )
    honest_taker = env.buy(EOA_TRADER, env.market.yes, 10, 0.5)
    fn = env.exchange.functions.matchOrders(order_tuple(honest_taker), [order_tuple(stolen)], 5 * USDC, [10 * USDC])
    assert env.revert_name(fn) == "InvalidSignature"


def test_wallet_orders_of_the_wrong_type_revert(env: ExchangeEnv, wallets: Wallets) -> None:
    # The owner's own Safe named as a proxy wallet and its proxy wallet named as a Safe.
    a = wallet_order(env, SAFE_OWNER, wallets.safe, SignatureType.POLY_PROXY, "SELL", env.market.yes, 10, 0.5)
    b = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_GNOSIS_SAFE, "SELL", env.market.yes, 10, 0.5)
    # The owner's wallet and type, but the signature is another key's.
    c = wallet_order(
        env,
        PROXY_OWNER,
        wallets.proxy,
        SignatureType.POLY_PROXY,
        "SELL",
        env.market.yes,
        10,
        0.5,
        sign_with=env.keys[STRANGER],
    )
    for order in (a, b, c):
        assert env.revert_name(env.exchange.functions.validateOrder(order_tuple(order))) == "InvalidSignature"


def test_wallets_need_not_be_deployed_to_sign(env: ExchangeEnv, chain_session: Chain) -> None:
    """No registry: an order of a wallet that does not exist yet passes the signature check (it fails later only
    for want of funds)."""
    factories = WalletFactories.read(env.w3, _contracts(env, chain_session))
    owner = env.traders[1].address
    proxy_order = wallet_order(
        env, 1, factories.proxy_of(owner), SignatureType.POLY_PROXY, "BUY", env.market.yes, 10, 0.5
    )
    safe_order = wallet_order(
        env, 1, factories.safe_of(owner), SignatureType.POLY_GNOSIS_SAFE, "BUY", env.market.yes, 10, 0.5
    )
    for order in (proxy_order, safe_order):
        assert not env.w3.eth.get_code(order.maker)
        env.exchange.functions.validateOrder(order_tuple(order)).call()


def test_wallet_owner_cancels_through_the_wallet(env: ExchangeEnv, wallets: Wallets) -> None:
    order = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_PROXY, "SELL", env.market.yes, 10, 0.5)
    # The owner EOA is not the maker: cancelling directly is refused, through the wallet it works.
    assert (
        env.revert_name(env.exchange.functions.cancelOrder(order_tuple(order)), env.traders[PROXY_OWNER]) == "NotOwner"
    )
    data = bytes.fromhex(env.exchange.functions.cancelOrder(order_tuple(order))._encode_transaction_data()[2:])
    wallet_calls(env.traders[PROXY_OWNER], "proxy", wallets.proxy, [(env.exchange.address, data)])
    assert env.order_status(order) == (True, 0)


def test_factories_are_admin_settable_with_events(env: ExchangeEnv, wallets: Wallets) -> None:
    ex = env.exchange.functions
    proxy_factory, safe_factory = ex.getProxyFactory().call(), ex.getSafeFactory().call()
    assert env.revert_name(ex.setProxyFactory(env.outsider.address), env.outsider) == "NotAdmin"
    assert env.revert_name(ex.setSafeFactory(env.outsider.address), env.outsider) == "NotAdmin"
    order = wallet_order(env, PROXY_OWNER, wallets.proxy, SignatureType.POLY_PROXY, "SELL", env.market.yes, 10, 0.5)
    safe_order = wallet_order(
        env, SAFE_OWNER, wallets.safe, SignatureType.POLY_GNOSIS_SAFE, "SELL", env.market.yes, 10, 0.5
    )
    zero = "0x" + "00" * 20
    receipt = env.operator.transact(ex.setProxyFactory(zero))
    (event,) = env.exchange.events.ProxyFactoryUpdated().process_receipt(receipt, errors=DISCARD)
    assert (event["args"]["oldProxyFactory"], event["args"]["newProxyFactory"]) == (proxy_factory, zero)
    receipt = env.operator.transact(ex.setSafeFactory(zero))
    (event,) = env.exchange.events.SafeFactoryUpdated().process_receipt(receipt, errors=DISCARD)
    assert (event["args"]["oldSafeFactory"], event["args"]["newSafeFactory"]) == (safe_factory, zero)
    # Without factories no wallet order passes; set back, they do again.
    for o in (order, safe_order):
        assert env.revert_name(ex.validateOrder(order_tuple(o))) == "InvalidSignature"
    env.operator.transact(ex.setProxyFactory(proxy_factory))
    env.operator.transact(ex.setSafeFactory(safe_factory))
    for o in (order, safe_order):
        ex.validateOrder(order_tuple(o)).call()


# -- EIP-1271 ------------------------------------------------------------------------------------------------


def _erc1271_wallet(env: ExchangeEnv, chain_session: Chain, owner: Signer) -> str:
    """A funded ERC1271Wallet owned by ``owner`` (it accepts exactly its owner's signatures)."""
    wallet = owner.deploy("ERC1271Wallet", owner.address).address
    contracts = _contracts(env, chain_session)
    split = {"0x" + env.market.condition_id.hex(): STOCK}
    ensure_wallet_funded(env.operator, owner, "proxy", wallet, contracts, STOCK, split)
    env.extra_holders.append(wallet)
    return str(wallet)


def test_erc1271_wallet_that_says_yes_settles(env: ExchangeEnv, chain_session: Chain) -> None:
    owner = env.traders[SIGNER_1271]
    wallet = _erc1271_wallet(env, chain_session, owner)
    # POLY_1271: the contract is maker and signer; it checks the owner's signature itself.
    maker = env.sell(
        SIGNER_1271, env.market.yes, 50, 0.6, maker=wallet, signer=wallet, signature_type=SignatureType.POLY_1271
    )
    taker = env.buy(EOA_TRADER, env.market.yes, 50, 0.6)
    settle_and_check(env, taker, [maker], taker.maker_amount, [maker.maker_amount])


def test_erc1271_wallet_that_says_no_reverts(env: ExchangeEnv, chain_session: Chain) -> None:
    owner = env.traders[SIGNER_1271]
    wallet = _erc1271_wallet(env, chain_session, owner)
    refused = env.sell(
        SIGNER_1271,
        env.market.yes,
        50,
        0.6,
        maker=wallet,
        signer=wallet,
        signature_type=SignatureType.POLY_1271,
        sign_with=env.keys[STRANGER],
    )
    taker = env.buy(EOA_TRADER, env.market.yes, 50, 0.6)
    fn = env.exchange.functions.matchOrders(
        order_tuple(taker), [order_tuple(refused)], taker.maker_amount, [refused.maker_amount]
    )
    assert env.revert_name(fn) == "InvalidSignature"
    # Signer and maker must be the same contract; an EOA maker has no isValidSignature.
    other = env.sell(SIGNER_1271, env.market.yes, 50, 0.6, maker=wallet, signature_type=SignatureType.POLY_1271)
    eoa = env.sell(SIGNER_1271, env.market.yes, 50, 0.6, signature_type=SignatureType.POLY_1271)
    for order in (other, eoa):
        assert env.revert_name(env.exchange.functions.validateOrder(order_tuple(order))) == "InvalidSignature"
