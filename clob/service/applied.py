"""`Applied`: one durable command as its listeners see it (market data, WebSockets, metrics, the bus)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clob.engine import Command, Event
from store.journal import JournalEntry


@dataclass(frozen=True, slots=True)
class Applied:
    """One journaled command with its meta and the events it produced."""

    seq: int
    command: Command
    meta: dict[str, Any]
    events: Sequence[Event]
    journal_hash: str
    stream: str = ""
    """The stream (shard) it was journaled in."""
    entry: JournalEntry | None = None
    """The journal entry exactly as written (what a bus publishes), where the producer has it."""
