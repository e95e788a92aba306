"""Engine commands ⇄ canonical JSON, the journal's payload format.

A journal entry's payload is ``{"command": {...}, "meta": {...}}`` encoded as compact JSON with sorted keys (the
standard library's encoder: token ids are uint256 and must not be squeezed into 64 bits). ``command`` holds the
engine command's fields except ``seq`` (the journal's own sequence number is the command's seq); ``meta`` holds what
the engine does not need but an auditor or the projections do: the full signed order, the API key that placed it.
Replaying a journal is ``decode(entry.kind, entry.payload, entry.seq)`` for every entry, in order.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from clob.engine import (
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    ChangeTickSize,
    Command,
    CreateMarket,
    ExpireOrders,
    HaltMarket,
    OrderType,
    PlaceOrder,
    ResolveMarket,
    ResumeMarket,
    Side,
)

KINDS: dict[str, type] = {
    "create_market": CreateMarket,
    "place": PlaceOrder,
    "cancel": CancelOrder,
    "cancel_all": CancelAll,
    "cancel_market": CancelMarketOrders,
    "halt": HaltMarket,
    "resume": ResumeMarket,
    "resolve": ResolveMarket,
    "tick_size": ChangeTickSize,
    "expire": ExpireOrders,
}
KIND_OF: dict[type, str] = {cls: kind for kind, cls in KINDS.items()}

_COERCE: dict[str, Any] = {"side": Side, "order_type": OrderType}


class CodecError(Exception):
    """A journal payload that does not decode to an engine command."""


def kind_of(command: Command) -> str:
    return KIND_OF[type(command)]


def encode(command: Command, meta: dict[str, Any] | None = None) -> bytes:
    """Canonical payload bytes for a command (its ``seq`` is left out: the journal entry carries it)."""
    fields = {f.name: getattr(command, f.name) for f in dataclasses.fields(command) if f.name != "seq"}
    for name, value in fields.items():
        if isinstance(value, Side):
            fields[name] = int(value)
        elif isinstance(value, OrderType):
            fields[name] = str(value)
    return json.dumps({"command": fields, "meta": meta or {}}, sort_keys=True, separators=(",", ":")).encode()


def decode(kind: str, payload: bytes, seq: int) -> tuple[Command, dict[str, Any]]:
    """The engine command (with ``seq``) and the meta of one journal entry."""
    cls = KINDS.get(kind)
    if cls is None:
        raise CodecError(f"unknown journal kind {kind!r}")
    try:
        data = json.loads(payload)
        fields = dict(data["command"])
        for name, conv in _COERCE.items():
            if name in fields:
                fields[name] = conv(fields[name])
        command: Command = cls(seq=seq, **fields)
        meta: dict[str, Any] = dict(data.get("meta") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"journal entry {seq}: cannot decode {kind!r}: {exc}") from exc
    return command, meta
