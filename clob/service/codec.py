"""Engine commands ⇄ canonical JSON, the journal's payload format.

A journal entry's payload is ``{"command": {...}, "meta": {...}}`` encoded as compact JSON with sorted keys. Token
ids are uint256, so they are written as decimal strings: every JSON number in a payload then fits in 64 bits and the
fast orjson codec reads it exactly (the standard library's codec is the fallback for anything larger).

``command`` holds the engine command's fields except ``seq`` (the journal's own sequence number is the command's
seq); ``meta`` holds what the engine does not need but an auditor or the projections do: the full signed order, the
API key that placed it.
Replaying a journal is ``decode(entry.kind, entry.payload, entry.seq)`` for every entry, in order;
``decode_command`` is the same without the meta and several times faster (recovery and ``replay`` use it).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import orjson

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

_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name != "seq") for cls in KINDS.values()
}
"""Each command class's encoded fields, in declaration order."""
_COERCE: dict[str, Any] = {"side": Side, "order_type": OrderType}
_TOKEN_FIELDS = ("token_id", "yes_token", "no_token")


class CodecError(Exception):
    """A journal payload that does not decode to an engine command."""


def kind_of(command: Command) -> str:
    return KIND_OF[type(command)]


def _place_fields(c: PlaceOrder) -> dict[str, Any]:
    """`encode`'s fields of a PlaceOrder written out (the hot path: most journal entries are placements); a test
    checks it against the generic loop."""
    return {
        "now": c.now,
        "order_id": c.order_id,
        "maker": c.maker,
        "token_id": str(c.token_id),
        "side": int(c.side),
        "maker_amount": c.maker_amount,
        "taker_amount": c.taker_amount,
        "fee_rate_bps": c.fee_rate_bps,
        "expiration": c.expiration,
        "order_type": str(c.order_type),
        "post_only": c.post_only,
    }


def encode(command: Command, meta: dict[str, Any] | None = None) -> bytes:
    """Canonical payload bytes for a command (its ``seq`` is left out: the journal entry carries it)."""
    if type(command) is PlaceOrder:
        return _dump({"command": _place_fields(command), "meta": meta or {}})
    return _dump({"command": _fields(command), "meta": meta or {}})


def encoded_fields(command: Command) -> dict[str, Any]:
    """The command's ``command`` object of a payload (every field but ``seq``, JSON-safe)."""
    return _place_fields(command) if type(command) is PlaceOrder else _fields(command)


def dump_doc(doc: dict[str, Any]) -> bytes:
    """A payload-like document as canonical bytes (sorted keys; integers beyond 64 bits kept exact)."""
    return _dump(doc)


def load_doc(payload: bytes) -> Any:
    """`dump_doc`'s bytes (or a payload's) back as data, integers exact (`CodecError` if not JSON)."""
    try:
        return _load(payload)
    except ValueError as exc:
        raise CodecError(f"not a JSON document: {exc}") from exc


def _fields(command: Command) -> dict[str, Any]:
    names = _NAMES.get(type(command))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(command) if f.name != "seq")
    fields: dict[str, Any] = {}
    for name in names:
        value = getattr(command, name)
        if isinstance(value, Side):
            value = int(value)
        elif isinstance(value, OrderType) or (name in _TOKEN_FIELDS and value is not None):
            value = str(value)
        fields[name] = value
    return fields


def _dump(doc: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits somewhere in meta
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _load(payload: bytes) -> Any:
    """orjson when every number is a 64-bit integer (it would turn larger ones into floats), else the stdlib."""
    data = orjson.loads(payload)
    if _has_float(data):
        return json.loads(payload)
    return data


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _builder(cls: type) -> Callable[[int, dict[str, Any]], Command]:
    """A function ``(seq, fields) -> cls(seq, ...)`` that reads each field by name (``KeyError`` if one is
    missing) and converts it as ``decode`` does, without its generic copying, coercion loops and keyword arguments.
    Generated once per command class from its dataclass fields, like the dataclass's own ``__init__``; as that
    ``__init__`` only stores the fields, the function stores them itself through the slots (a frozen dataclass's
    ``__init__`` pays an ``object.__setattr__`` call per field) — unless the class has a ``__post_init__``."""
    values = []
    for f in dataclasses.fields(cls):
        if f.name == "seq":
            values.append("seq")
        elif f.name == "side":
            values.append(f"SIDES[c[{f.name!r}]]")
        elif f.name == "order_type":
            values.append(f"ORDER_TYPES[c[{f.name!r}]]")
        elif f.name in _TOKEN_FIELDS:
            values.append(f"(None if (v_{f.name} := c[{f.name!r}]) is None else int(v_{f.name}))")
        else:
            values.append(f"c[{f.name!r}]")
    names = [f.name for f in dataclasses.fields(cls)]
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "SIDES": _SIDES, "ORDER_TYPES": _ORDER_TYPES}
    slotted = not hasattr(cls, "__post_init__") and tuple(getattr(cls, "__slots__", ())) == tuple(names)
    if slotted:
        scope.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
        body = "".join(f"    set_{name}(o, {value})\n" for name, value in zip(names, values, strict=True))
        source = f"def build(seq, c):\n    o = new(cls)\n{body}    return o\n"
    else:
        source = f"def build(seq, c):\n    return cls({', '.join(values)})\n"
    exec(source, scope)  # (the source is built above from the dataclass's field names only)
    build: Callable[[int, dict[str, Any]], Command] = scope["build"]
    return build


_SIDES: dict[Any, Side] = {int(s): s for s in Side}
_ORDER_TYPES: dict[Any, OrderType] = {str(t): t for t in OrderType}
_FAST: dict[str, tuple[int, Callable[[int, dict[str, Any]], Command]]] = {
    kind: (len(dataclasses.fields(cls)) - 1, _builder(cls)) for kind, cls in KINDS.items()
}
"""kind -> (number of payload fields, builder)"""


def decode_command(kind: str, payload: bytes, seq: int) -> Command:
    """``decode(kind, payload, seq)[0]``, fast: one orjson parse, the meta left unread, the command built
    directly. Anything unusual (a missing or extra field, a number beyond 64 bits, a bad value) takes the
    generic path, so the result — or the ``CodecError`` — is exactly ``decode``'s."""
    fast = _FAST.get(kind)
    if fast is not None:
        try:
            c = orjson.loads(payload)["command"]
            # Exactly the class's fields: as many as it has, and the builder reads each by name. Numbers: orjson
            # reads integers beyond 64 bits as floats; those take the generic path, which reads them exactly.
            if type(c) is dict and len(c) == fast[0] and float not in map(type, c.values()):
                return fast[1](seq, c)
        except Exception:  # whatever it is, the generic path decides (and names it)
            pass
    return decode(kind, payload, seq)[0]


def decode(kind: str, payload: bytes, seq: int) -> tuple[Command, dict[str, Any]]:
    """The engine command (with ``seq``) and the meta of one journal entry."""
    cls = KINDS.get(kind)
    if cls is None:
        raise CodecError(f"unknown journal kind {kind!r}")
    try:
        data = _load(payload)
    except ValueError as exc:
        raise CodecError(f"journal entry {seq}: cannot decode {kind!r}: {exc}") from exc
    return decode_doc(kind, data, seq)


def decode_doc(kind: str, data: Any, seq: int) -> tuple[Command, dict[str, Any]]:
    """`decode` of a payload already parsed (`load_doc`)."""
    cls = KINDS.get(kind)
    if cls is None:
        raise CodecError(f"unknown journal kind {kind!r}")
    try:
        fields = dict(data["command"])
        for name, conv in _COERCE.items():
            if name in fields:
                fields[name] = conv(fields[name])
        for name in _TOKEN_FIELDS:
            if fields.get(name) is not None:
                fields[name] = int(fields[name])
        command: Command = cls(seq=seq, **fields)
        meta: dict[str, Any] = dict(data.get("meta") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"journal entry {seq}: cannot decode {kind!r}: {exc}") from exc
    return command, meta
