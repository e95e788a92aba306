"""`Submission`: one command to sequence, as data — the same value for the embedded sequencer and the shard router.

A submission is the engine command as a *template* (its ``seq`` is `UNSEQUENCED`: the sequencer that journals it
gives it the next sequence number, `sequenced`), the meta journaled with it, a new order's id (refused as a
duplicate if it was ever sequenced) and its balance `Reservation` (checked by the sequencer against the maker's
resting orders and unsettled fills, `clob.service.obligations`).

Everything but the optional ``precheck`` is data, so a submission crosses a process boundary as it is: a gateway
publishes it (`encode_submission`) and a shard's sequencer process reads it back (`decode_submission`) — command,
meta, order id and reservation, nothing rebuilt from the meta. ``precheck`` is a check of the local engine for a
sequencer's own commands (the GTD sweep); a submission with one cannot be published.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

from clob.engine import Command, Engine, Seq
from clob.engine.types import Address
from clob.service.codec import CodecError, decode_doc, dump_doc, encoded_fields, load_doc
from clob.service.obligations import Reservation

UNSEQUENCED = Seq(0)
"""The ``seq`` of a command template (the engine rejects it: only a sequenced command is applied)."""

C = TypeVar("C", bound=Command)


@dataclass(frozen=True, slots=True)
class Submission:
    """One command to sequence (module docstring)."""

    command: Command
    """The engine command with ``seq`` = `UNSEQUENCED`; the sequencer applies `sequenced(command, seq)`."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """Journaled with the command (JSON-safe)."""
    precheck: Callable[[Engine], str | None] | None = None
    """Run on the sequencer thread just before the command; a returned string refuses the submission without
    journaling it. Local only: never published."""
    order_id: str | None = None
    """A new order's id (its EIP-712 hash): the sequencer refuses it (``DUPLICATE``) if an order with this id was
    ever sequenced — stored in ``orders`` or earlier in the same batch — before journaling anything."""
    reservation: Reservation | None = None
    """A new order's balance check (`clob.service.obligations.Obligations.check`), run after ``precheck``."""


_REST: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
"""Per command class: a getter of every field after ``seq`` (the first field of every command)."""


def sequenced(command: C, seq: Seq) -> C:
    """The command with its sequence number (a new value; the template is left as it is)."""
    cls = type(command)
    rest = _REST.get(cls)
    if rest is None:
        rest = _REST[cls] = _rest_of(cls)
    return cls(seq, *rest(command))


def _rest_of(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in fields(cls)]
    if names[0] != "seq":
        raise TypeError(f"{cls.__name__}: seq is not its first field")
    if len(names) == 2:  # (an attrgetter of one name answers the value, not a tuple)
        only = names[1]
        return lambda command: (getattr(command, only),)
    getter: Callable[[Any], tuple[Any, ...]] = attrgetter(*names[1:])
    return getter


def reservation_json(r: Reservation) -> dict[str, Any]:
    """A reservation as JSON-safe data (amounts and the asset id as decimal strings: they may pass 64 bits)."""
    return {
        "owner": r.owner,
        "asset": str(r.asset),
        "amount": str(r.amount),
        "spendable": str(r.spendable),
        "block": r.block,
        "read_ms": r.read_ms,
    }


def reservation_from_json(doc: Mapping[str, Any]) -> Reservation:
    return Reservation(
        Address(str(doc["owner"])),
        int(doc["asset"]),
        int(doc["amount"]),
        int(doc["spendable"]),
        int(doc["block"]),
        int(doc["read_ms"]),
    )


def encode_submission(sub: Submission, meta: Mapping[str, Any]) -> bytes:
    """The bytes a gateway publishes: the command's journal fields, ``meta`` (the submission's, with what the
    gateway adds), the order id and the reservation."""
    if sub.precheck is not None:
        raise ValueError("a submission with a precheck cannot be published")
    doc: dict[str, Any] = {"command": encoded_fields(sub.command), "meta": dict(meta)}
    if sub.order_id is not None:
        doc["order_id"] = sub.order_id
    if sub.reservation is not None:
        doc["reservation"] = reservation_json(sub.reservation)
    return dump_doc(doc)


def decode_submission(kind: str, payload: bytes) -> Submission:
    """`encode_submission`'s bytes back as the submission (`CodecError` if they are not one)."""
    data = load_doc(payload)
    command, meta = decode_doc(kind, data, UNSEQUENCED)
    try:
        order_id = data.get("order_id")
        reserved = data.get("reservation")
        reservation = None if reserved is None else reservation_from_json(reserved)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CodecError(f"cannot decode the submission's reservation: {exc}") from exc
    return Submission(command, meta, None, None if order_id is None else str(order_id), reservation)
