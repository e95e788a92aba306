"""ExchangeV2 fixtures: the V1 exchange's funded environment, with the same markets registered on ExchangeV2 and
the CrossMatcher, and the traders approving both exchanges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chain.anvil import Anvil
from chain.exchange import Order, Side, order_tuple
from chain.exchange_v2 import MatchV2, order_v2_tuple
from chain.markets import fund_account
from chain.rpc import Signer, contract_at
from orders.v2 import OrderV2, sign_order_v2
from tests.integration.exchange.exchange_support import STOCK, USDC, ExchangeEnv, build_env
from tests.support.chain import Chain


@dataclass
class V2Env:
    base: ExchangeEnv
    v2: Any
    cross: Any
    salt: int = 5_000_000
    extra: dict[str, Any] = field(default_factory=dict)

    def order(self, who: int, token: int, side: Side, maker_amount: int, taker_amount: int, **kw: Any) -> OrderV2:
        """A signed V2 EOA order by trader ``who``; ``kw`` replaces fields before signing (``key`` signs)."""
        self.salt += 1
        key = kw.pop("key", self.base.keys[who])
        exchange = kw.pop("exchange", self.v2.address)
        maker = self.base.traders[who].address
        fields: dict[str, Any] = {
            "salt": self.salt,
            "maker": maker,
            "signer": maker,
            "token_id": token,
            "maker_amount": maker_amount,
            "taker_amount": taker_amount,
            "side": int(side),
            "timestamp": 1_765_000_000_000 + self.salt,
            "metadata": self.salt.to_bytes(32, "big"),
            "builder": b"\x01" * 32,
        }
        fields.update(kw)
        return sign_order_v2(OrderV2(**fields), key, self.base.chain_id, exchange)

    def buy(self, who: int, token: int, shares: float, price: float, **kw: Any) -> OrderV2:
        s = round(shares * USDC)
        return self.order(who, token, Side.BUY, round(s * price), s, **kw)

    def sell(self, who: int, token: int, shares: float, price: float, **kw: Any) -> OrderV2:
        s = round(shares * USDC)
        return self.order(who, token, Side.SELL, s, round(s * price), **kw)

    def match(self, m: MatchV2) -> Any:
        return self.base.operator.transact(self.v2.functions.matchOrders(*m.as_args()))

    def fill(self, order: OrderV2, amount: int) -> Any:
        return self.base.operator.transact(self.v2.functions.fillOrder(order_v2_tuple(order), amount))

    def cross_match(self, v1: Order, v1_fill: int, v2: OrderV2, v2_fill: int) -> Any:
        fn = self.cross.functions.matchCross(order_tuple(v1), v1_fill, order_v2_tuple(v2), v2_fill)
        return self.base.operator.transact(fn)

    def status(self, order: OrderV2) -> tuple[bool, int]:
        h = self.v2.functions.hashOrder(order_v2_tuple(order)).call()
        s = self.v2.functions.getOrderStatus(h).call()
        return bool(s[0]), int(s[1])

    def balance(self, who: str, asset: int) -> int:
        if asset == 0:
            return int(self.base.usdc.functions.balanceOf(who).call())
        return int(self.base.ctf.functions.balanceOf(who, asset).call())


def _setup(anvil: Anvil, chain: Chain) -> V2Env:
    base = build_env(anvil, chain.w3, chain.manifest.contracts)
    v2 = contract_at(chain.w3, "ExchangeV2", chain.manifest.contracts["exchange_v2"])
    cross = contract_at(chain.w3, "CrossMatcher", chain.manifest.contracts["cross_matcher"])
    op = base.operator
    for m in (base.market, base.other):
        op.transact(v2.functions.registerToken(m.yes, m.no, m.condition_id))
    for account in [op, *base.traders]:
        fund_account(op, account, base.usdc, base.ctf, v2.address, 0)
    # The cross matcher's float: collateral it fronts within a cross match (the operator funds it).
    op.transact(base.usdc.functions.mint(cross.address, STOCK))
    return V2Env(base, v2, cross)


@pytest.fixture(scope="package")
def v2_env_package(chain_session: Chain) -> Iterator[V2Env]:
    anvil = chain_session.anvil
    snap = anvil.snapshot()
    chain_session.deployer.nonce = None
    env = _setup(anvil, chain_session)
    try:
        yield env
    finally:
        anvil.revert(snap)
        chain_session.deployer.nonce = None


@pytest.fixture
def env(v2_env_package: V2Env) -> Iterator[V2Env]:
    anvil = v2_env_package.base.anvil
    snap = anvil.snapshot()
    try:
        yield v2_env_package
    finally:
        anvil.revert(snap)
        v2_env_package.base.reset_nonces()


__all__ = ["Signer", "V2Env"]
