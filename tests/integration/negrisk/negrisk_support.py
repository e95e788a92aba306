"""A deployed neg-risk adapter and exchange with one event of three outcomes, plus helpers the tests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest
from chain.exchange import decode_revert, revert_data
from chain.markets import OnchainEvent, OnchainMarket, approve_neg_risk, create_event
from chain.rpc import Signer, contract_at

USDC = 10**6
BURN = "0x000000000000000000000000000000000000dEaD"
TRADERS = 4  # dev accounts 1..4; the deployer (account 0) is the event's oracle and the exchange operator
OUTSIDER = 9


@dataclass
class NegRiskEnv:
    anvil: Anvil
    w3: Web3
    manifest: Manifest
    admin: Signer
    usdc: Any
    ctf: Any
    adapter: Any
    exchange: Any
    wcol: Any
    event: OnchainEvent
    traders: list[Signer]
    keys: list[str]
    outsider: Signer
    markets: list[OnchainMarket] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.markets:
            self.markets = list(self.event.markets)

    @property
    def event_id(self) -> bytes:
        return bytes.fromhex(self.event.event_id[2:])

    def condition(self, i: int) -> bytes:
        return bytes.fromhex(self.markets[i].condition_id[2:])

    def question(self, i: int) -> bytes:
        return bytes.fromhex(self.markets[i].question_id[2:])

    def yes(self, i: int) -> int:
        return self.markets[i].yes_token

    def no(self, i: int) -> int:
        return self.markets[i].no_token

    def usdc_of(self, who: str) -> int:
        return int(self.usdc.functions.balanceOf(who).call())

    def tokens_of(self, who: str, ids: list[int]) -> list[int]:
        return [int(x) for x in self.ctf.functions.balanceOfBatch([who] * len(ids), ids).call()]

    def split(self, who: Signer, i: int, amount: int) -> Any:
        fn = self.adapter.get_function_by_signature("splitPosition(bytes32,uint256)")
        return who.transact(fn(self.condition(i), amount))

    def merge(self, who: Signer, i: int, amount: int) -> Any:
        fn = self.adapter.get_function_by_signature("mergePositions(bytes32,uint256)")
        return who.transact(fn(self.condition(i), amount))

    def convert(self, who: Signer, index_set: int, amount: int) -> Any:
        return who.transact(self.adapter.functions.convertPositions(self.event_id, index_set, amount))

    def redeem(self, who: Signer, i: int, yes: int, no: int) -> Any:
        return who.transact(self.adapter.functions.redeemPositions(self.condition(i), [yes, no]))

    def outcome_count(self) -> int:
        return int(self.adapter.functions.getEvent(self.event_id).call()[1])

    def revert_name(self, fn: Any, sender: Signer) -> str:
        """Simulate ``fn`` from ``sender`` and return the error's name: an adapter or exchange custom error,
        ``Error`` (a require message) or ``unknown``."""
        try:
            fn.call({"from": sender.address})
        except Exception as exc:  # web3 raises several types; decode whatever revert data it carries
            return decode_revert(revert_data(exc)).name
        raise AssertionError("the call did not revert")

    def reset_nonces(self) -> None:
        for s in [self.admin, self.outsider, *self.traders]:
            s.nonce = None


def build_env(anvil: Anvil, w3: Web3, manifest: Manifest, stock: int = 1_000 * USDC) -> NegRiskEnv:
    """One event of three outcomes created by the deployer; each trader holds ``stock`` USDC and has approved the
    adapter and the neg-risk exchange."""
    admin = Signer.from_key(w3, dev_key(0))
    usdc = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
    ctf = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
    adapter = contract_at(w3, "NegRiskAdapter", manifest.contracts["neg_risk_adapter"])
    exchange = contract_at(w3, "NegRiskExchange", manifest.contracts["neg_risk_exchange"])
    wcol = contract_at(w3, "WrappedCollateral", adapter.functions.getWrappedCollateral().call())
    event = create_event(admin, manifest, ["Alice", "Bob", "Carol"], title="Who wins the test election?")
    keys = [dev_key(i + 1) for i in range(TRADERS)]
    traders = [Signer.from_key(w3, k) for k in keys]
    for t in [admin, *traders]:
        admin.transact(usdc.functions.mint(t.address, stock))
        approve_neg_risk(t, manifest)
    outsider = Signer.from_key(w3, dev_key(OUTSIDER))
    return NegRiskEnv(anvil, w3, manifest, admin, usdc, ctf, adapter, exchange, wcol, event, traders, keys, outsider)
