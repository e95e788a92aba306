"""How the embedded stack's services are connected to each other (one process, one database).

- Sequencer → batcher: every command that produced a trade wakes the batcher (``SettlementService.notify``). In the
  embedded mode the batcher runs in a child process (``settlement.process``; ``POLYCLOB_BATCHER_PROCESS=0``: on a
  thread of this process), wired the same way over a pipe.
- Batcher → WebSocket: every trade status change (MINED, CONFIRMED, RETRYING, FAILED) is a user ``trade`` event.
- Batcher → chain view: a CONFIRMED trade drops its parties' cached balances (their next order reads the chain).
- Batcher → book, the failed-trade policy: the orders blamed for a trade that can never settle (maker spent the
  balance, revoked the allowance, cancelled on chain, bumped the nonce) are cancelled in the book, so they cannot
  fail again; the counterparties' orders stay as they are.
- Reconciler → book: every 10 s the chain (as indexed) is compared with the book; orders the chain contradicts
  (cancelled on chain, nonce bumped, overfilled, maker short of balance) are cancelled in the book.
- Indexer → book: a market whose condition the indexer saw resolved (``ConditionResolution``) is resolved in the
  book: every resting order is cancelled with CANCELED_MARKET_RESOLVED and no order is accepted any more.

In the distributed mode the API process of ``make run`` is gateway 0 and the same services are wired to it; the
batcher's status changes then go on the bus (`clob.distributed.status`), from which every gateway delivers them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler

from chain.deploy import Manifest
from clob.distributed.status import StatusPublisher
from clob.engine import CancelOrder, MarketInfo, OrderId, ResolveMarket, Trade, UnixSeconds
from clob.service.applied import Applied
from clob.service.exchange import ExchangeService
from clob.service.submission import UNSEQUENCED, Submission
from clob.settings import Settings
from clob.ws.hub import WsHub
from indexer.follower import Indexer, IndexerConfig
from indexer.source import RpcSource
from reconcile.hooks import book_feedback_hook
from reconcile.runs import Reconciler
from reconcile.snapshot import ViewHoldings
from settlement.batcher import Batcher
from settlement.cli import create_batcher
from settlement.config import SettlementConfig
from settlement.model import FailedTrade
from settlement.process import BatcherParams, BatcherProcess
from settlement.service import SettlementService
from store import connect_database
from store.queries.chain import resolution_status

log = logging.getLogger("stack")


@dataclass
class Services:
    """The background services of an embedded stack; ``stop`` stops them all."""

    stop_event: threading.Event
    settlement: SettlementService | BatcherProcess | None = None
    indexer_thread: threading.Thread | None = None
    watcher_thread: threading.Thread | None = None
    schedulers: list[BackgroundScheduler] = field(default_factory=list)

    def stop(self) -> None:
        self.stop_event.set()
        if self.settlement is not None:
            self.settlement.stop()
        for scheduler in self.schedulers:
            scheduler.shutdown(wait=False)
        for thread in (self.indexer_thread, self.watcher_thread):
            if thread is not None:
                thread.join(15)


def _winner(info: MarketInfo, payouts: tuple[int, ...] | None) -> dict[str, str]:
    """Journal meta naming the winning token when the payout vector pays one outcome alone ([1, 0] or [0, 1])."""
    if payouts is None or len(payouts) != 2 or sorted(payouts)[0] != 0 or sum(payouts) == 0:
        return {}
    return {"winning_asset_id": str(info.yes_token if payouts[0] else info.no_token)}


def start_batcher(
    service: ExchangeService,
    hub: WsHub,
    settings: Settings,
    manifest: Manifest,
    operator_key: str,
    confirmations: int = 1,
) -> SettlementService | BatcherProcess:
    """The settlement batcher on a scheduler, wired to the sequencer, the WebSocket hub and the book. In the
    embedded mode it runs in a child process unless ``POLYCLOB_BATCHER_PROCESS=0`` (module docstring)."""
    own_process = settings.mode != "distributed" and os.environ.get("POLYCLOB_BATCHER_PROCESS", "1") != "0"
    batcher: Batcher | BatcherProcess
    if own_process:  # the same wiring, over a pipe to a child process (settlement.process)
        batcher = batcher_process(settings, operator_key, confirmations)
    else:
        config = SettlementConfig(confirmations=confirmations)
        batcher = create_batcher(manifest, settings.database_url, operator_key, config, rpc_url=settings.rpc_url)
    if settings.mode == "distributed":  # users may be on any gateway: status changes go on the bus to all of them
        batcher.add_row_listener(StatusPublisher(settings.nats_servers, settings.stream_replicas))
    else:
        batcher.add_row_listener(hub.on_trade_status)
        batcher.add_row_listener(service.balances.on_trade_status)  # (a gateway does this from the bus)

    def cancel_offenders(trade: FailedTrade, offending: tuple[str, ...]) -> None:
        now = UnixSeconds(int(time.time()))
        for order_id in offending:
            service.sequencer.submit(Submission(CancelOrder(UNSEQUENCED, now, OrderId(str(order_id)))))
        log.warning("trade %s failed (%s); cancelled %s", trade.trade_id, trade.error, offending)

    batcher.add_failure_hook(cancel_offenders)
    settlement = batcher if isinstance(batcher, BatcherProcess) else SettlementService(batcher)

    def wake(applied: Applied) -> None:
        if any(isinstance(ev, Trade) for ev in applied.events):
            settlement.notify()

    service.sequencer.add_listener(wake)
    settlement.start()
    return settlement


def batcher_process(settings: Settings, operator_key: str, confirmations: int) -> BatcherProcess:
    """The batcher in a child process (``settlement.process``), not started yet: it has the interface of a
    ``Batcher`` (listeners, failure hooks) and of a ``SettlementService`` (``start``, ``notify``, ``stop``)."""
    params = BatcherParams(settings.manifest_path, settings.database_url, settings.rpc_url, operator_key, confirmations)
    return BatcherProcess(params)


def start_indexer(
    settings: Settings, manifest: Manifest, stop: threading.Event, confirmations: int = 1
) -> threading.Thread:
    """The chain indexer following the deployment, on its own thread."""
    db = connect_database(settings.database_url)
    indexer = Indexer(
        db, RpcSource(settings.rpc_url), IndexerConfig.from_manifest(manifest, confirmations=confirmations)
    )
    thread = threading.Thread(target=indexer.run_forever, args=(stop, 0.5), name="indexer", daemon=True)
    thread.start()
    return thread


def start_resolution_watcher(
    service: ExchangeService, stop: threading.Event, interval: float = 1.0
) -> threading.Thread:
    """Resolve in the book every open market whose condition the indexer has seen resolved on chain."""

    def loop() -> None:
        while not stop.wait(interval):
            try:
                for info in service.sequencer.markets():
                    if info.status.value == "RESOLVED":
                        continue
                    resolution = resolution_status(service.db, str(info.market))
                    if resolution.resolved:
                        now = UnixSeconds(int(time.time()))
                        meta = _winner(info, resolution.payout_numerators)
                        command = ResolveMarket(UNSEQUENCED, now, info.market)
                        service.sequencer.submit(Submission(command, meta)).result(30)
                        log.info("market %s resolved on chain: book closed", info.market)
            except Exception:  # keep watching; the next pass retries
                log.exception("resolution watcher pass failed")

    thread = threading.Thread(target=loop, name="resolution-watcher", daemon=True)
    thread.start()
    return thread


def start_reconciler(service: ExchangeService, interval: float = 10.0) -> BackgroundScheduler:
    """Reconciliation every ``interval`` seconds; its feedback cancels book orders the chain contradicts."""
    if service.chain is not None:  # balances as the order checks see them, else as indexed
        reconciler = Reconciler(service.db, holdings=ViewHoldings(service.chain))
    else:
        reconciler = Reconciler(service.db)
    reconciler.add_hook(book_feedback_hook(service.sequencer, chain_view=service.chain), repeat=True)
    scheduler = BackgroundScheduler()
    reconciler.schedule(scheduler, seconds=interval)
    scheduler.start()
    return scheduler


def start_services(
    service: ExchangeService,
    hub: WsHub,
    settings: Settings,
    manifest: Manifest,
    operator_key: str,
    confirmations: int = 1,
) -> Services:
    """Batcher, indexer, resolution watcher and reconciler for a stack whose API serves ``service``."""
    stop = threading.Event()
    services = Services(stop)
    services.settlement = start_batcher(service, hub, settings, manifest, operator_key, confirmations)
    services.indexer_thread = start_indexer(settings, manifest, stop, confirmations)
    services.watcher_thread = start_resolution_watcher(service, stop)
    services.schedulers.append(start_reconciler(service))
    return services
