"""Smart-wallet traders on the local chain: the proxy-wallet and Safe factories, wallet addresses, demo wallets.

Polymarket's traders mostly trade from a contract wallet owned by their EOA: a proxy wallet (signature type
POLY_PROXY = 1) or a Gnosis Safe (POLY_GNOSIS_SAFE = 2). The order's ``maker`` is the wallet (it holds the funds),
its ``signer`` the owner EOA, and the exchange accepts the pair when the wallet is the CREATE2 address its factory
gives the owner:

- proxy wallet: deployer ``ProxyWalletFactory``, salt keccak256(owner's 20 bytes), init code the EIP-1167 clone of
  the factory's ``getImplementation()`` (``contracts/src/wallets``);
- Safe: deployer ``SafeWalletFactory``, salt keccak256(abi.encode(owner)), init code
  ``proxyCreationCode() ‖ abi.encode(masterCopy())`` (``contracts/safe``; the Safe itself is the
  ``@safe-global/safe-smart-account`` package's).

``deploy_factories`` deploys both factories (and the Safe singleton and fallback handler) before the exchange, whose
constructor takes the two factories; ``proxy_wallet_address`` / ``safe_address`` derive a wallet from its owner as
the exchange does; ``ensure_wallet_funded`` creates an owner's two wallets and gives them collateral, YES and NO of
markets and the exchange's approvals (``make run``'s demo wallets, ``demo_wallets``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.logs import DISCARD

from chain.markets import position_ids
from chain.rpc import Signer, TxRevertedError, contract_at
from orders.wallets import WalletRules, create2_address, proxy_init_code_hash, safe_init_code_hash

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\x00" * 32
UNLIMITED = 2**256 - 1
# Gas for each wallet call sent without estimation (later calls depend on earlier ones not yet mined).
WALLET_CALL_GAS = 600_000


def proxy_wallet_address(factory: str, implementation: str, owner: str) -> str:
    """The proxy wallet ``factory`` deploys for ``owner`` (= the exchange's ``getPolyProxyWalletAddress``)."""
    salt = keccak(bytes.fromhex(owner[2:]))
    return to_checksum_address(create2_address(factory, salt, proxy_init_code_hash(implementation)))


def safe_address(factory: str, init_code_hash: bytes, owner: str) -> str:
    """The Safe ``factory`` deploys for ``owner`` (= the exchange's ``getSafeAddress``)."""
    salt = keccak(bytes(12) + bytes.fromhex(owner[2:]))
    return to_checksum_address(create2_address(factory, salt, init_code_hash))


def deploy_factories(signer: Signer) -> dict[str, str]:
    """Deploy the proxy-wallet factory (with its wallet implementation), the Safe singleton, its fallback handler
    and the Safe factory; returns their addresses under the manifest's names."""
    proxy_factory = signer.deploy("ProxyWalletFactory")
    singleton = signer.deploy("Safe")
    handler = signer.deploy("CompatibilityFallbackHandler")
    safe_factory = signer.deploy("SafeWalletFactory", singleton.address, handler.address)
    return {
        "proxy_factory": str(proxy_factory.address),
        "safe_factory": str(safe_factory.address),
        "safe_singleton": str(singleton.address),
        "safe_fallback_handler": str(handler.address),
    }


@dataclass(frozen=True, slots=True)
class WalletFactories:
    """The two factories of a deployment and what deriving a wallet address needs from each."""

    proxy_factory: str
    proxy_implementation: str
    safe_factory: str
    safe_init_code_hash: bytes

    @classmethod
    def read(cls, w3: Web3, contracts: dict[str, str]) -> WalletFactories:
        """Ask the deployed factories (``contracts`` is a manifest's) for their implementation and code."""
        proxy: Any = contract_at(w3, "ProxyWalletFactory", contracts["proxy_factory"])
        safe: Any = contract_at(w3, "SafeWalletFactory", contracts["safe_factory"])
        code = bytes(safe.functions.proxyCreationCode().call())
        return cls(
            proxy_factory=to_checksum_address(contracts["proxy_factory"]),
            proxy_implementation=to_checksum_address(proxy.functions.getImplementation().call()),
            safe_factory=to_checksum_address(contracts["safe_factory"]),
            safe_init_code_hash=safe_init_code_hash(code, safe.functions.masterCopy().call()),
        )

    def proxy_of(self, owner: str) -> str:
        return proxy_wallet_address(self.proxy_factory, self.proxy_implementation, owner)

    def safe_of(self, owner: str) -> str:
        return safe_address(self.safe_factory, self.safe_init_code_hash, owner)

    def rules(self) -> WalletRules:
        """The same derivation for the order verifier (``orders.wallets``), which needs no chain."""
        return WalletRules(
            self.proxy_factory,
            proxy_init_code_hash(self.proxy_implementation),
            self.safe_factory,
            self.safe_init_code_hash,
        )


def safe_owner_signature(owner: str) -> bytes:
    """A Safe "pre-validated" signature: valid for a Safe transaction sent by ``owner`` itself (v = 1)."""
    return bytes(12) + bytes.fromhex(owner[2:]) + ZERO32 + b"\x01"


def send_wallet_calls(owner: Signer, kind: str, wallet: str, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
    """Send ``calls`` ((to, calldata)) from ``owner``'s wallet without waiting: one ``execute`` for a proxy wallet,
    one ``execTransaction`` each for a Safe. Returns the transaction hashes for ``wait_wallet_calls``."""
    if not calls:
        return []
    w3 = owner.w3
    if kind == "proxy":
        proxy: Any = contract_at(w3, "ProxyWallet", wallet)
        fns = [proxy.functions.execute([(to, 0, data) for to, data in calls])]
    else:
        safe: Any = contract_at(w3, "Safe", wallet)
        signature = safe_owner_signature(owner.address)
        fns = [
            safe.functions.execTransaction(to, 0, data, 0, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, signature)
            for to, data in calls
        ]
    gas = WALLET_CALL_GAS * len(calls) if kind == "proxy" else WALLET_CALL_GAS
    return [_send(owner, fn, gas) for fn in fns]


def wait_wallet_calls(owner: Signer, wallet: str, hashes: Sequence[bytes]) -> None:
    """Wait for wallet transactions; raise ``TxRevertedError`` if one, or a Safe's inner call, failed."""
    safe: Any = contract_at(owner.w3, "Safe", wallet)
    for tx_hash in hashes:
        receipt = owner.wait(tx_hash)
        # A Safe transaction whose inner call fails still succeeds, with an ExecutionFailure event.
        if safe.events.ExecutionFailure().process_receipt(receipt, errors=DISCARD):
            raise TxRevertedError(f"a call of Safe {wallet} failed (transaction 0x{tx_hash.hex()})")


def wallet_calls(owner: Signer, kind: str, wallet: str, calls: Sequence[tuple[str, bytes]]) -> None:
    """Make ``calls`` ((to, calldata)) from ``owner``'s ``kind`` ("proxy" or "safe") wallet and wait for them."""
    wait_wallet_calls(owner, wallet, send_wallet_calls(owner, kind, wallet, calls))


def ensure_wallets(admin: Signer, owner: str, contracts: dict[str, str]) -> dict[str, str]:
    """Deploy ``owner``'s proxy wallet and Safe if they do not exist yet; returns {"proxy": ..., "safe": ...}."""
    wallets, hashes = _send_creations(admin, owner, contracts)
    for tx_hash in hashes:
        admin.wait(tx_hash)
    return wallets


def _send_creations(admin: Signer, owner: str, contracts: dict[str, str]) -> tuple[dict[str, str], list[bytes]]:
    w3 = admin.w3
    factories = WalletFactories.read(w3, contracts)
    wallets = {"proxy": factories.proxy_of(owner), "safe": factories.safe_of(owner)}
    hashes = []
    if not w3.eth.get_code(Web3.to_checksum_address(wallets["proxy"])):
        proxy_factory: Any = contract_at(w3, "ProxyWalletFactory", contracts["proxy_factory"])
        hashes.append(_send(admin, proxy_factory.functions.createWallet(owner)))
    if not w3.eth.get_code(Web3.to_checksum_address(wallets["safe"])):
        safe_factory: Any = contract_at(w3, "SafeWalletFactory", contracts["safe_factory"])
        hashes.append(_send(admin, safe_factory.functions.createSafe(owner)))
    return wallets, hashes


@dataclass(frozen=True, slots=True)
class FundingPlan:
    """What a wallet lacks of its targets: collateral to mint to it, the calls it must make, what gets added."""

    mint: int
    calls: list[tuple[str, bytes]]
    added: dict[str, int]


def plan_funding(
    w3: Web3, wallet: str, contracts: dict[str, str], usdc_amount: int, split: dict[str, int], spenders: Sequence[str]
) -> FundingPlan:
    """The collateral ``wallet`` lacks of ``usdc_amount`` plus of ``split[condition_id]`` YES and NO each (it
    splits that collateral itself), and its missing approvals: collateral and CTF tokens for the exchange and every
    other spender, collateral for the CTF (splitting)."""
    usdc: Any = contract_at(w3, "MockUSDC", contracts["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", contracts["ctf"])
    wallet = Web3.to_checksum_address(wallet)
    splits: list[tuple[bytes, int]] = []
    for condition_id, target in split.items():
        condition = bytes.fromhex(condition_id.removeprefix("0x"))
        yes, no = position_ids(ctf, usdc.address, condition)
        held = min(int(ctf.functions.balanceOf(wallet, t).call()) for t in (yes, no))
        if held < target:
            splits.append((condition, target - held))
    usdc_short = max(0, usdc_amount - int(usdc.functions.balanceOf(wallet).call()))
    calls: list[tuple[str, bytes]] = []
    for spender in [contracts["exchange"], *spenders, ctf.address]:
        if int(usdc.functions.allowance(wallet, spender).call()) < UNLIMITED // 2:
            calls.append((usdc.address, _calldata(usdc.functions.approve(spender, UNLIMITED))))
    for spender in [contracts["exchange"], *spenders]:
        if not ctf.functions.isApprovedForAll(wallet, spender).call():
            calls.append((ctf.address, _calldata(ctf.functions.setApprovalForAll(spender, True))))
    for condition, amount in splits:
        fn = ctf.functions.splitPosition(usdc.address, ZERO32, condition, [1, 2], amount)
        calls.append((ctf.address, _calldata(fn)))
    added = {"usdc": usdc_short, **{"0x" + c.hex(): a for c, a in splits}}
    return FundingPlan(usdc_short + sum(a for _, a in splits), calls, added)


def ensure_wallet_funded(
    admin: Signer,
    owner: Signer,
    kind: str,
    wallet: str,
    contracts: dict[str, str],
    usdc_amount: int,
    split: dict[str, int],
    spenders: Sequence[str] = (),
) -> dict[str, int]:
    """Top ``wallet`` (``owner``'s ``kind`` = "proxy" or "safe") up to ``usdc_amount`` collateral and
    ``split[condition_id]`` YES and NO of each market (``plan_funding``): ``admin`` (the MockUSDC owner) mints the
    collateral to the wallet, which approves and splits. Returns what was added, as
    ``chain.markets.ensure_funded`` does."""
    plan = plan_funding(admin.w3, wallet, contracts, usdc_amount, split, spenders)
    if plan.mint:
        usdc: Any = contract_at(admin.w3, "MockUSDC", contracts["collateral"])
        admin.transact(usdc.functions.mint(wallet, plan.mint))
    wallet_calls(owner, kind, wallet, plan.calls)
    return plan.added


def ensure_demo_wallets(
    admin: Signer, owner_keys: Sequence[str], contracts: dict[str, str], usdc_amount: int, split: dict[str, int]
) -> list[dict[str, str]]:
    """For each owner key: its proxy wallet and Safe, deployed and funded up to the targets (see
    ``ensure_wallet_funded``), the transactions of all wallets sent together in three rounds (create, mint,
    wallet calls). Returns [{"key", "proxy", "safe"}, ...]."""
    w3 = admin.w3
    owners = [Signer.from_key(w3, key) for key in owner_keys]
    created = [_send_creations(admin, owner.address, contracts) for owner in owners]
    for tx_hash in [h for _, hashes in created for h in hashes]:
        admin.wait(tx_hash)
    usdc: Any = contract_at(w3, "MockUSDC", contracts["collateral"])
    plans = [
        (owner, kind, wallets[kind], plan_funding(w3, wallets[kind], contracts, usdc_amount, split, ()))
        for owner, (wallets, _) in zip(owners, created, strict=True)
        for kind in ("proxy", "safe")
    ]
    minted = [_send(admin, usdc.functions.mint(wallet, plan.mint)) for _, _, wallet, plan in plans if plan.mint]
    for tx_hash in minted:
        admin.wait(tx_hash)
    sent = [(owner, wallet, send_wallet_calls(owner, kind, wallet, plan.calls)) for owner, kind, wallet, plan in plans]
    for owner, wallet, hashes in sent:
        wait_wallet_calls(owner, wallet, hashes)
    return [
        {"key": key, "proxy": wallets["proxy"], "safe": wallets["safe"]}
        for key, (wallets, _) in zip(owner_keys, created, strict=True)
    ]


def ready_fields(
    admin: Signer, owner_keys: Sequence[str], contracts: dict[str, str], usdc_amount: int, split: dict[str, int]
) -> dict[str, Any]:
    """What ``make run``'s READY line says of smart wallets: ``proxy_factory``, ``safe_factory`` and
    ``demo_wallets`` (the owners' wallets, deployed and funded by ``ensure_demo_wallets``)."""
    return {
        "proxy_factory": contracts["proxy_factory"],
        "safe_factory": contracts["safe_factory"],
        "demo_wallets": ensure_demo_wallets(admin, owner_keys, contracts, usdc_amount, split),
    }


def _send(signer: Signer, fn: Any, gas: int | None = None) -> bytes:
    """Send a contract call without waiting (estimated unless ``gas`` is given)."""
    tx = fn.build_transaction({"from": signer.address, **({"gas": gas} if gas else {})})
    for key in ("maxFeePerGas", "maxPriorityFeePerGas", "nonce"):
        tx.pop(key, None)
    return signer.send(tx, gas=tx.get("gas"))


def _calldata(fn: Any) -> bytes:
    return bytes.fromhex(str(fn._encode_transaction_data()).removeprefix("0x"))
