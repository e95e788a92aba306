"""The follower: one ``run_once`` step reads the head, handles a reorg if the stored tip is no longer canonical,
fetches the next adaptive block range of logs and stores it with the cursor in one transaction.

Confirmation model: the follower indexes up to the head (``follow_unconfirmed=True``, the default) and records
``confirmed_block = head - confirmations`` on its cursor; readers that need finality filter on it. With
``follow_unconfirmed=False`` it never reads past ``head - confirmations``. Either way it stores the hashes of the
last ``reorg_window`` blocks and compares them with the chain at every step (anvil, like many nodes, never sends
``removed`` logs, so hashes are the only reliable signal).

Consistency of one step: headers of the range's recent part are read before the logs and the range's last header
again after them; the headers must link to each other and to the stored tip, every log must carry its header's
hash, and the last header must not have changed. Otherwise the chain moved under the step: nothing is written and
the next step starts with reorg detection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from chain.deploy import Manifest
from clob.jobs import add_interval_job
from indexer.errors import ChainChangedError, ChainMismatchError, IndexerError, ReorgTooDeepError
from indexer.events import COLLATERAL, CTF, EXCHANGE, ROLES, EventRegistry, RawLog, default_registry
from indexer.projections import Projector
from indexer.ranges import RangeSizer, fetch_adaptive
from indexer.reorg import find_common_ancestor, is_linked, known_hashes
from indexer.source import BlockHeader, ChainSource, LogFilter
from indexer.store import Cursor, IndexerStore, RollbackResult
from store import Database

log = logging.getLogger(__name__)


def address_topic(address: str) -> str:
    """An address as a 32-byte topic (left-padded)."""
    return "0x" + "00" * 12 + address.lower()[2:]


@dataclass(frozen=True)
class IndexerConfig:
    """What to follow and how cautiously.

    ``addresses`` maps roles (``exchange``, ``ctf``, ``collateral``; any subset) to contract addresses.
    ``traders``: collateral Transfer/Approval logs are fetched only when a trader is the sender/owner or the
    recipient; an empty set means every collateral log (fine for a test token, too much for real USDC).
    """

    addresses: Mapping[str, str]
    start_block: int = 0
    confirmations: int = 10
    reorg_window: int = 128
    follow_unconfirmed: bool = True
    traders: frozenset[str] = frozenset()
    name: str = "main"
    initial_range: int = 2_000
    max_range: int = 50_000
    target_logs: int = 20_000
    trader_chunk: int = 200

    def __post_init__(self) -> None:
        unknown = set(self.addresses) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; expected a subset of {ROLES}")
        if self.confirmations < 0 or self.reorg_window <= self.confirmations:
            raise ValueError("need 0 <= confirmations < reorg_window")
        object.__setattr__(self, "addresses", {r: a.lower() for r, a in self.addresses.items()})
        object.__setattr__(self, "traders", frozenset(t.lower() for t in self.traders))

    @classmethod
    def from_manifest(cls, manifest: Manifest, **overrides: Any) -> IndexerConfig:
        """Follow a deployment's exchange, ctf and collateral from its deploy block (other contracts of the
        manifest, e.g. the oracle, are not followed)."""
        overrides.setdefault("start_block", manifest.deploy_block)
        return cls(addresses={r: a for r, a in manifest.contracts.items() if r in ROLES}, **overrides)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one ``run_once`` did."""

    head: int
    from_block: int | None = None
    to_block: int | None = None
    logs: int = 0
    new_logs: int = 0
    reorg: RollbackResult | None = None
    synced: bool = False
    retried: bool = False


@dataclass
class Indexer:
    """Follows the configured contracts' logs into the database. Not thread-safe: one step at a time."""

    db: Database | Engine
    source: ChainSource
    config: IndexerConfig
    registry: EventRegistry = field(default_factory=default_registry)
    store: IndexerStore = field(init=False)
    sizer: RangeSizer = field(init=False)
    projector: Projector = field(init=False)
    _traders: frozenset[str] = field(init=False)
    _chain_id: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        cfg = self.config
        self.store = IndexerStore(self.db.engine if isinstance(self.db, Database) else self.db)
        self.sizer = RangeSizer(cfg.initial_range, 1, cfg.max_range, cfg.target_logs)
        self.projector = Projector({addr: role for role, addr in cfg.addresses.items()})
        self._traders = cfg.traders

    # --- filters ---------------------------------------------------------------------------------------------

    @property
    def traders(self) -> frozenset[str]:
        return self._traders

    def filters(self, traders: Iterable[str] | None = None, roles: Iterable[str] = ROLES) -> list[LogFilter]:
        """The ``eth_getLogs`` filters: one per exchange/ctf role, collateral per trader chunk (or one)."""
        out = []
        addrs = self.config.addresses
        for role in (EXCHANGE, CTF):
            if role in addrs and role in roles:
                out.append(LogFilter((addrs[role],), (tuple(self.registry.topics_for(role)),)))
        if COLLATERAL in addrs and COLLATERAL in roles:
            coll = addrs[COLLATERAL]
            topics = tuple(self.registry.topics_for(COLLATERAL))
            who = sorted(self._traders if traders is None else {t.lower() for t in traders})
            if not who and traders is None:
                out.append(LogFilter((coll,), (topics,)))
            transfer = self.registry.by_name(COLLATERAL, "Transfer").topic0
            n = self.config.trader_chunk
            for k in range(0, len(who), n):
                chunk = tuple(address_topic(a) for a in who[k : k + n])
                out.append(LogFilter((coll,), (topics, chunk)))  # Transfer from / Approval owner
                out.append(LogFilter((coll,), ((transfer,), None, chunk)))  # Transfer to
        return out

    # --- one step --------------------------------------------------------------------------------------------

    def open(self) -> Cursor:
        """Check the chain id and create the cursor if needed."""
        if self._chain_id is None:
            self._chain_id = self.source.chain_id()
        return self.store.open_cursor(self.config.name, self._chain_id, self.config.start_block)

    def run_once(self) -> StepResult:
        """Detect and roll back a reorg, then index the next block range (at most one ``eth_getLogs`` range)."""
        cfg = self.config
        cur = self.open()
        head = self.source.head()
        reorg = self._handle_reorg()
        if reorg is not None:
            cur = self.open()
        confirmed = max(head - cfg.confirmations, cfg.start_block - 1)
        target = head if cfg.follow_unconfirmed else confirmed
        if cur.last_block >= target:
            self.store.touch(cfg.name, head, confirmed)
            return StepResult(head, reorg=reorg, synced=True)
        start = cur.last_block + 1
        window_lo = head - cfg.reorg_window + 1
        try:
            to_block, logs, headers = self._fetch(start, target, window_lo)
        except ChainChangedError as exc:
            log.info("chain changed during step %d..: %s", start, exc)
            return StepResult(head, reorg=reorg, retried=True)
        res = self.store.ingest(
            cfg.name,
            self.registry.decode_many(logs),
            self.projector,
            headers=headers,
            span=(start, to_block),
            head=head,
            confirmed=confirmed,
            prune_below=window_lo - 1,
        )
        return StepResult(head, start, to_block, res.logs, res.new_logs, reorg, synced=to_block >= target)

    def _fetch(self, start: int, target: int, window_lo: int) -> tuple[int, list[RawLog], list[BlockHeader]]:
        plan_end = self.sizer.plan(start, target)[1]
        hdr_lo = max(start, window_lo)
        before = self.source.headers(range(hdr_lo, plan_end + 1)) if hdr_lo <= plan_end else {}
        filters = self.filters()
        to_block, logs = fetch_adaptive(start, target, self.sizer, lambda a, b: self.source.logs(a, b, filters))
        headers: list[BlockHeader] = []
        for n in range(hdr_lo, to_block + 1):
            h = before.get(n)
            if h is None:
                raise ChainChangedError(f"block {n} vanished")
            headers.append(h)
        if headers:
            top = self.store.top_block()
            parent = top.hash if top is not None and top.number == hdr_lo - 1 else None
            if not is_linked(headers, parent):
                raise ChainChangedError(f"headers {hdr_lo}..{to_block} do not link to the stored tip")
            by_number = {h.number: h.hash for h in headers}
            for raw in logs:
                expected = by_number.get(raw.block_number)
                if expected is not None and raw.block_hash != expected:
                    raise ChainChangedError(f"log in block {raw.block_number} from another fork")
            after = self.source.headers([to_block]).get(to_block)
            if after is None or after.hash != headers[-1].hash:
                raise ChainChangedError(f"block {to_block} changed during the step")
        return to_block, logs, headers

    def _handle_reorg(self) -> RollbackResult | None:
        top = self.store.top_block()
        if top is None:
            return None
        now = self.source.headers([top.number]).get(top.number)
        if now is not None and now.hash == top.hash:
            return None
        known = known_hashes(self.store.stored_blocks())
        canonical = self.source.headers(sorted(known))
        ancestor = find_common_ancestor(known, lambda n: canonical[n].hash if n in canonical else None)
        if ancestor is None:
            ancestor = self._ancestor_below_window(min(known))
            log.warning(
                "chain moved below the reorg window: none of blocks %d..%d is canonical (head %d); rolling back "
                "to block %d, the highest indexed log block the chain still has",
                min(known),
                max(known),
                self.source.head(),
                ancestor,
            )
        result = self.store.rollback(self.config.name, ancestor)
        log.warning(
            "reorg: rolled back %d blocks (%d logs) to common ancestor %d",
            result.depth,
            result.orphaned_logs,
            ancestor,
        )
        return result

    def _ancestor_below_window(self, below: int) -> int:
        """The common ancestor when no stored block hash survives (a node restored from an older state, a reorg
        deeper than ``reorg_window``): the highest block below ``below`` holding a stored log whose block hash the
        chain still has (block hashes chain through parents, so everything stored under it is canonical too), or
        the block before ``start_block`` (re-index everything) if there is none."""
        for chunk in self.store.log_blocks(below):
            canonical = self.source.headers([n for n, _ in chunk])
            for number, block_hash in chunk:
                found = canonical.get(number)
                if found is not None and found.hash == block_hash:
                    return number
        return self.config.start_block - 1

    # --- loops -----------------------------------------------------------------------------------------------

    def run_until_synced(self, max_steps: int = 100_000) -> list[StepResult]:
        """Steps until the cursor reaches the target seen by the last step."""
        results = []
        for _ in range(max_steps):
            r = self.run_once()
            results.append(r)
            if r.synced:
                return results
        raise IndexerError(f"not synced after {max_steps} steps")

    def run_forever(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Poll the head until ``stop`` is set. Transient errors are logged and retried; a chain mismatch stops
        the loop (operator action needed)."""
        while not stop.is_set():
            try:
                self.run_until_synced()
            except (ReorgTooDeepError, ChainMismatchError):
                raise
            except IndexerError as exc:
                log.warning("indexer step failed, retrying: %s", exc)
            stop.wait(poll_interval)

    def schedule(self, scheduler: Any, seconds: float = 1.0) -> Any:
        """Add ``run_until_synced`` as an interval job to an apscheduler 3 scheduler (never overlapping)."""
        return add_interval_job(scheduler, self.run_until_synced, seconds, f"indexer-{self.config.name}")

    # --- traders ---------------------------------------------------------------------------------------------

    def add_traders(self, traders: Iterable[str]) -> int:
        """Follow more traders' collateral logs from now on and backfill their past ones up to the cursor.

        Returns the number of logs stored by the backfill. A no-op while the trader set is empty (which follows
        every collateral log). Raises ``ChainChangedError`` if a backfilled log is
        from a block whose stored hash differs (run a step, then retry).
        """
        if not self._traders:  # an empty set follows every collateral log already
            return 0
        new = frozenset(t.lower() for t in traders) - self._traders
        if not new or COLLATERAL not in self.config.addresses:
            self._traders |= new
            return 0
        cur = self.open()
        filters = self.filters(traders=new, roles=(COLLATERAL,))
        stored = {n: h.hash for n, h in self.store.stored_blocks().items()}
        sizer = RangeSizer(self.config.initial_range, 1, self.config.max_range, self.config.target_logs)
        a, stored_logs = self.config.start_block, 0
        while a <= cur.last_block:
            b, logs = fetch_adaptive(a, cur.last_block, sizer, lambda x, y: self.source.logs(x, y, filters))
            for raw in logs:
                if raw.block_number in stored and stored[raw.block_number] != raw.block_hash:
                    raise ChainChangedError(f"backfilled log in block {raw.block_number} from another fork")
            res = self.store.ingest(self.config.name, self.registry.decode_many(logs), self.projector, span=(a, b))
            stored_logs += res.new_logs
            a = b + 1
        self._traders |= new
        return stored_logs
