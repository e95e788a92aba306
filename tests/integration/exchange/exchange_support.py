"""A deployed exchange with two registered markets and funded traders, plus helpers the exchange tests share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.anvil import Anvil, dev_key
from chain.exchange import ZERO_ADDRESS, Match, Order, Side, decode_revert, order_tuple, sign
from chain.markets import Market, fund_account, prepare_market
from chain.rpc import Signer, contract_at
from tests.integration.exchange.exchange_model import COLLATERAL, EXCHANGE, Fill, Ledger

USDC = 10**6
STOCK = 10_000 * USDC  # each trader starts with this much USDC, YES and NO of each market
TRADERS = 8  # dev accounts 1..8; 9 is an outsider with no role


@dataclass
class ExchangeEnv:
    anvil: Anvil
    w3: Web3
    operator: Signer
    exchange: Any
    usdc: Any
    ctf: Any
    market: Market
    other: Market
    traders: list[Signer]
    keys: list[str]
    outsider: Signer
    chain_id: int
    salt: int = 1_000_000
    signers: list[Signer] = field(default_factory=list)
    extra_holders: list[str] = field(default_factory=list)  # contract wallets whose balances tests follow

    # -- orders ----------------------------------------------------------------------------------------------
    def order(
        self,
        who: int,
        token: int,
        side: Side,
        maker_amount: int,
        taker_amount: int,
        fee: int = 0,
        *,
        sign_with: str | None = None,
        **overrides: Any,
    ) -> Order:
        """A signed EOA order by trader ``who``; ``overrides`` replace fields before signing."""
        self.salt += 1
        maker = self.traders[who].address
        fields: dict[str, Any] = {
            "salt": self.salt,
            "maker": maker,
            "signer": maker,
            "taker": ZERO_ADDRESS,
            "token_id": token,
            "maker_amount": maker_amount,
            "taker_amount": taker_amount,
            "expiration": 0,
            "nonce": 0,
            "fee_rate_bps": fee,
            "side": side,
        }
        fields.update(overrides)
        return sign(Order(**fields), sign_with or self.keys[who], self.chain_id, self.exchange.address)

    def buy(self, who: int, token: int, shares: float, price: float, fee: int = 0, **kw: Any) -> Order:
        """BUY ``shares`` at ``price``: maker = collateral, taker = shares (base units)."""
        s = round(shares * USDC)
        return self.order(who, token, Side.BUY, round(s * price), s, fee, **kw)

    def sell(self, who: int, token: int, shares: float, price: float, fee: int = 0, **kw: Any) -> Order:
        """SELL ``shares`` at ``price``: maker = shares, taker = collateral (base units)."""
        s = round(shares * USDC)
        return self.order(who, token, Side.SELL, s, round(s * price), fee, **kw)

    # -- calls -----------------------------------------------------------------------------------------------
    def match(self, m: Match) -> TxReceipt:
        return self.operator.transact(self.exchange.functions.matchOrders(*m.as_args()))

    def revert_name(self, fn: Any, sender: Signer | None = None) -> str:
        """Simulate ``fn`` from ``sender`` (default: the operator) and return the decoded error name."""
        who = sender or self.operator
        try:
            fn.call({"from": who.address})
        except Exception as exc:  # web3 raises several types; decode whatever revert data it carries
            from chain.exchange import revert_data

            return decode_revert(revert_data(exc)).name
        raise AssertionError("the call did not revert")

    # -- balances --------------------------------------------------------------------------------------------
    def holders(self) -> list[str]:
        return (
            [t.address for t in self.traders]
            + [self.operator.address, self.outsider.address, self.exchange.address]
            + list(self.extra_holders)
        )

    def assets(self) -> list[int]:
        return [COLLATERAL, self.market.yes, self.market.no, self.other.yes, self.other.no]

    def balances(self, holders: Iterable[str] | None = None) -> dict[tuple[str, int], int]:
        """Every (holder, asset) balance: USDC by holder, the four outcome tokens in one balanceOfBatch."""
        who = list(holders or self.holders())
        tokens = self.assets()[1:]
        owners = [h for h in who for _ in tokens]
        ids = [t for _ in who for t in tokens]
        with self.w3.batch_requests() as batch:
            for h in who:
                batch.add(self.usdc.functions.balanceOf(h))
            batch.add(self.ctf.functions.balanceOfBatch(owners, ids))
            results = batch.execute()
        out: dict[tuple[str, int], int] = {}
        for h, amount in zip(who, results[: len(who)], strict=True):
            out[(h.lower(), COLLATERAL)] = int(amount)
        for h, t, amount in zip(owners, ids, results[-1], strict=True):
            out[(h.lower(), t)] = int(amount)
        return out

    def ledger(self, balances: dict[tuple[str, int], int]) -> Ledger:
        """A model ledger starting from on-chain balances (the exchange's under EXCHANGE)."""
        ledger = Ledger()
        ex = self.exchange.address.lower()
        for (holder, asset), amount in balances.items():
            ledger.balances[(EXCHANGE.lower() if holder == ex else holder, asset)] = amount
        return ledger

    def complements(self) -> dict[int, int]:
        return {
            self.market.yes: self.market.no,
            self.market.no: self.market.yes,
            self.other.yes: self.other.no,
            self.other.no: self.other.yes,
        }

    def sets_moved(self, receipt: TxReceipt) -> tuple[int, int]:
        """(split, merged) full-set amounts in ``receipt``, from the CTF's events."""
        split = sum(
            int(e["args"]["amount"]) for e in self.ctf.events.PositionSplit().process_receipt(receipt, errors=DISCARD)
        )
        merged = sum(
            int(e["args"]["amount"]) for e in self.ctf.events.PositionsMerge().process_receipt(receipt, errors=DISCARD)
        )
        return split, merged

    def order_status(self, order: Order) -> tuple[bool, int]:
        h = self.exchange.functions.hashOrder(order_tuple(order)).call()
        status = self.exchange.functions.getOrderStatus(h).call()
        return bool(status[0]), int(status[1])

    def reset_nonces(self) -> None:
        for s in [self.operator, self.outsider, *self.traders]:
            s.nonce = None


def build_env(anvil: Anvil, w3: Web3, manifest_contracts: dict[str, str]) -> ExchangeEnv:
    operator = Signer.from_key(w3, dev_key(0))
    usdc = contract_at(w3, "MockUSDC", manifest_contracts["collateral"])
    ctf = contract_at(w3, "ConditionalTokens", manifest_contracts["ctf"])
    exchange = contract_at(w3, "Exchange", manifest_contracts["exchange"])
    market = prepare_market(operator, exchange, ctf, usdc.address, b"exchange-tests-a".ljust(32, b"\0"))
    other = prepare_market(operator, exchange, ctf, usdc.address, b"exchange-tests-b".ljust(32, b"\0"))
    keys = [dev_key(i + 1) for i in range(TRADERS)]
    traders = [Signer.from_key(w3, k) for k in keys]
    for account in [operator, *traders]:
        fund_account(operator, account, usdc, ctf, exchange.address, STOCK, STOCK, [market, other])
    outsider = Signer.from_key(w3, dev_key(9))
    return ExchangeEnv(
        anvil, w3, operator, exchange, usdc, ctf, market, other, traders, keys, outsider, int(w3.eth.chain_id)
    )


def assert_conserved(
    env: ExchangeEnv, before: dict[tuple[str, int], int], after: dict[tuple[str, int], int], receipt: TxReceipt
) -> None:
    """Collateral and each outcome token summed over every party, the operator and the exchange are conserved,
    with full sets split (collateral -> YES + NO) and merged (YES + NO -> collateral) accounted for."""
    split, merged = env.sets_moved(receipt)

    def total(b: dict[tuple[str, int], int], asset: int) -> int:
        return sum(v for (_, a), v in b.items() if a == asset)

    assert total(after, COLLATERAL) - total(before, COLLATERAL) == merged - split
    for asset in (env.market.yes, env.market.no):
        assert total(after, asset) - total(before, asset) == split - merged
    for asset in (env.other.yes, env.other.no):
        assert total(after, asset) == total(before, asset)
    ex = env.exchange.address.lower()
    for asset in env.assets():
        assert after[(ex, asset)] == before[(ex, asset)], "the exchange must not keep anything"


def assert_matches_model(
    env: ExchangeEnv, ledger: Ledger, after: dict[tuple[str, int], int], holders: Sequence[str] | None = None
) -> None:
    """Every holder's on-chain balances equal the model's (the exchange's included)."""
    ex = env.exchange.address.lower()
    for (holder, asset), amount in after.items():
        key = (EXCHANGE.lower() if holder == ex else holder, asset)
        assert ledger.balances[key] == amount, f"{holder} asset {asset}: chain {amount} != model {ledger.balances[key]}"


def filled_events(env: ExchangeEnv, receipt: TxReceipt) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in env.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)]


def assert_fill_events(env: ExchangeEnv, receipt: TxReceipt, orders: Sequence[Order], fills: Sequence[Fill]) -> None:
    """One OrderFilled per order with the model's amounts and fee, in order (makers first, then the taker)."""
    events = filled_events(env, receipt)
    assert len(events) == len(orders)
    for event, order, fill in zip(events, orders, fills, strict=True):
        assert event["orderHash"] == env.exchange.functions.hashOrder(order_tuple(order)).call()
        assert event["maker"] == Web3.to_checksum_address(order.maker)
        assert (event["makerAmountFilled"], event["takerAmountFilled"], event["fee"]) == (
            fill.making,
            fill.taking,
            fill.fee,
        )


def settle_and_check(
    env: ExchangeEnv, taker: Order, makers: Sequence[Order], taker_fill: int, maker_fills: Sequence[int]
) -> tuple[TxReceipt, Fill, list[Fill]]:
    """Settle a match on chain and check it against the CTFExchange model: every balance, conservation, the
    OrderFilled/OrdersMatched/FeeCharged events. Returns the receipt and the model's fills."""
    from tests.integration.exchange.exchange_model import model_match_orders

    before = env.balances()
    ledger = env.ledger(before)
    taker_fill_model, maker_fills_model = model_match_orders(
        ledger, taker, list(makers), taker_fill, list(maker_fills), env.operator.address, env.complements()
    )
    receipt = env.match(Match(taker, tuple(makers), taker_fill, tuple(maker_fills)))
    after = env.balances()
    assert_matches_model(env, ledger, after)
    assert_conserved(env, before, after, receipt)
    assert_fill_events(env, receipt, [*makers, taker], [*maker_fills_model, taker_fill_model])
    matched = [dict(e["args"]) for e in env.exchange.events.OrdersMatched().process_receipt(receipt, errors=DISCARD)]
    assert len(matched) == 1
    assert (matched[0]["makerAmountFilled"], matched[0]["takerAmountFilled"]) == (
        taker_fill_model.making,
        taker_fill_model.taking,
    )
    charged = [dict(e["args"]) for e in env.exchange.events.FeeCharged().process_receipt(receipt, errors=DISCARD)]
    expected_fees = [f.fee for f in [*maker_fills_model, taker_fill_model] if f.fee]
    assert [c["amount"] for c in charged] == expected_fees
    assert all(c["receiver"] == env.operator.address for c in charged)
    return receipt, taker_fill_model, maker_fills_model
