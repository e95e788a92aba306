"""A fresh anvil chain with the contracts deployed, plus the few actions the indexer tests need.

Each test gets its own chain: reorgs (``anvil_reorg``/``anvil_rollback``) and the shared session chain's
snapshot/revert do not mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest, deploy
from chain.markets import ZERO32, position_ids
from chain.rpc import Signer, connect, contract_at
from indexer import Indexer, IndexerConfig, RpcSource
from store import Database, connect_database
from store.schema.indexer import ALL_TABLES, chain_blocks, chain_cursor, chain_reorgs

USDC = 10**6


@dataclass(frozen=True, slots=True)
class Condition:
    question: bytes
    oracle: Signer
    condition_id: bytes
    yes: int
    no: int

    @property
    def hex_id(self) -> str:
        return "0x" + self.condition_id.hex()


@dataclass
class World:
    anvil: Anvil
    w3: Web3
    manifest: Manifest
    owner: Signer
    usdc: Any
    ctf: Any

    def signer(self, index: int) -> Signer:
        return Signer.from_key(self.w3, dev_key(index))

    @property
    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def prepare(self, text: str, oracle: Signer) -> Condition:
        question = Web3.keccak(text=text)
        self.owner.transact(self.ctf.functions.prepareCondition(oracle.address, question, 2))
        cond = bytes(self.ctf.functions.getConditionId(oracle.address, question, 2).call())
        yes, no = position_ids(self.ctf, self.usdc.address, cond)
        return Condition(bytes(question), oracle, cond, yes, no)

    def fund(self, trader: Signer, amount: int) -> None:
        self.owner.transact(self.usdc.functions.mint(trader.address, amount))
        trader.transact(self.usdc.functions.approve(self.ctf.address, 2**256 - 1))

    def split(self, trader: Signer, c: Condition, amount: int) -> None:
        trader.transact(self.ctf.functions.splitPosition(self.usdc.address, ZERO32, c.condition_id, [1, 2], amount))

    def merge(self, trader: Signer, c: Condition, amount: int) -> None:
        trader.transact(self.ctf.functions.mergePositions(self.usdc.address, ZERO32, c.condition_id, [1, 2], amount))

    def transfer(self, trader: Signer, to: str, token: int, amount: int) -> bytes:
        receipt = trader.transact(self.ctf.functions.safeTransferFrom(trader.address, to, token, amount, b""))
        return bytes(receipt["transactionHash"])

    def transfer_tx(self, sender: str, to: str, token: int, amount: int) -> dict[str, Any]:
        """An unsigned JSON transaction (anvil signs for its dev accounts), for ``anvil_reorg`` replacements."""
        data = self.ctf.encode_abi("safeTransferFrom", args=[sender, to, token, amount, b""])
        return {"from": sender, "to": self.ctf.address, "data": data, "gas": hex(200_000)}

    def report(self, c: Condition, payouts: list[int]) -> None:
        c.oracle.transact(self.ctf.functions.reportPayouts(c.question, payouts))

    def redeem(self, trader: Signer, c: Condition) -> None:
        trader.transact(self.ctf.functions.redeemPositions(self.usdc.address, ZERO32, c.condition_id, [1, 2]))

    def balance(self, address: str, token: int) -> int:
        return int(self.ctf.functions.balanceOf(Web3.to_checksum_address(address), token).call())

    def reorg(self, depth: int, txs: list[tuple[dict[str, Any], int]]) -> None:
        self.anvil.rpc("anvil_reorg", depth, [[tx, offset] for tx, offset in txs])
        self.reset_nonces()

    def rollback(self, depth: int) -> None:
        self.anvil.rpc("anvil_rollback", depth)
        self.reset_nonces()

    def reset_nonces(self) -> None:
        self.owner.nonce = None

    def indexer(self, db: Database, **overrides: Any) -> Indexer:
        overrides.setdefault("confirmations", 2)
        overrides.setdefault("reorg_window", 32)
        return Indexer(db, RpcSource(self.anvil.url), IndexerConfig.from_manifest(self.manifest, **overrides))


def start_world() -> Iterator[World]:
    with Anvil() as node:
        manifest = deploy(node.url, dev_key(0))
        w3 = connect(node.url)
        yield World(
            node,
            w3,
            manifest,
            Signer.from_key(w3, dev_key(0)),
            contract_at(w3, "MockUSDC", manifest.contracts["collateral"]),
            contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"]),
        )


_SKIP = {chain_blocks.name, chain_reorgs.name, chain_cursor.name}


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every log-derived table and the positions, as sorted tuples (blocks, reorgs and cursor left out)."""
    out = {}
    with db.engine.connect() as conn:
        for table in ALL_TABLES:
            if table.name in _SKIP:
                continue
            out[table.name] = sorted(tuple(r) for r in conn.execute(select(table)))
    return out


def fresh_dump(world: World, url: str, **overrides: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Index the current chain from scratch into the empty database at ``url`` and dump it."""
    db = connect_database(url)
    try:
        world.indexer(db, **overrides).run_until_synced()
        return dump(db)
    finally:
        db.dispose()
