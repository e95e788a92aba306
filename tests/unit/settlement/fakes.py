"""A fake chain for the batcher's unit tests, plus helpers that put trades and signed orders in a store.

``FakeChain`` keeps one account's nonce, a pool of raw transactions by nonce, blocks and receipts. It decodes the
exchange calldata just enough to make a match "revert" when its taker order's salt is in ``bad_salts``
(with ``InvalidNonce``), and it can mine, revert on chain, reorg (dropping transactions like anvil), go down,
mine a foreign transaction at our nonce, and refuse to mine (stuck pool).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account.typed_transactions import TypedTransaction
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from sqlalchemy import insert

from chain.exchange import (
    MATCH_ABI,
    MATCH_ORDERS_BATCH_SELECTOR,
    MATCH_ORDERS_SELECTOR,
    ORDER_ABI,
    ZERO_ADDRESS,
    Order,
    Side,
    hash_order,
    sign,
)
from settlement.chain import SendOutcome, SendResult
from settlement.errors import RevertedError, RpcError, RpcUnavailableError
from settlement.matches import order_to_json
from settlement.model import Receipt
from store.db import Database
from store.schema import orders, trades

INVALID_NONCE = keccak(text="InvalidNonce()")[:4]
ORDER_STATUS = keccak(text="getOrderStatus(bytes32)")[:4]
CHAIN_ID = 31337
EXCHANGE = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"
GAS_PER_MATCH = 100_000


@dataclass
class PoolTx:
    nonce: int
    tx_hash: str
    raw: str
    max_fee: int
    tip: int
    to: str
    data: bytes


@dataclass
class FakeChain:
    operator: str = ""
    head_number: int = 10
    nonce_latest: int = 0
    base: int = 1_000_000_000
    tip: int = 1_000_000_000
    bad_salts: set[int] = field(default_factory=set)
    revert_on_chain: set[int] = field(default_factory=set)
    """salts whose transactions revert when mined (simulation still passes)"""
    down: bool = False
    gas_per_match: int = GAS_PER_MATCH
    calls: int = 0
    batched_calls: int = 0
    estimates: int = 0
    sends_lost: int = 0
    """the next N broadcasts fail in transport (and do not reach the pool)"""
    stuck: bool = False
    reorg_returns_to_pool: bool = False
    pool: dict[int, PoolTx] = field(default_factory=dict)
    receipts_by_hash: dict[str, Receipt] = field(default_factory=dict)
    blocks: dict[int, str] = field(default_factory=dict)
    mined_txs: dict[str, PoolTx] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    """every raw transaction the batcher broadcast, in order (duplicates included)"""
    on_send: Any = None
    reject_next: list[str] = field(default_factory=list)
    settled_salts: list[int] = field(default_factory=list)
    """taker salts of every match that settled on chain (on the canonical chain), in order"""
    nonce_history: dict[int, int] = field(default_factory=dict)
    """block -> the account's nonce after it"""
    order_status: dict[str, tuple[bool, int]] = field(default_factory=dict)
    """order hash -> the exchange's (filled or cancelled, remaining); absent: untouched"""

    def __post_init__(self) -> None:
        for n in range(self.head_number + 1):
            self.blocks[n] = self._block_hash(n, 0)

    @staticmethod
    def _block_hash(n: int, salt: int) -> str:
        return "0x" + keccak(f"{n}/{salt}".encode()).hex()

    def _check(self) -> None:
        if self.down:
            raise RpcUnavailableError("fake: connection refused")

    # -- ChainClient --------------------------------------------------------------------------------------
    def chain_id(self) -> int:
        return CHAIN_ID

    def head(self) -> int:
        self._check()
        return self.head_number

    def block_hash(self, number: int) -> str | None:
        self._check()
        return self.blocks.get(number)

    def base_fee(self) -> int:
        self._check()
        return self.base

    def priority_fee(self) -> int:
        self._check()
        return self.tip

    def nonce(self, address: str, block: int | str = "latest") -> int:
        self._check()
        if block == "pending":
            n = self.nonce_latest
            while n in self.pool:
                n += 1
            return n
        if block == "latest":
            return self.nonce_latest
        assert isinstance(block, int)
        return max((v for b, v in self.nonce_history.items() if b <= block), default=0)

    def estimate_gas(self, sender: str, to: str, data: bytes, block: int | str = "latest") -> int:
        self._check()
        self.estimates += 1
        return self._execute(data)

    def _execute(self, data: bytes) -> int:
        salts = self.taker_salts(data)
        for s in salts:
            if s in self.bad_salts:
                raise RevertedError(INVALID_NONCE, "execution reverted: custom error")
        return 50_000 + self.gas_per_match * len(salts)

    def call(self, sender: str, to: str, data: bytes, gas: int | None = None, block: int | str = "latest") -> bytes:
        self._check()
        self.calls += 1
        if data[:4] == ORDER_STATUS:  # the exchange's order state: ``order_status`` or untouched
            done, remaining = self.order_status.get("0x" + data[4:36].hex(), (False, 0))
            return abi_encode(["bool", "uint256"], [done, remaining])
        used = self._execute(data)
        if gas is not None and used > gas:
            raise RpcError("eth_call", -32603, "EVM error OutOfGas")
        return b""

    def call_many(
        self, sender: str, to: str, calls: Sequence[tuple[bytes, int | None]], block: int | str = "latest"
    ) -> list[Exception | None]:
        self._check()
        self.batched_calls += len(calls)
        out: list[Exception | None] = []
        for data, gas in calls:
            try:
                self.call(sender, to, data, gas, block)
                out.append(None)
            except (RevertedError, RpcError) as exc:
                out.append(exc)
        return out

    def send_raw(self, raw_tx: str) -> SendResult:
        self._check()
        if self.sends_lost:
            self.sends_lost -= 1
            raise RpcUnavailableError("fake: connection reset during eth_sendRawTransaction")
        if self.on_send is not None:
            self.on_send(raw_tx)
        self.sent.append(raw_tx)
        if self.reject_next:
            return SendResult(SendOutcome.REJECTED, self.reject_next.pop(0))
        tx = decode_raw(raw_tx)
        if tx.tx_hash in self.mined_txs:
            return SendResult(SendOutcome.NONCE_TOO_LOW, "nonce too low")
        if tx.nonce < self.nonce_latest:
            return SendResult(SendOutcome.NONCE_TOO_LOW, "nonce too low")
        if tx.max_fee < self.base:
            return SendResult(SendOutcome.UNDERPRICED, "max fee per gas less than block base fee")
        current = self.pool.get(tx.nonce)
        if current is not None and current.tx_hash == tx.tx_hash:
            return SendResult(SendOutcome.KNOWN, "transaction already imported")
        if current is not None and tx.tip <= current.tip:
            return SendResult(SendOutcome.UNDERPRICED, "replacement transaction underpriced")
        self.pool[tx.nonce] = tx
        return SendResult(SendOutcome.ACCEPTED)

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt]:
        self._check()
        return {h: self.receipts_by_hash[h] for h in tx_hashes if h in self.receipts_by_hash}

    # -- test controls ------------------------------------------------------------------------------------
    @staticmethod
    def taker_salts(data: bytes) -> list[int]:
        if data[:4] == MATCH_ORDERS_SELECTOR:
            taker, _makers, _fill, _fills = abi_decode([ORDER_ABI, f"{ORDER_ABI}[]", "uint256", "uint256[]"], data[4:])
            return [int(taker[0])]
        if data[:4] == MATCH_ORDERS_BATCH_SELECTOR:
            (matches,) = abi_decode([f"{MATCH_ABI}[]"], data[4:])
            return [int(m[0][0]) for m in matches]
        return []

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` blocks; the first includes every pool transaction with consecutive nonces."""
        for i in range(blocks):
            self.head_number += 1
            n = self.head_number
            self.blocks[n] = self._block_hash(n, len(self.mined_txs))
            if i > 0 or self.stuck:
                continue
            while self.nonce_latest in self.pool:
                tx = self.pool.pop(self.nonce_latest)
                salts = self.taker_salts(tx.data)
                ok = not any(s in self.revert_on_chain or s in self.bad_salts for s in salts)
                self.receipts_by_hash[tx.tx_hash] = Receipt(tx.tx_hash, 1 if ok else 0, n, self.blocks[n], 100_000)
                self.mined_txs[tx.tx_hash] = tx
                if ok:
                    self.settled_salts.extend(salts)
                self.nonce_latest += 1
            self.nonce_history[n] = self.nonce_latest

    def mine_foreign(self) -> None:
        """A transaction we did not sign takes our next nonce (another process using the operator key)."""
        self.pool.pop(self.nonce_latest, None)
        self.head_number += 1
        self.blocks[self.head_number] = self._block_hash(self.head_number, 99)
        self.nonce_latest += 1
        self.nonce_history[self.head_number] = self.nonce_latest

    def reorg(self, depth: int) -> None:
        """Replace the last ``depth`` blocks with empty ones; their transactions vanish (or return to the pool)."""
        cut = self.head_number - depth
        for h, r in list(self.receipts_by_hash.items()):
            if r.block_number > cut:
                del self.receipts_by_hash[h]
                tx = self.mined_txs.pop(h)
                self.nonce_latest -= 1
                salts = self.taker_salts(tx.data)
                if r.status == 1:
                    for s in salts:
                        self.settled_salts.remove(s)
                if self.reorg_returns_to_pool:
                    self.pool[tx.nonce] = tx
        for n in range(cut + 1, self.head_number + 1):
            self.blocks[n] = self._block_hash(n, 1000 + n)
            self.nonce_history.pop(n, None)


def decode_raw(raw: str) -> PoolTx:
    tx = TypedTransaction.from_bytes(HexBytes(raw))
    d = tx.as_dict()
    return PoolTx(
        nonce=int(d["nonce"]),
        tx_hash="0x" + keccak(HexBytes(raw)).hex(),
        raw=raw,
        max_fee=int(d["maxFeePerGas"]),
        tip=int(d["maxPriorityFeePerGas"]),
        to=str(d["to"]),
        data=bytes(HexBytes(d["data"])),
    )


# -- trades and orders in a store ------------------------------------------------------------------------

KEYS = [f"0x{(i + 1):064x}" for i in range(8)]


def _address(key: str) -> str:
    from eth_account import Account

    return str(Account.from_key(key).address)


ADDRESSES = [_address(k) for k in KEYS]


def signed_order(who: int, side: Side, salt: int, maker_amount: int, taker_amount: int, token: int = 7) -> Order:
    maker = ADDRESSES[who]
    order = Order(salt, maker, maker, ZERO_ADDRESS, token, maker_amount, taker_amount, 0, 0, 0, side)
    return sign(order, KEYS[who], CHAIN_ID, EXCHANGE)


def order_id(order: Order) -> str:
    return "0x" + hash_order(order, CHAIN_ID, EXCHANGE).hex()


@dataclass
class TradeFactory:
    """Inserts COMPLEMENTARY trades (a BUY taker against one SELL maker) with real signed orders."""

    db: Database
    seq: int = 0
    salt: int = 1000

    def add(self, taker: int = 0, maker: int = 1, shares: int = 10_000_000) -> tuple[str, int]:
        """Insert a MATCHED trade; return (trade_id, taker salt)."""
        self.seq += 1
        self.salt += 2
        usdc = shares // 2
        buy = signed_order(taker, Side.BUY, self.salt, usdc, shares)
        sell = signed_order(maker, Side.SELL, self.salt + 1, shares, usdc)
        trade_id = f"trade-{self.seq:04d}"
        payload = {
            "trade_id": str(self.seq),
            "seq": self.seq,
            "market": "0x" + "ab" * 32,
            "taker_order_id": order_id(buy),
            "taker": buy.maker.lower(),
            "token_id": "7",
            "side": "BUY",
            "taker_fill": usdc,
            "taker_taking": shares,
            "taker_fee": 0,
            "makers": [
                {
                    "order_id": order_id(sell),
                    "maker": sell.maker.lower(),
                    "token_id": "7",
                    "side": "SELL",
                    "match_type": "COMPLEMENTARY",
                    "price": "0.5",
                    "making": shares,
                    "taking": usdc,
                    "fee": 0,
                    "matched_amount": shares,
                }
            ],
        }
        with self.db.engine.begin() as conn:
            for o in (buy, sell):
                conn.execute(
                    insert(orders).values(
                        order_id=order_id(o),
                        market=payload["market"],
                        asset_id="7",
                        owner="k",
                        maker=o.maker.lower(),
                        side="BUY" if o.side == Side.BUY else "SELL",
                        price="0.5",
                        original_size=shares,
                        size_matched=shares,
                        status="MATCHED",
                        order_type="GTC",
                        expiration=0,
                        created_at=0,
                        signed_order=json.dumps(order_to_json(o)),
                        associate_trades="[]",
                        journal_seq=self.seq,
                    )
                )
            conn.execute(
                insert(trades).values(
                    trade_id=trade_id,
                    market=payload["market"],
                    asset_id="7",
                    taker_order_id=payload["taker_order_id"],
                    taker=payload["taker"],
                    side="BUY",
                    size=shares,
                    price="0.5",
                    fee_rate_bps=0,
                    status="MATCHED",
                    match_time=0,
                    last_update=0,
                    bucket_index=0,
                    payload=json.dumps(payload),
                    transaction_hash="",
                    settlement_batch=None,
                    error="",
                    journal_seq=self.seq,
                    journal_hash="",
                )
            )
        return trade_id, self.salt
