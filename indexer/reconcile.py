"""Reconciliation job: load the book and the indexed chain from SQL, apply ``indexer.reconcile_rules``, store what
disagrees, and feed it back to the book.

One ``Reconciler.run_once()``:

1. **Snapshot**, book first (trades with their settlement attempts and mined block, LIVE orders), then the chain
   (cursor, fills, matches, cancellations, nonces, and the orders those name), then the holdings of every trader
   with LIVE orders. Book first matters: a fill is only *confirmed* several blocks after its transaction was sent,
   and the batcher records every attempt hash before sending, so a confirmed fill of ours always finds its claim.
   PostgreSQL reads run in one REPEATABLE READ transaction.
2. **Rules** (pure): ``reconcile_rules.reconcile(snapshot)``.
3. **Store**, one transaction: a ``reconciliation_runs`` row, and in ``reconciliation_discrepancies`` one row per
   (kind, subject) ever seen — inserted when new, refreshed (``last_seen_ms``, ``run_id``, evidence) while it
   persists, ``resolved`` when a run no longer finds it, reopened if it comes back. Running twice over the same
   state changes nothing but ``last_seen_ms``/``run_id``.
4. **Feedback**: after the commit, hooks ``hook(kind, subject, evidence)`` are called for each discrepancy that is
   new or reopened (or, for hooks added with ``repeat=True``, for every one found, each run: for idempotent
   actions that must be retried until they take effect). ``book_feedback_hook`` cancels the evidence's ``cancel``
   orders in the book through the sequencer and drops the trader's cached chain state.

Holdings come from a ``HoldingsSource``: ``IndexedHoldings`` (collateral transfers and ``chain_positions``: right
when the indexer follows the collateral from its deployment, as locally) or ``ViewHoldings`` over the service's
``CachedChainView`` (balance and allowance from the node: right on Polygon; a pair that looks short in the cache
is re-read before it counts).

CLI: ``python -m indexer reconcile --db URL [--json]`` (see ``main``). API: ``indexer.api``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    and_,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from indexer.errors import IndexerError
from indexer.jobs import add_interval_job
from indexer.queries import fill_values
from indexer.reconcile_rules import (
    LIVE,
    BookOrder,
    BookTrade,
    ChainCancel,
    ChainFill,
    ChainMatch,
    ChainNonce,
    Discrepancy,
    Kind,
    MakerLeg,
    Snapshot,
    orders_to_cancel,
    reconcile,
    reservations,
)
from store import Database
from store.schema import orders, trades
from store.schema.indexer import (
    chain_cancellations,
    chain_collateral_transfers,
    chain_cursor,
    chain_fills,
    chain_logs,
    chain_matches,
    chain_positions,
)
from store.schema.reconcile import TABLES, reconciliation_discrepancies, reconciliation_runs
from store.schema.settlement import settlement_attempts, settlement_tx_trades, settlement_txs

log = logging.getLogger(__name__)

_ID = BigInteger().with_variant(Integer(), "sqlite")
_CHUNK = 500


Hook = Callable[[str, str, Mapping[str, Any]], None]
"""``hook(kind, subject, evidence)``, called after the run's commit."""


class ReconcileError(IndexerError):
    """Reconciliation cannot run (e.g. the indexer has not run yet)."""


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


# --- holdings ----------------------------------------------------------------------------------------------------


class HoldingsSource(Protocol):
    """What traders hold on chain, for the balance rule."""

    name: str

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Holdings of each (address, asset id) the book reserves (asset 0 = collateral); ``reserved`` says how
        much, so a source may re-read the pairs that look short."""
        ...


class IndexedHoldings:
    """Holdings from the index: collateral = transfers in − out, tokens = ``chain_positions`` (unconfirmed blocks
    included: what settlement would find now). Balances only: allowances are not indexed."""

    name = "index"

    def __init__(self, db: Database | Engine) -> None:
        self._engine = _engine(db)

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        out: dict[tuple[str, int], int] = defaultdict(int)
        owners = sorted({owner for owner, _ in reserved})
        c, p = chain_collateral_transfers.c, chain_positions.c
        with self._engine.connect() as conn:
            for part in _chunks(owners):
                q = select(c.from_address, c.to_address, c.amount).where(
                    or_(c.from_address.in_(part), c.to_address.in_(part))
                )
                for frm, to, amount in conn.execute(q):
                    out[(to, 0)] += int(amount)
                    out[(frm, 0)] -= int(amount)
                q2 = select(p.address, p.token_id, p.balance).where(p.address.in_(part))
                for address, token, balance in conn.execute(q2):
                    out[(address, int(token))] = int(balance)
        return {key: out.get(key, 0) for key in reserved}


class _Holding(Protocol):
    @property
    def spendable(self) -> int: ...


class HoldingView(Protocol):
    """The service's ``CachedChainView`` (balance and allowance to the exchange, from the node)."""

    def holding(self, address: str, asset_id: int, refresh: bool = False) -> _Holding: ...


class ViewHoldings:
    """Holdings from a chain view: min(balance, allowance). Cached values first; a pair that looks short of what
    is reserved is re-read from the node before it counts (a stale cache must not cancel good orders)."""

    name = "chain"

    def __init__(self, view: HoldingView) -> None:
        self._view = view

    def holdings(self, reserved: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        out = {}
        for (owner, asset), amount in sorted(reserved.items()):
            held = int(self._view.holding(owner, asset).spendable)
            if held < amount:
                held = int(self._view.holding(owner, asset, True).spendable)
            out[(owner, asset)] = held
        return out


# --- the snapshot ------------------------------------------------------------------------------------------------


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """One connection for the whole snapshot; on PostgreSQL one REPEATABLE READ transaction."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _book_trades(conn: Connection) -> list[BookTrade]:
    attempts: dict[str, set[str]] = defaultdict(set)
    q = (
        select(settlement_tx_trades.c.trade_id, settlement_attempts.c.tx_hash)
        .join(settlement_attempts, settlement_attempts.c.tx_id == settlement_tx_trades.c.tx_id)
        .where(settlement_attempts.c.kind == "settle")
    )
    for trade_id, tx_hash in conn.execute(q):
        attempts[trade_id].add(tx_hash)
    blocks = dict(
        conn.execute(
            select(settlement_txs.c.tx_hash, settlement_txs.c.block_number).where(
                settlement_txs.c.block_number.is_not(None)
            )
        ).all()
    )
    t = trades.c
    out = []
    for r in conn.execute(select(t.trade_id, t.status, t.transaction_hash, t.journal_seq, t.payload)):
        p = orjson.loads(r.payload)
        tx = (r.transaction_hash or "").lower()
        out.append(
            BookTrade(
                trade_id=r.trade_id,
                seq=int(r.journal_seq),
                status=r.status,
                tx_hash=tx,
                attempt_txs=frozenset(h.lower() for h in attempts.get(r.trade_id, ())),
                block_number=blocks.get(tx) if tx else None,
                taker_order_id=str(p["taker_order_id"]).lower(),
                taker=str(p["taker"]).lower(),
                side=str(p["side"]),
                token_id=int(p["token_id"]),
                taker_fill=int(p["taker_fill"]),
                taker_taking=int(p["taker_taking"]),
                taker_fee=int(p["taker_fee"]),
                makers=tuple(
                    MakerLeg(
                        str(m["order_id"]).lower(),
                        str(m["maker"]).lower(),
                        str(m["side"]),
                        int(m["token_id"]),
                        int(m["making"]),
                        int(m["taking"]),
                        int(m["fee"]),
                    )
                    for m in p["makers"]
                ),
            )
        )
    return out


def _book_order(r: Any) -> BookOrder | None:
    try:
        signed = orjson.loads(r.signed_order)
        maker_amount, nonce = int(signed["makerAmount"]), int(signed.get("nonce", 0))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("order %s: no usable signed order, not reconciled", r.order_id)
        return None
    return BookOrder(
        r.order_id.lower(), r.maker.lower(), r.side, int(r.asset_id), maker_amount, nonce, r.status, r.journal_seq
    )


_ORDER_COLUMNS = (
    orders.c.order_id,
    orders.c.maker,
    orders.c.side,
    orders.c.asset_id,
    orders.c.status,
    orders.c.journal_seq,
    orders.c.signed_order,
)


def _orders(conn: Connection, where: Any) -> list[BookOrder]:
    return [o for r in conn.execute(select(*_ORDER_COLUMNS).where(where)) if (o := _book_order(r)) is not None]


def load_snapshot(
    db: Database | Engine, holdings: HoldingsSource | None = None, cursor: str = "main"
) -> tuple[Snapshot, dict[str, int]]:
    """The rules' input from the database (see the module docstring for the read order), and counts of what it
    holds. Raises ``ReconcileError`` before the indexer's first step."""
    engine = _engine(db)
    with _reading(engine) as conn:
        book_trades = _book_trades(conn)
        live = _orders(conn, orders.c.status == LIVE)
        row = conn.execute(select(chain_cursor.c.confirmed_block).where(chain_cursor.c.name == cursor)).first()
        if row is None:
            raise ReconcileError(f"the indexer {cursor!r} has not run yet: nothing to reconcile against")
        confirmed = int(row[0])
        f, m, c = chain_fills.c, chain_matches.c, chain_cancellations.c
        fills = [
            ChainFill(*fill_values(r)) for r in conn.execute(select(chain_fills).where(f.block_number <= confirmed))
        ]
        matches = [
            ChainMatch(
                r.block_number,
                r.log_index,
                r.tx_hash,
                r.taker_order_hash,
                r.taker_order_maker,
                int(r.maker_asset_id),
                int(r.taker_asset_id),
                int(r.maker_amount_filled),
                int(r.taker_amount_filled),
            )
            for r in conn.execute(select(chain_matches).where(m.block_number <= confirmed))
        ]
        cq = select(c.block_number, c.log_index, c.tx_hash, c.order_hash).where(c.block_number <= confirmed)
        cancels = [ChainCancel(*r) for r in conn.execute(cq)]
        nonces = []
        lq = select(chain_logs.c.block_number, chain_logs.c.log_index, chain_logs.c.args).where(
            and_(chain_logs.c.event == "NonceIncremented", chain_logs.c.block_number <= confirmed)
        )
        for r in conn.execute(lq):
            args = orjson.loads(r.args)
            nonces.append(ChainNonce(r.block_number, r.log_index, str(args["maker"]).lower(), int(args["newNonce"])))
        known = {o.order_id for o in live}
        named = sorted(({x.order_hash for x in fills} | {x.order_hash for x in cancels}) - known)
        others = [o for part in _chunks(named) for o in _orders(conn, orders.c.order_id.in_(part))]
    snapshot = Snapshot(
        confirmed,
        tuple(book_trades),
        tuple(live) + tuple(o for o in others if o.order_id not in known),
        tuple(fills),
        tuple(matches),
        tuple(cancels),
        tuple(nonces),
    )
    reserved = {key: sum(r for _, r in rows) for key, rows in reservations(snapshot).items()}
    if holdings is not None:
        snapshot = replace(snapshot, holdings=holdings.holdings(reserved), holdings_source=holdings.name)
    stats = {
        "trades": len(book_trades),
        "orders": len(snapshot.orders),
        "fills": len(fills),
        "matches": len(matches),
        "cancellations": len(cancels),
        "owners": len({owner for owner, _ in reserved}) if holdings is not None else 0,
    }
    return snapshot, stats


# --- the store ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDiscrepancy:
    """A row of ``reconciliation_discrepancies``."""

    id: int
    run_id: int
    first_run_id: int
    kind: str
    subject: str
    evidence: dict[str, Any]
    first_seen_ms: int
    last_seen_ms: int
    resolved: bool
    resolved_at_ms: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stored(r: Any) -> StoredDiscrepancy:
    return StoredDiscrepancy(
        int(r.id),
        int(r.run_id),
        int(r.first_run_id),
        r.kind,
        r.subject,
        orjson.loads(r.evidence),
        int(r.first_seen_ms),
        int(r.last_seen_ms),
        bool(r.resolved),
        None if r.resolved_at_ms is None else int(r.resolved_at_ms),
    )


def list_discrepancies(
    db: Database | Engine,
    *,
    resolved: bool | None = False,
    kind: str | None = None,
    subject: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[StoredDiscrepancy]:
    """Stored discrepancies, most recently seen first. ``resolved=None`` lists open and resolved ones."""
    d = reconciliation_discrepancies.c
    q = select(reconciliation_discrepancies)
    if resolved is not None:
        q = q.where(d.resolved == resolved)
    if kind is not None:
        q = q.where(d.kind == kind)
    if subject is not None:
        q = q.where(d.subject == subject)
    q = q.order_by(d.last_seen_ms.desc(), d.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
    with _engine(db).connect() as conn:
        return [_stored(r) for r in conn.execute(q)]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A row of ``reconciliation_runs``."""

    id: int
    started_at_ms: int
    finished_at_ms: int
    confirmed_block: int
    found: int
    opened: int
    resolved: int
    stats: dict[str, int]


def last_run(db: Database | Engine) -> RunRecord | None:
    """The latest reconciliation run, if any."""
    r = reconciliation_runs.c
    with _engine(db).connect() as conn:
        row = conn.execute(select(reconciliation_runs).order_by(r.id.desc()).limit(1)).first()
    if row is None:
        return None
    return RunRecord(
        int(row.id),
        int(row.started_at_ms),
        int(row.finished_at_ms),
        int(row.confirmed_block),
        int(row.found),
        int(row.opened),
        int(row.resolved),
        orjson.loads(row.stats),
    )


@dataclass(frozen=True, slots=True)
class BookTradeRef:
    """A book trade that names a transaction (for explorers)."""

    trade_id: str
    status: str
    market: str
    asset_id: str
    side: str
    size: int
    price: str


def book_trades_by_tx(db: Database | Engine, tx_hash: str) -> list[BookTradeRef]:
    """The book's trades whose settlement transaction is ``tx_hash`` (through the batcher's attempts, indexed)."""
    t, stt, sa = trades.c, settlement_tx_trades.c, settlement_attempts.c
    h = tx_hash.lower()
    q = (
        select(t.trade_id, t.status, t.market, t.asset_id, t.side, t.size, t.price)
        .select_from(trades.join(settlement_tx_trades, stt.trade_id == t.trade_id))
        .join(settlement_attempts, sa.tx_id == stt.tx_id)
        .where(sa.tx_hash == h, t.transaction_hash == h)  # attempt hashes are unique: one row per trade
        .order_by(t.journal_seq)
    )
    with _engine(db).connect() as conn:
        return [BookTradeRef(*r) for r in conn.execute(q)]


def store_run(
    db: Database | Engine,
    found: Sequence[Discrepancy],
    *,
    confirmed_block: int,
    stats: Mapping[str, int],
    started_at_ms: int,
    now_ms: int,
) -> tuple[int, list[Discrepancy], list[tuple[str, str]]]:
    """Record one run and its findings in one transaction: (run id, new or reopened, resolved keys)."""
    d = reconciliation_discrepancies.c
    keys = [x.key for x in found]
    with _engine(db).begin() as conn:
        inserted = conn.execute(
            insert(reconciliation_runs).values(
                started_at_ms=started_at_ms,
                finished_at_ms=now_ms,
                confirmed_block=confirmed_block,
                found=len(found),
                opened=0,
                resolved=0,
                stats=_dumps(dict(stats)),
            )
        )
        pk = inserted.inserted_primary_key
        assert pk is not None
        run_id = int(pk[0])
        existing: dict[tuple[str, str], tuple[int, bool]] = {}
        for row in conn.execute(select(d.id, d.kind, d.subject).where(d.resolved.is_(False))):
            existing[(row.kind, row.subject)] = (row.id, False)
        missing = [k for k in keys if k not in existing]
        for part in _chunks(missing):
            for row in conn.execute(select(d.id, d.kind, d.subject).where(tuple_(d.kind, d.subject).in_(part))):
                existing[(row.kind, row.subject)] = (row.id, True)
        opened: list[Discrepancy] = []
        for x in found:
            evidence = _dumps(dict(x.evidence))
            hit = existing.get(x.key)
            if hit is None:
                conn.execute(
                    insert(reconciliation_discrepancies).values(
                        run_id=run_id,
                        first_run_id=run_id,
                        kind=str(x.kind),
                        subject=x.subject,
                        evidence=evidence,
                        first_seen_ms=now_ms,
                        last_seen_ms=now_ms,
                        resolved=False,
                        resolved_at_ms=None,
                    )
                )
                opened.append(x)
                continue
            row_id, was_resolved = hit
            values: dict[str, Any] = {"run_id": run_id, "last_seen_ms": now_ms, "evidence": evidence}
            if was_resolved:
                values |= {"resolved": False, "resolved_at_ms": None}
                opened.append(x)
            conn.execute(update(reconciliation_discrepancies).where(d.id == row_id).values(**values))
        seen = set(keys)
        gone = sorted((k, v[0]) for k, v in existing.items() if not v[1] and k not in seen)
        for part in _chunks([row_id for _, row_id in gone]):
            conn.execute(
                update(reconciliation_discrepancies).where(d.id.in_(part)).values(resolved=True, resolved_at_ms=now_ms)
            )
        conn.execute(
            update(reconciliation_runs)
            .where(reconciliation_runs.c.id == run_id)
            .values(opened=len(opened), resolved=len(gone))
        )
    return run_id, opened, [k for k, _ in gone]


# --- the job -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run found: everything open, what is new (or reopened) and what got resolved."""

    run_id: int
    confirmed_block: int
    discrepancies: tuple[Discrepancy, ...]
    opened: tuple[Discrepancy, ...]
    resolved: tuple[tuple[str, str], ...]
    stats: Mapping[str, int] = field(default_factory=dict)

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for x in self.discrepancies:
            out[str(x.kind)] += 1
        return dict(out)


class Reconciler:
    """Runs the rules over the database and stores and reports what they find. One run at a time."""

    def __init__(
        self,
        db: Database | Engine,
        *,
        holdings: HoldingsSource | Literal["index"] | None = "index",
        cursor: str = "main",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.holdings: HoldingsSource | None = IndexedHoldings(db) if isinstance(holdings, str) else holdings
        self.cursor = cursor
        self.clock = clock
        self._hooks: list[tuple[Hook, bool]] = []

    def add_hook(self, hook: Hook, *, repeat: bool = False) -> None:
        """Call ``hook(kind, subject, evidence)`` for each new or reopened discrepancy (``repeat``: for each one
        found, every run). Hooks run after the commit, on the run's thread; an exception is logged, not raised."""
        self._hooks.append((hook, repeat))

    def run_once(self) -> RunResult:
        started = int(self.clock() * 1000)
        snapshot, stats = load_snapshot(self.db, self.holdings, self.cursor)
        found = reconcile(snapshot)
        now = int(self.clock() * 1000)
        run_id, opened, resolved = store_run(
            self.db, found, confirmed_block=snapshot.confirmed_block, stats=stats, started_at_ms=started, now_ms=now
        )
        result = RunResult(run_id, snapshot.confirmed_block, tuple(found), tuple(opened), tuple(resolved), stats)
        if found:
            log.warning(
                "reconciliation run %d: %d discrepancies (%d new): %s", run_id, len(found), len(opened), result.kinds()
            )
        self._notify(result)
        return result

    def _notify(self, result: RunResult) -> None:
        fresh = {x.key for x in result.opened}
        for hook, repeat in self._hooks:
            for x in result.discrepancies:
                if not repeat and x.key not in fresh:
                    continue
                try:
                    hook(str(x.kind), x.subject, x.evidence)
                except Exception:
                    log.exception("reconciliation hook failed on %s %s", x.kind, x.subject)

    def schedule(self, scheduler: Any, seconds: float = 30.0) -> Any:
        """Add ``run_once`` to an apscheduler 3 scheduler as a non-overlapping interval job."""
        return add_interval_job(scheduler, self._run_logged, seconds, f"reconcile-{self.cursor}")

    def _run_logged(self) -> RunResult | None:
        try:
            return self.run_once()
        except ReconcileError as exc:
            log.info("reconciliation skipped: %s", exc)
        except Exception:
            log.exception("reconciliation run failed")
        return None


# --- feedback ----------------------------------------------------------------------------------------------------


class _Submitter(Protocol):
    def submit(self, submission: Any) -> Future[Any]: ...


class _Invalidator(Protocol):
    def invalidate(self, address: str, asset_id: int | None = None) -> None: ...


def book_feedback_hook(
    sequencer: _Submitter,
    *,
    chain_view: _Invalidator | None = None,
    clock: Callable[[], float] = time.time,
    timeout: float = 30.0,
) -> Hook:
    """A hook that acts on the book: cancel every order in the evidence's ``cancel`` list (a chain cancellation,
    a bumped nonce, an overfill, a balance shortfall) with a ``CancelOrder`` command of its maker, and drop the
    cached chain state of a trader whose balance fell. Idempotent (cancelling a gone order is a rejected no-op):
    add it with ``repeat=True``."""
    from clob.engine.types import Address, OrderId, UnixSeconds
    from clob.service.outcomes import cancel_one_command
    from clob.service.sequencer import Submission

    def hook(kind: str, subject: str, evidence: Mapping[str, Any]) -> None:
        if kind == Kind.BALANCE_BELOW_RESERVED and chain_view is not None:
            chain_view.invalidate(subject)
        now = UnixSeconds(int(clock()))
        futures = [
            sequencer.submit(
                Submission(
                    cancel_one_command(now, OrderId(order_id), Address(maker)),
                    {"reason": "reconciliation", "kind": kind, "subject": subject},
                )
            )
            for order_id, maker in orders_to_cancel(evidence)
        ]
        for fut in futures:
            fut.result(timeout=timeout)

    return hook


# --- CLI ---------------------------------------------------------------------------------------------------------


def _holdings_for(args: argparse.Namespace, db: Database) -> HoldingsSource | None:
    if args.balances == "none":
        return None
    if args.balances == "index":
        return IndexedHoldings(db)
    from chain.deploy import Manifest
    from chain.rpc import connect
    from chain.stack import rpc_url_for
    from clob.service.chain_view import CachedChainView, Web3ChainState

    manifest = Manifest.load(args.manifest)
    c = manifest.contracts
    state = Web3ChainState(
        connect(args.rpc_url or rpc_url_for(args.manifest, manifest.rpc_url)), c["collateral"], c["ctf"], c["exchange"]
    )
    return ViewHoldings(CachedChainView(state))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m indexer reconcile --db URL [--json] [--balances index|chain|none] [--list [--all]]``.

    Runs one reconciliation (or with ``--list`` only lists stored discrepancies) and prints a summary, or JSON.
    Exit status: 0 when no discrepancy is open, 2 when some are, 1 when it could not run."""
    from store import connect_database

    parser = argparse.ArgumentParser(
        prog="python -m indexer reconcile", description="Reconcile the book with the chain."
    )
    from clob.settings import Settings

    settings = Settings()
    parser.add_argument("--db", default=settings.database_url)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--name", default="main", help="the indexer cursor whose confirmed block is used")
    parser.add_argument("--balances", choices=("index", "chain", "none"), default="index")
    parser.add_argument("--manifest", type=Path, default=settings.manifest_path, help="for --balances chain")
    parser.add_argument("--rpc-url", default=None, help="for --balances chain (default: the manifest's)")
    parser.add_argument("--list", action="store_true", help="list stored discrepancies without running")
    parser.add_argument("--all", action="store_true", help="with --list: resolved ones too")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    db = connect_database(args.db)
    try:
        if args.list:
            rows = list_discrepancies(db, resolved=None if args.all else False, limit=1000)
            if args.json:
                print(_dumps({"discrepancies": [r.to_json() for r in rows]}))
            else:
                for r in rows:
                    state = "resolved" if r.resolved else "open"
                    print(f"{r.kind:<26} {r.subject}  {state}  first_seen_ms={r.first_seen_ms} run={r.run_id}")
            return 2 if any(not r.resolved for r in rows) else 0
        try:
            result = Reconciler(db, holdings=_holdings_for(args, db), cursor=args.name).run_once()
        except ReconcileError as exc:
            print(
                _dumps({"error": str(exc)}) if args.json else f"error: {exc}",
                file=sys.stdout if args.json else sys.stderr,
            )
            return 1
        if args.json:
            print(
                _dumps(
                    {
                        "run_id": result.run_id,
                        "confirmed_block": result.confirmed_block,
                        "found": len(result.discrepancies),
                        "opened": len(result.opened),
                        "resolved": len(result.resolved),
                        "stats": dict(result.stats),
                        "discrepancies": [
                            {"kind": str(x.kind), "subject": x.subject, "evidence": dict(x.evidence)}
                            for x in result.discrepancies
                        ],
                    }
                )
            )
        else:
            print(
                f"run {result.run_id} at confirmed block {result.confirmed_block}: {len(result.discrepancies)} open "
                f"({len(result.opened)} new), {len(result.resolved)} resolved; checked {dict(result.stats)}"
            )
            for x in result.discrepancies:
                print(f"{x.kind:<26} {x.subject}")
        return 2 if result.discrepancies else 0
    finally:
        db.dispose()


__all__ = [
    "TABLES",
    "BookTradeRef",
    "HoldingView",
    "HoldingsSource",
    "Hook",
    "IndexedHoldings",
    "ReconcileError",
    "Reconciler",
    "RunRecord",
    "RunResult",
    "StoredDiscrepancy",
    "ViewHoldings",
    "book_feedback_hook",
    "book_trades_by_tx",
    "last_run",
    "list_discrepancies",
    "load_snapshot",
    "main",
    "reconciliation_discrepancies",
    "reconciliation_runs",
    "store_run",
]

if __name__ == "__main__":
    raise SystemExit(main())
