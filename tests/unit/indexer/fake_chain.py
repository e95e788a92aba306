"""An in-memory chain of blocks holding ERC1155 TransferSingle logs, speaking the indexer's ``ChainSource`` protocol.

It can mine, reorg (replace the last blocks by others with different hashes), refuse large ``eth_getLogs`` ranges,
and run a hook inside ``logs()`` or before the n-th ``headers()`` call, so a test can change the chain between the
follower's calls.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from indexer.errors import RangeTooLargeError
from indexer.events import RawLog, default_registry
from indexer.source import BlockHeader, LogFilter

CTF = "0x" + "cc" * 20
TRANSFER_SINGLE = default_registry().by_name("ctf", "TransferSingle").topic0
ZERO = "0x" + "00" * 20
Transfer = tuple[str, str, int, int]  # from, to, token id, amount


def _word(value: int) -> str:
    return f"{value:064x}"


def _topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:]


@dataclass
class FakeBlock:
    header: BlockHeader
    transfers: list[Transfer]
    logs: list[RawLog]


@dataclass
class FakeChain:
    chain_id_value: int = 1337
    max_range: int | None = None  # refuse eth_getLogs spans above this
    on_logs: Callable[[FakeChain], None] | None = None
    on_headers: Callable[[FakeChain], None] | None = None
    headers_countdown: int = 0  # headers() calls to let through before on_headers fires
    blocks: list[FakeBlock] = field(default_factory=list)
    forks: int = 0
    calls: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.blocks:
            self._append([], salt="genesis")

    def _append(self, transfers: list[Transfer], salt: str) -> None:
        number = len(self.blocks)
        parent = self.blocks[-1].header.hash if self.blocks else "0x" + "00" * 32
        digest = hashlib.sha256(f"{parent}|{number}|{salt}|{transfers}".encode()).hexdigest()
        block_hash = "0x" + digest
        logs = []
        for i, (src, dst, token, amount) in enumerate(transfers):
            tx = "0x" + hashlib.sha256(f"{block_hash}|{i}".encode()).hexdigest()
            logs.append(
                RawLog(
                    number,
                    block_hash,
                    tx,
                    i,
                    i,
                    CTF,
                    (TRANSFER_SINGLE, _topic(src), _topic(src), _topic(dst)),
                    "0x" + _word(token) + _word(amount),
                )
            )
        self.blocks.append(FakeBlock(BlockHeader(number, block_hash, parent, 1000 + number), transfers, logs))

    def mine(self, *blocks: list[Transfer]) -> None:
        for transfers in blocks:
            self._append(list(transfers), salt=f"fork{self.forks}")

    def reorg(self, depth: int, *new_blocks: list[Transfer]) -> None:
        """Drop the last ``depth`` blocks and append ``new_blocks`` (any number) on a new fork."""
        assert 0 < depth < len(self.blocks)
        del self.blocks[len(self.blocks) - depth :]
        self.forks += 1
        self.mine(*new_blocks)

    def balances(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = defaultdict(int)
        for b in self.blocks:
            for src, dst, token, amount in b.transfers:
                if src != ZERO:
                    out[(src, str(token))] -= amount
                if dst != ZERO:
                    out[(dst, str(token))] += amount
        return {k: v for k, v in out.items() if v}

    # --- ChainSource -------------------------------------------------------------------------------------------

    def chain_id(self) -> int:
        return self.chain_id_value

    def head(self) -> int:
        return len(self.blocks) - 1

    def headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader]:
        if self.on_headers is not None:
            if self.headers_countdown == 0:
                hook, self.on_headers = self.on_headers, None
                hook(self)
            else:
                self.headers_countdown -= 1
        return {n: self.blocks[n].header for n in numbers if 0 <= n < len(self.blocks)}

    def logs(self, from_block: int, to_block: int, filters: Sequence[LogFilter]) -> list[RawLog]:
        self.calls.append((from_block, to_block))
        if self.max_range is not None and to_block - from_block + 1 > self.max_range:
            raise RangeTooLargeError("eth_getLogs", "query returned more than 10000 results")
        out = []
        for b in self.blocks[from_block : to_block + 1]:
            for log in b.logs:
                if any(log.address in f.addresses and log.topics[0] in (f.topics[0] or ()) for f in filters):
                    out.append(log)
        if self.on_logs is not None:
            hook, self.on_logs = self.on_logs, None
            hook(self)
        return out
