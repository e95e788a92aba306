"""The event registry and fast decoder: known topic0 values, round trips against eth-abi, malformed logs."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from chain.deploy import exchange_available
from indexer.events import (
    EXCHANGE_EVENTS,
    EventSpec,
    RawLog,
    default_registry,
    parse_event,
)

REGISTRY = default_registry()

KNOWN_TOPICS = {
    # keccak of the canonical signatures; ERC20/ERC1155 values are the well-known ones.
    "Transfer": "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    "Approval": "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925",
    "TransferSingle": "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62",
    "TransferBatch": "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb",
    "ApprovalForAll": "0x17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31",
}


@pytest.mark.parametrize(("name", "topic0"), sorted(KNOWN_TOPICS.items()))
def test_well_known_topics(name: str, topic0: str) -> None:
    spec = REGISTRY.by_topic(topic0)
    assert spec is not None
    assert spec.name == name


def test_registry_covers_every_followed_event() -> None:
    names = {(s.contract, s.name) for s in REGISTRY.specs}
    for contract, name in [
        ("exchange", "OrderFilled"),
        ("exchange", "OrdersMatched"),
        ("exchange", "OrderCancelled"),
        ("exchange", "FeeCharged"),
        ("exchange", "TokenRegistered"),
        ("exchange", "NewAdmin"),
        ("exchange", "RemovedOperator"),
        ("exchange", "TradingPaused"),
        ("exchange", "TradingUnpaused"),
        ("ctf", "ConditionPreparation"),
        ("ctf", "ConditionResolution"),
        ("ctf", "PositionSplit"),
        ("ctf", "PositionsMerge"),
        ("ctf", "PayoutRedemption"),
        ("ctf", "TransferSingle"),
        ("ctf", "TransferBatch"),
        ("collateral", "Transfer"),
        ("collateral", "Approval"),
    ]:
        assert (contract, name) in names
    assert REGISTRY.by_name("exchange", "OrderFilled").signature == (
        "OrderFilled(bytes32,address,address,uint256,uint256,uint256,uint256,uint256)"
    )


@pytest.mark.skipif(not exchange_available(), reason="Exchange contract not built yet")
def test_protocol_events_match_the_exchange_abi() -> None:
    """Every event the protocol doc lists that our Exchange declares has the doc's signature and indexing."""
    from chain.build import load_artifact

    abi = {e["name"]: e for e in load_artifact("Exchange")["abi"] if e["type"] == "event"}
    for text in EXCHANGE_EVENTS:
        doc = parse_event("exchange", text)
        if doc.name not in abi:
            continue
        declared = [(p["type"], bool(p["indexed"])) for p in abi[doc.name]["inputs"]]
        assert declared == [(p.type, p.indexed) for p in doc.params], doc.name
    for required in ("OrderFilled", "OrdersMatched", "OrderCancelled", "TokenRegistered"):
        assert required in abi


def test_parse_event_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not an event"):
        parse_event("ctf", "nope")
    with pytest.raises(ValueError, match="cannot parse"):
        parse_event("ctf", "X(uint256 indexed)")
    with pytest.raises(ValueError, match="unknown contract role"):
        parse_event("bank", "X(uint256 a)")


# --- round trips ---------------------------------------------------------------------------------------------------

ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
UINT = st.integers(min_value=0, max_value=2**256 - 1)
BYTES32 = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())


def _value(abi_type: str) -> st.SearchStrategy[Any]:
    if abi_type.endswith("[]"):
        return st.lists(_value(abi_type[:-2]), max_size=5)
    if abi_type == "address":
        return ADDRESS
    if abi_type == "bytes32":
        return BYTES32
    if abi_type == "bool":
        return st.booleans()
    if abi_type == "string":
        return st.text(max_size=20)
    assert abi_type.startswith("uint"), abi_type
    bits = int(abi_type[4:] or 256)
    return st.integers(min_value=0, max_value=2**bits - 1)


def _to_abi(abi_type: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_to_abi(abi_type[:-2], v) for v in value]
    if abi_type == "bytes32":
        return bytes.fromhex(value[2:])
    return value


@st.composite
def event_and_args(draw: st.DrawFn) -> tuple[EventSpec, dict[str, Any]]:
    spec = draw(st.sampled_from(REGISTRY.specs))
    return spec, {p.name: draw(_value(p.type)) for p in spec.params}


def _topic(abi_type: str, value: Any) -> str:
    return "0x" + encode([abi_type], [_to_abi(abi_type, value)]).hex()


@seed(20261129)
@settings(max_examples=300, deadline=None)
@given(event_and_args(), st.integers(0, 10**6), st.integers(0, 500))
def test_decode_round_trips_every_event(case: tuple[EventSpec, dict[str, Any]], block: int, index: int) -> None:
    spec, args = case
    topics = [spec.topic0] + [_topic(p.type, args[p.name]) for p in spec.params if p.indexed]
    data = [p for p in spec.params if not p.indexed]
    encoded = encode([p.type for p in data], [_to_abi(p.type, args[p.name]) for p in data])
    raw = RawLog(
        block, "0x" + "11" * 32, "0x" + "22" * 32, 0, index, "0x" + "33" * 20, tuple(topics), "0x" + encoded.hex()
    )
    decoded = REGISTRY.decode(raw)
    assert decoded.event == spec
    assert decoded.args == args


def test_malformed_logs_are_kept_undecoded() -> None:
    spec = REGISTRY.by_name("ctf", "TransferSingle")
    base = RawLog(1, "0x" + "11" * 32, "0x" + "22" * 32, 0, 0, "0x" + "33" * 20, (spec.topic0,), "0x")
    assert REGISTRY.decode(base).event is None  # wrong topic count
    short = RawLog(1, base.block_hash, base.tx_hash, 0, 0, base.address, (spec.topic0, *["0x" + "00" * 32] * 3), "0x00")
    assert REGISTRY.decode(short).event is None  # data too short
    batch = REGISTRY.by_name("ctf", "TransferBatch")
    bad = RawLog(1, base.block_hash, base.tx_hash, 0, 0, base.address, (batch.topic0, *["0x" + "00" * 32] * 3), "0xff")
    assert REGISTRY.decode(bad).event is None  # dynamic data that eth-abi rejects
    unknown = RawLog(1, base.block_hash, base.tx_hash, 0, 0, base.address, ("0x" + "ab" * 32,), "0x")
    assert REGISTRY.decode(unknown).name is None
