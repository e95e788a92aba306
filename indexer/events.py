"""The event registry: which events the indexer follows, and a fast decoder from topic0 to named arguments.

Each followed event is an ``EventSpec`` bound to a contract role (``exchange``, ``ctf``, ``collateral``). Decoding
skips web3's per-log machinery: topic0 selects a precompiled decoder, indexed arguments are read straight from the
topics, and the data section is sliced into 32-byte words when every non-indexed argument is static (the common
case: amounts, ids, addresses) or handed to eth-abi when it holds dynamic types (``uint256[]`` partitions, payout
vectors, batch ids).

Normalised values: addresses and hashes are lower-case ``0x`` hex, integers are Python ``int``, arrays are lists.
Indexed dynamic values (``string``/``bytes``/arrays) are stored by Ethereum as their keccak hash, kept as hex.

A log whose topic0 is unknown, whose topic count does not match its spec, or whose data does not decode is kept
with ``event=None`` (the raw log is always stored): the indexer never drops a log it was asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from chain.build import BUILD_DIR, load_artifact

EXCHANGE = "exchange"
CTF = "ctf"
COLLATERAL = "collateral"
ROLES = (EXCHANGE, CTF, COLLATERAL)

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True, slots=True)
class Param:
    """One event argument."""

    name: str
    type: str
    indexed: bool = False


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event of one contract role, with its canonical signature and topic0."""

    name: str
    contract: str
    params: tuple[Param, ...]
    topic0: str

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.type for p in self.params)})"

    @classmethod
    def create(cls, name: str, contract: str, params: Sequence[Param]) -> EventSpec:
        if contract not in ROLES:
            raise ValueError(f"unknown contract role {contract!r}")
        sig = f"{name}({','.join(p.type for p in params)})"
        return cls(name, contract, tuple(params), "0x" + keccak(text=sig).hex())


_PARAM_RE = re.compile(
    r"^\s*(?P<type>[a-z0-9\[\]]+)\s+(?:(?P<indexed>indexed)\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*$"
)


def parse_event(contract: str, text: str) -> EventSpec:
    """An ``EventSpec`` from a Solidity-style declaration, e.g. ``"Transfer(address indexed from, ...)"``."""
    match = re.fullmatch(r"\s*(\w+)\s*\((.*)\)\s*", text)
    if match is None:
        raise ValueError(f"not an event declaration: {text!r}")
    params: list[Param] = []
    body = match.group(2).strip()
    for part in body.split(",") if body else []:
        pm = _PARAM_RE.match(part)
        if pm is None or pm.group("name") == "indexed":
            raise ValueError(f"cannot parse parameter {part!r} of {text!r}")
        params.append(Param(pm.group("name"), pm.group("type"), pm.group("indexed") is not None))
    return EventSpec.create(match.group(1), contract, params)


def from_abi(contract: str, entry: Mapping[str, Any]) -> EventSpec:
    """An ``EventSpec`` from one ABI JSON entry of type ``event`` (tuple arguments are not supported)."""
    if entry.get("type") != "event" or entry.get("anonymous"):
        raise ValueError(f"not a named event ABI entry: {entry.get('name')!r}")
    params = []
    for p in entry["inputs"]:
        if p["type"].startswith("tuple"):
            raise ValueError(f"tuple arguments are not supported ({entry['name']}.{p['name']})")
        params.append(Param(p["name"], p["type"], bool(p.get("indexed"))))
    return EventSpec.create(entry["name"], contract, params)


# --- the followed events -----------------------------------------------------------------------------------------

# Exchange events, as specified in docs polymarket-clob-v1-protocol.md §5 "Events".
EXCHANGE_EVENTS = (
    "OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId,"
    " uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee)",
    "OrdersMatched(bytes32 indexed takerOrderHash, address indexed takerOrderMaker, uint256 makerAssetId,"
    " uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled)",
    "OrderCancelled(bytes32 indexed orderHash)",
    "FeeCharged(address indexed receiver, uint256 tokenId, uint256 amount)",
    "TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId)",
    "NewAdmin(address indexed newAdminAddress, address indexed admin)",
    "NewOperator(address indexed newOperatorAddress, address indexed admin)",
    "RemovedAdmin(address indexed removedAdmin, address indexed admin)",
    "RemovedOperator(address indexed removedOperator, address indexed admin)",
    "TradingPaused(address indexed pauser)",
    "TradingUnpaused(address indexed pauser)",
    "ProxyFactoryUpdated(address indexed oldProxyFactory, address indexed newProxyFactory)",
    "SafeFactoryUpdated(address indexed oldSafeFactory, address indexed newSafeFactory)",
)

# ConditionalTokens events taken from the compiled artifact's ABI (URI is not followed).
CTF_EVENT_NAMES = (
    "ConditionPreparation",
    "ConditionResolution",
    "PositionSplit",
    "PositionsMerge",
    "PayoutRedemption",
    "TransferSingle",
    "TransferBatch",
    "ApprovalForAll",
)

# Collateral (any ERC20): transfers and approvals.
COLLATERAL_EVENTS = (
    "Transfer(address indexed from, address indexed to, uint256 value)",
    "Approval(address indexed owner, address indexed spender, uint256 value)",
)


def exchange_specs(abi: Sequence[Mapping[str, Any]] | None = None) -> list[EventSpec]:
    """The protocol's exchange events, plus any further event of our ``Exchange``'s ABI (e.g. NonceIncremented).

    ``abi`` defaults to the ``Exchange`` artifact when it is built. A documented event that the ABI declares with a
    different signature is a contract/spec drift: the deployed ABI wins (``tests/unit/indexer`` flags the drift).
    """
    specs = {s.name: s for s in (parse_event(EXCHANGE, text) for text in EXCHANGE_EVENTS)}
    if abi is None:
        path = BUILD_DIR / "Exchange.json"
        abi = json.loads(path.read_text())["abi"] if path.exists() else []
    for entry in abi:
        if entry.get("type") == "event" and not entry.get("anonymous"):
            specs[entry["name"]] = from_abi(EXCHANGE, entry)
    return list(specs.values())


def ctf_specs(abi: Sequence[Mapping[str, Any]] | None = None) -> list[EventSpec]:
    """The ConditionalTokens events, from ``abi`` or the ``ConditionalTokens`` artifact."""
    entries = abi if abi is not None else load_artifact("ConditionalTokens")["abi"]
    by_name = {e["name"]: e for e in entries if e.get("type") == "event"}
    missing = [n for n in CTF_EVENT_NAMES if n not in by_name]
    if missing:
        raise ValueError(f"ConditionalTokens ABI lacks events {missing}")
    return [from_abi(CTF, by_name[n]) for n in CTF_EVENT_NAMES]


def collateral_specs() -> list[EventSpec]:
    return [parse_event(COLLATERAL, text) for text in COLLATERAL_EVENTS]


# --- decoding ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawLog:
    """A log as the node returned it, with numbers parsed and hex lower-cased."""

    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    topics: tuple[str, ...]
    data: str

    @property
    def key(self) -> tuple[int, int]:
        """Position on a chain: (block number, log index). Unique within one chain."""
        return (self.block_number, self.log_index)

    @classmethod
    def from_rpc(cls, obj: Mapping[str, Any]) -> RawLog:
        return cls(
            int(obj["blockNumber"], 16),
            obj["blockHash"].lower(),
            obj["transactionHash"].lower(),
            int(obj["transactionIndex"], 16),
            int(obj["logIndex"], 16),
            obj["address"].lower(),
            tuple(t.lower() for t in obj["topics"]),
            obj["data"].lower(),
        )

    def to_rpc(self) -> dict[str, Any]:
        return {
            "blockNumber": hex(self.block_number),
            "blockHash": self.block_hash,
            "transactionHash": self.tx_hash,
            "transactionIndex": hex(self.tx_index),
            "logIndex": hex(self.log_index),
            "address": self.address,
            "topics": list(self.topics),
            "data": self.data,
            "removed": False,
        }


@dataclass(frozen=True, slots=True)
class DecodedLog:
    """A raw log with its event (``None`` if unknown or undecodable) and named arguments."""

    raw: RawLog
    event: EventSpec | None
    args: dict[str, Any]

    @property
    def name(self) -> str | None:
        return self.event.name if self.event is not None else None


_WordFn = Callable[[str], Any]


def _word_decoder(abi_type: str) -> _WordFn | None:
    """A decoder of one 64-hex-digit word for a static elementary type; ``None`` if the type is not one."""
    if abi_type == "address":
        return lambda w: "0x" + w[24:]
    if abi_type == "bool":
        return lambda w: int(w, 16) != 0
    if re.fullmatch(r"uint\d*", abi_type):
        return lambda w: int(w, 16)
    if re.fullmatch(r"int\d*", abi_type):

        def signed(w: str) -> int:
            v = int(w, 16)
            return v - (1 << 256) if v >> 255 else v

        return signed
    m = re.fullmatch(r"bytes(\d+)", abi_type)
    if m:
        n = int(m.group(1))
        return lambda w: "0x" + w[: 2 * n]
    return None


def _normalise(value: Any) -> Any:
    """eth-abi output → the indexer's JSON-friendly values (hex strings for bytes/addresses, lists for arrays)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else value
    if isinstance(value, tuple | list):
        return [_normalise(v) for v in value]
    return value


class _Decoder:
    """The precompiled decoder of one event."""

    __slots__ = ("data_len", "data_names", "data_types", "data_words", "indexed", "n_topics", "spec")

    def __init__(self, spec: EventSpec) -> None:
        self.spec = spec
        self.indexed: list[tuple[int, str, _WordFn]] = []  # (topic position, name, decoder)
        for p in spec.params:
            if p.indexed:
                fn = _word_decoder(p.type)
                self.indexed.append((len(self.indexed) + 1, p.name, fn if fn is not None else (lambda w: "0x" + w)))
        self.n_topics = 1 + len(self.indexed)
        data = [p for p in spec.params if not p.indexed]
        self.data_names = [p.name for p in data]
        self.data_types = [p.type for p in data]
        fns = [_word_decoder(p.type) for p in data]
        # Static data: (name, decoder, start, end) of each 32-byte word in the "0x..." hex string.
        self.data_words: list[tuple[str, _WordFn, int, int]] | None = (
            [(p.name, fn, 2 + 64 * i, 66 + 64 * i) for i, (p, fn) in enumerate(zip(data, fns, strict=True)) if fn]
            if all(fn is not None for fn in fns)
            else None
        )
        self.data_len = 2 + 64 * len(data)

    def decode(self, log: RawLog) -> dict[str, Any] | None:
        topics = log.topics
        if len(topics) != self.n_topics:
            return None
        args: dict[str, Any] = {name: fn(topics[i][2:]) for i, name, fn in self.indexed}
        data = log.data
        words = self.data_words
        if words is not None:
            if len(data) < self.data_len:
                return None
            for name, fn, a, b in words:
                args[name] = fn(data[a:b])
            return args
        try:
            values = abi_decode(self.data_types, bytes.fromhex(data[2:]))
        except (DecodingError, ValueError, OverflowError):
            return None
        for name, value in zip(self.data_names, values, strict=True):
            args[name] = _normalise(value)
        return args


class EventRegistry:
    """topic0 → event spec and decoder, plus the topic0 lists the follower filters ``eth_getLogs`` by."""

    def __init__(self, specs: Iterable[EventSpec]) -> None:
        self.specs: tuple[EventSpec, ...] = tuple(specs)
        self._decoders: dict[str, _Decoder] = {}
        for spec in self.specs:
            known = self._decoders.get(spec.topic0)
            if known is not None and known.spec.params != spec.params:
                raise ValueError(f"{spec.signature}: topic0 clash with differently indexed {known.spec.name}")
            self._decoders.setdefault(spec.topic0, _Decoder(spec))

    def by_topic(self, topic0: str) -> EventSpec | None:
        dec = self._decoders.get(topic0.lower())
        return dec.spec if dec is not None else None

    def by_name(self, contract: str, name: str) -> EventSpec:
        for spec in self.specs:
            if spec.contract == contract and spec.name == name:
                return spec
        raise KeyError(f"{contract}.{name}")

    def topics_for(self, contract: str) -> list[str]:
        """The topic0 values of one contract role's events, in registry order."""
        return [s.topic0 for s in self.specs if s.contract == contract]

    def decode(self, log: RawLog) -> DecodedLog:
        dec = self._decoders.get(log.topics[0]) if log.topics else None
        if dec is None:
            return DecodedLog(log, None, {})
        args = dec.decode(log)
        if args is None:
            return DecodedLog(log, None, {})
        return DecodedLog(log, dec.spec, args)

    def decode_many(self, logs: Iterable[RawLog]) -> list[DecodedLog]:
        return [self.decode(log) for log in logs]


def default_registry(ctf_abi: Sequence[Mapping[str, Any]] | None = None) -> EventRegistry:
    """Exchange, ConditionalTokens and collateral events."""
    return EventRegistry([*exchange_specs(), *ctf_specs(ctf_abi), *collateral_specs()])
