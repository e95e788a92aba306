"""The harness's chain side: markets and funding before the load, balances, honest fund moves and approval
revocations during it (each recorded with its time and transaction), ``anvil_reorg``.

Everything the admin key (dev account 0, also the batcher's operator) sends happens before the first order, so
the batcher, which reads its nonce when it first sends, never races the harness for a nonce.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from chain.anvil import rpc_call
from chain.deploy import Manifest
from chain.markets import ZERO32, create_market
from chain.rpc import Signer, connect, contract_at

USDC = 1_000_000
COLLATERAL = 0
UNLIMITED = 2**256 - 1
SINK = "0x000000000000000000000000000000000000dEaD"


@dataclass(frozen=True, slots=True)
class MarketInfo:
    condition_id: str
    yes: int
    no: int
    fee_bps: int
    mid_cents: int

    @property
    def tokens(self) -> tuple[int, int]:
        return self.yes, self.no


@dataclass
class ChainAction:
    """A trader's own on-chain move: ``move`` (asset sent to the sink), ``revoke`` or ``restore`` (approval)."""

    trader: str
    kind: str
    asset: int
    amount: int
    at: float
    tx_hash: str
    landed: bool | None = None


class Chain:
    """web3 over the stack's RPC with the deployment's contracts."""

    def __init__(self, rpc_url: str, manifest: Manifest) -> None:
        self.url = rpc_url
        self.manifest = manifest
        self.w3 = connect(rpc_url, timeout=10.0)
        self.usdc: Any = contract_at(self.w3, "MockUSDC", manifest.contracts["collateral"])
        self.ctf: Any = contract_at(self.w3, "ConditionalTokens", manifest.contracts["ctf"])
        self.exchange = Web3.to_checksum_address(manifest.contracts["exchange"])
        self.actions: list[ChainAction] = []
        self._lock = threading.Lock()

    def signer(self, key: str) -> Signer:
        return Signer.from_key(connect(self.url, timeout=10.0), key)

    # -- set-up ---------------------------------------------------------------------------------------------
    def create_market(self, admin_key: str, api_url: str, admin_token: str, question: str, fee_bps: int) -> Any:
        admin = self.signer(admin_key)
        m = create_market(admin, self.manifest, question)
        body = {
            "condition_id": m.condition_id,
            "question_id": m.question_id,
            "yes_token_id": str(m.yes_token),
            "no_token_id": str(m.no_token),
            "tick_size": "0.01",
            "min_order_size": "5",
            "fee_rate_bps": fee_bps,
            "question": question,
            "oracle": self.manifest.contracts["oracle"],
        }
        resp = httpx.post(
            f"{api_url}/admin/markets", json=body, headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
        )
        resp.raise_for_status()
        return m

    def fund(self, admin_key: str, keys: list[str], usdc: int, sets: int, conditions: list[str]) -> None:
        """Mint ``usdc`` + ``sets`` per market to every trader (admin transactions first, all before trading), then
        in parallel: approve the exchange (USDC, CTF) and split ``sets`` of each market into YES + NO."""
        admin = self.signer(admin_key)
        total = usdc + sets * len(conditions)
        hashes = [admin.send(self.usdc.functions.mint(Web3.to_checksum_address(_addr(k)), total).build_transaction(
            {"from": admin.address, "gas": 120_000})) for k in keys]  # fmt: skip
        for h in hashes:
            admin.wait(h)

        def setup(key: str) -> None:
            me = self.signer(key)
            calls = [
                self.usdc.functions.approve(self.exchange, UNLIMITED),
                self.ctf.functions.setApprovalForAll(self.exchange, True),
                self.usdc.functions.approve(self.ctf.address, UNLIMITED),
            ] + [
                self.ctf.functions.splitPosition(self.usdc.address, ZERO32, bytes.fromhex(c[2:]), [1, 2], sets)
                for c in conditions
            ]
            sent = [me.send(fn.build_transaction({"from": me.address, "gas": 400_000})) for fn in calls]
            for h in sent:
                me.wait(h)

        with ThreadPoolExecutor(len(keys)) as pool:
            list(pool.map(setup, keys))

    # -- reads ----------------------------------------------------------------------------------------------
    def balances(self, address: str, tokens: list[int]) -> dict[int, int]:
        who = Web3.to_checksum_address(address)
        out = {COLLATERAL: int(self.usdc.functions.balanceOf(who).call())}
        if tokens:
            values = self.ctf.functions.balanceOfBatch([who] * len(tokens), tokens).call()
            out.update({t: int(v) for t, v in zip(tokens, values, strict=True)})
        return out

    def landed(self, tx_hash: str) -> bool:
        """Whether the transaction is on the canonical chain with status 1."""
        try:
            receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return False
        return bool(receipt is not None and receipt["status"] == 1)

    def block_gas_limit(self) -> int:
        return int(self.w3.eth.get_block("latest")["gasLimit"])

    # -- honest moves ---------------------------------------------------------------------------------------
    def _act(self, key: str, kind: str, asset: int, amount: int, fn: Any) -> ChainAction:
        me = self.signer(key)
        tx = fn.build_transaction({"from": me.address, "gas": 200_000})
        at = time.time()
        tx_hash = "0x" + me.send(tx).hex()
        action = ChainAction(me.address.lower(), kind, asset, amount, at, tx_hash)
        with self._lock:
            self.actions.append(action)
        with contextlib.suppress(Exception):  # a fault may drop it; whether it landed is checked at the end
            me.wait(bytes.fromhex(tx_hash[2:]), timeout=30)
        return action

    def move_away(self, key: str, asset: int, share: float) -> ChainAction:
        """Send ``share`` of the trader's ``asset`` (0 = USDC) to the sink."""
        address = _addr(key)
        amount = int(self.balances(address, [asset] if asset else [])[asset] * share)
        if asset == COLLATERAL:
            fn = self.usdc.functions.transfer(SINK, amount)
        else:
            fn = self.ctf.functions.safeTransferFrom(Web3.to_checksum_address(address), SINK, asset, amount, b"")
        return self._act(key, "move", asset, amount, fn)

    def set_approval(self, key: str, asset_kind: str, on: bool) -> ChainAction:
        """Revoke (``on`` False) or restore the exchange's approval over USDC (``usdc``) or the CTF tokens."""
        if asset_kind == "usdc":
            fn = self.usdc.functions.approve(self.exchange, UNLIMITED if on else 0)
        else:
            fn = self.ctf.functions.setApprovalForAll(self.exchange, on)
        return self._act(key, "restore" if on else "revoke", COLLATERAL if asset_kind == "usdc" else -1, 0, fn)

    def reorg(self, depth: int) -> Any:
        return rpc_call(self.url, "anvil_reorg", [depth, []], timeout=20.0)

    def head(self) -> int:
        return int(self.w3.eth.block_number)


def _addr(key: str) -> str:
    from eth_account import Account

    return str(Account.from_key(key).address).lower()
