"""`ExchangeService`: the exchange behind the HTTP layer, made of one part per concern over one command stream.

Routes parse, call one part, and render; they never touch the engine, the database or the chain. Every business
refusal is a `ServiceError` with a stable code (`clob.service.errors`); the API maps codes to statuses.

The parts (each route uses the one it needs):

- ``access`` (`clob.service.access.Access`): L1/L2 authentication, API keys, the admin token;
- ``desk`` (`clob.service.desk.OrderDesk`): signed orders checked (`clob.service.intake`) and sequenced;
- ``cancels`` (`clob.service.cancels.Cancels`): a user's cancellations;
- ``reads`` (`clob.service.reads.Reads`): books, prices, markets, a user's orders and trades;
- ``admin`` (`clob.service.admin.MarketAdmin`): the operator's market commands;
- ``balances`` (`clob.service.balances.Balances`): on-chain balances and the chain view's invalidation;
- ``switch`` (`clob.service.heartbeats.HeartbeatSwitch`): heartbeats and the dead man's switch's monitor.

They share the `CommandStream` (``sequencer``: the embedded `Sequencer`, or a gateway's `ShardRouter`; only it
mutates the engine), the market views (`MarketData`), the order store queries (`Queries`) and the optional cached
chain view. The composition root (`polyclob`) builds the service from the settings; ``start()`` starts the stream
(the embedded sequencer recovers from the journal), ``stop()`` stops it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.pool import PoolProxiedConnection

from clob.service.access import Access
from clob.service.admin import MarketAdmin
from clob.service.balances import Balances
from clob.service.cancels import Cancels
from clob.service.desk import OrderDesk
from clob.service.heartbeats import Heartbeats, HeartbeatSwitch, SharedHeartbeats
from clob.service.intake import OrderIntake
from clob.service.keys import KeyStore
from clob.service.markets import MarketData
from clob.service.ports import ChainView, CommandStream
from clob.service.queries import Queries
from clob.service.reads import Reads
from clob.service.verify_pool import VerifyPool
from orders import OrderVerifier
from store.db import Database, WalCheckpointer


class ExchangeService:
    """The exchange behind the REST API (module docstring). ``start()`` before serving; ``stop()`` at shutdown."""

    def __init__(
        self,
        *,
        db: Database,
        sequencer: CommandStream,
        verifier: OrderVerifier,
        master_secret: bytes,
        chain: ChainView | None = None,
        chain_id: int = 31337,
        auth_window_s: int = 300,
        heartbeat_timeout_s: float = 10.0,
        admin_token: str = "",
        verify_workers: int = 0,
        shared_store: bool = False,
        clock: Callable[[], float] = time.time,
        wal_checkpoint_s: float = 0.05,
    ) -> None:
        self.db = db
        self.sequencer = sequencer
        self.verifier = verifier
        self.chain = chain
        self.clock = clock
        self.keys = KeyStore(db, master_secret, cache_ttl_s=2.0 if shared_store else None)
        self.markets = MarketData(db, sequencer)
        self.queries = Queries(db, self.markets)
        beats: Heartbeats | SharedHeartbeats = (
            SharedHeartbeats(db, heartbeat_timeout_s) if shared_store else Heartbeats(heartbeat_timeout_s)
        )
        self.access = Access(self.keys, chain_id, auth_window_s, admin_token, clock)
        intake = OrderIntake(verifier, self.markets, chain)
        self.desk = OrderDesk(sequencer, intake, self.queries, verifier, chain, clock)
        self.cancels = Cancels(sequencer, self.queries, clock, verifier.wallets)
        self.reads = Reads(self.markets, self.queries, verifier.exchange, clock, verifier.wallets)
        self.admin = MarketAdmin(sequencer, self.markets, clock)
        self.balances = Balances(chain, verifier.wallets)
        self.switch = HeartbeatSwitch(beats, sequencer, clock)
        self._verify_workers = verify_workers
        self._checkpointer = WalCheckpointer(db, wal_checkpoint_s)
        """SQLite: the WAL checkpointed off the sequencer's commits (store.db)."""
        self._wal_keeper: PoolProxiedConnection | None = None
        sequencer.add_listener(self.markets.on_applied)

    def start(self) -> None:
        if self.db.is_sqlite and self._wal_keeper is None:
            # The store opens a fresh SQLite connection per transaction (NullPool). When the last connection to a
            # WAL database closes, SQLite checkpoints the WAL into the main file and deletes it, so every commit
            # would pay a checkpoint and its fsyncs. One connection held open for the service's lifetime keeps the
            # WAL in place; `WalCheckpointer` checkpoints it every 50 ms, off the sequencer.
            self._wal_keeper = self.db.engine.raw_connection()
        self.sequencer.start()
        self._checkpointer.start()
        if self._verify_workers > 0 and self.desk.pool is None:
            pool = VerifyPool(
                self._verify_workers, self.verifier.chain_id, self.verifier.exchange, self.verifier.wallets
            )
            pool.warm_up()
            self.desk.pool = pool

    def stop(self) -> None:
        self.sequencer.stop()
        self._checkpointer.stop()
        if self.desk.pool is not None:
            self.desk.pool.close()
            self.desk.pool = None
        if self._wal_keeper is not None:
            self._wal_keeper.close()
            self._wal_keeper = None
