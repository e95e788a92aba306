"""`ExchangeService`: the facade the HTTP layer calls. It owns the sequencer and everything around it.

Routes parse, call one method here, and render; they never touch the engine, the database or the chain. Every
business refusal is a `ServiceError` with a stable code (`clob.service.errors`); the API maps codes to statuses.

Composition (`ExchangeService.from_settings` builds it from `Settings`):

- `Sequencer`: the single writer: journals and applies engine commands, writes projections, then answers;
- `KeyStore`: API keys (L1 create/derive, L2 lookup);
- `OrderIntake`: the checks of a signed order (`clob.service.intake`), over `MarketData` and the optional cached
  chain view (balances, allowances, nonces);
- `Queries`: a user's orders and trades; `Heartbeats`: the dead man's switch;
- `clob.service.outcomes`: what the methods answer with (`Placement`, `CancelResult`) and the engine's reject
  reasons as coded errors; `clob.service.verify_pool`: optional signature verification in worker processes.

Thread model: the HTTP layer is asyncio. Blocking work (database reads, chain reads) runs in the default thread pool
(``asyncio.to_thread``). Order checks run on the loop when nothing in them can block — a single order, or a batch
whose signatures the worker processes verified, with the chain view answering from its cache — and on a thread
otherwise. Sequencing happens on the sequencer's own thread, awaited through one future per request. Only the
sequencer mutates the engine (balance reservations are checked inside it, `clob.service.obligations`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from clob.auth import ApiCreds, AuthError, L1Identity, L2Credentials, verify_l1_headers, verify_l2
from clob.engine import (
    BaseUnits,
    CancelAll,
    CancelRejected,
    ChangeTickSize,
    Command,
    CommandRejected,
    CreateMarket,
    HaltMarket,
    MarketId,
    OrderCancelled,
    OrderId,
    OrderRejected,
    RejectReason,
    ResolveMarket,
    ResumeMarket,
    TokenId,
    Trade,
    UnixSeconds,
)
from clob.engine.types import Address as EngineAddress
from clob.service.chain_view import COLLATERAL, CachedChainView, ChainCacheMiss, Holding, Web3ChainState
from clob.service.engine_terms import place_order
from clob.service.errors import ErrorCode, ServiceError
from clob.service.heartbeats import Heartbeats, SharedHeartbeats
from clob.service.intake import CheckedOrder, OrderIntake, balance_reservation
from clob.service.keys import KeyStore, load_master_secret
from clob.service.markets import LastTrade, MarketData, MarketRecord, TokenRef
from clob.service.obligations import NOT_ENOUGH_BALANCE, STALE_BALANCE, settlement_obligations
from clob.service.outcomes import (
    CANCEL_REASONS,
    MAX_BATCH_ORDERS,
    MAX_CANCEL_IDS,
    CancelResult,
    MarketSpec,
    Placement,
    cancel_all_command,
    cancel_one_command,
    engine_reject,
    is_order_id,
    parse_token_id,
    stored_taker_amounts,
    taker_amounts,
)
from clob.service.queries import OrderFilter, OrderRecord, Page, Queries, TradeFilter, TradeRecord
from clob.service.sequencer import DUPLICATE, CommitFailed, Outcome, Sequencer, SequencerStopped
from clob.service.stream import CommandStream, StreamUnavailable
from clob.service.submission import UNSEQUENCED, Submission
from clob.service.trades import trade_key
from clob.service.verify_pool import VerifyPool
from clob.service.wallet_rules import addresses_of, funder_of, load_wallet_rules
from clob.settings import Settings
from orders import OrderError, OrderVerifier, TickSize, checksum_address, parse_order_request
from orders import Side as OrderSide
from orders import order_id as order_id_of
from store import connect_database
from store.db import Database, WalCheckpointer

log = logging.getLogger(__name__)


_KEY_DELETION = ("DELETE", "/auth/api-key")
"""Authenticated by revoked keys too, so that a retried deletion answers as the first one did."""


def command_stream(settings: Settings, db: Database) -> CommandStream:
    """The embedded sequencer of ``settings.stream``, or (distributed mode) a gateway over the shards' streams."""
    if settings.mode == "distributed":
        from clob.distributed.router import ShardRouter

        return ShardRouter(
            db,
            settings.nats_servers,
            settings.shard_list,
            gateway_id=settings.gateway_id,
            replicas=settings.stream_replicas,
            answer_timeout_s=settings.answer_timeout_s,
        )
    obligations = settlement_obligations(db, settings.balance_cache_s)
    return Sequencer(db, settings.stream, settings.max_batch, settings.snapshot_every, obligations=obligations)


def _answer_of(result: Outcome | BaseException) -> Outcome | ServiceError:
    """A sequencing result as the service answers it: the outcome, or a 503 naming why there is none."""
    if isinstance(result, Outcome):
        return result
    if isinstance(result, SequencerStopped | CommitFailed):
        return ServiceError(ErrorCode.UNAVAILABLE, "the exchange is not accepting commands right now")
    if isinstance(result, StreamUnavailable):  # distributed mode: not published, or no outcome came back
        return ServiceError(ErrorCode.UNAVAILABLE, f"{result}; the command may still be applied: check it")
    log.error("command failed", exc_info=result)
    return ServiceError(ErrorCode.UNAVAILABLE, "the command could not be processed")


_MOMENT_CODES = frozenset(
    {
        ErrorCode.MARKET_NOT_READY,
        ErrorCode.INVALID_ORDER_EXPIRATION,
        ErrorCode.INVALID_ORDER_NONCE,
        ErrorCode.INVALID_ORDER_NOT_ENOUGH_BALANCE,
    }
)
"""Refusals of an order that may have been fine when it was first posted."""


def _is_duplicate(outcome: Outcome | ServiceError) -> bool:
    return isinstance(outcome, Outcome) and outcome.rejected == DUPLICATE


class ExchangeService:
    """The exchange behind the REST API. Build with `from_settings`, then `start()`; `stop()` at shutdown."""

    def __init__(
        self,
        *,
        db: Database,
        sequencer: CommandStream,
        verifier: OrderVerifier,
        master_secret: bytes,
        chain: CachedChainView | None = None,
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
        self.chain_id = chain_id
        self.auth_window_s = auth_window_s
        self.admin_token = admin_token
        self.clock = clock
        self.keys = KeyStore(db, master_secret, cache_ttl_s=2.0 if shared_store else None)
        self.markets = MarketData(db, sequencer)
        self.intake = OrderIntake(verifier, self.markets, chain)
        self.queries = Queries(db, self.markets)
        self.heartbeats: Heartbeats | SharedHeartbeats = (
            SharedHeartbeats(db, heartbeat_timeout_s) if shared_store else Heartbeats(heartbeat_timeout_s)
        )
        self._verify_workers = verify_workers
        self._pool: VerifyPool | None = None
        self._checkpointer = WalCheckpointer(db, wal_checkpoint_s)
        """SQLite: the WAL checkpointed off the sequencer's commits (store.db)."""
        self._wal_keeper: Any = None
        sequencer.add_listener(self.markets.on_applied)

    @classmethod
    def from_settings(cls, settings: Settings) -> ExchangeService:
        """Database (migrated), sequencer, verifier for the deployment's exchange, chain view if balances are
        checked. Addresses come from the settings, else from the deployment manifest."""
        from chain.deploy import Manifest

        contracts: dict[str, str] = {}
        if settings.manifest_path.exists():
            contracts = dict(Manifest.load(settings.manifest_path).contracts)
        exchange = settings.exchange_address or contracts.get("exchange", "")
        if not exchange:
            raise ValueError("no exchange address: set POLYCLOB_EXCHANGE_ADDRESS or deploy a manifest")
        db = connect_database(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_autocheckpoint=settings.sqlite_autocheckpoint,
        )
        chain = None
        if settings.check_balances:
            from chain.rpc import connect

            collateral = settings.collateral_address or contracts.get("collateral", "")
            ctf = settings.ctf_address or contracts.get("ctf", "")
            state = Web3ChainState(connect(settings.rpc_url), collateral, ctf, exchange)
            chain = CachedChainView(state, max_age_s=settings.balance_cache_s)
        return cls(
            db=db,
            sequencer=command_stream(settings, db),
            verifier=OrderVerifier(settings.chain_id, exchange, wallets=load_wallet_rules(settings.rpc_url, contracts)),
            master_secret=load_master_secret(settings.master_secret_hex, settings.master_secret_path),
            chain=chain,
            chain_id=settings.chain_id,
            auth_window_s=settings.auth_window_s,
            heartbeat_timeout_s=settings.heartbeat_timeout_s,
            admin_token=settings.admin_token,
            verify_workers=settings.verify_workers,
            wal_checkpoint_s=settings.sqlite_checkpoint_s,
            shared_store=settings.mode == "distributed",  # other gateways write api_keys and heartbeats too
        )

    # --- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.db.is_sqlite and self._wal_keeper is None:
            # The store opens a fresh SQLite connection per transaction (NullPool). When the last connection to a
            # WAL database closes, SQLite checkpoints the WAL into the main file and deletes it, so every commit
            # would pay a checkpoint and its fsyncs (~20 ms here). One connection held open for the service's
            # lifetime keeps the WAL in place; `WalCheckpointer` checkpoints it every 50 ms, off the sequencer.
            self._wal_keeper = self.db.engine.raw_connection()
        self.sequencer.start()
        self._checkpointer.start()
        if self._verify_workers > 0 and self._pool is None:
            self._pool = VerifyPool(
                self._verify_workers, self.verifier.chain_id, self.verifier.exchange, self.verifier.wallets
            )
            self._pool.warm_up()

    def stop(self) -> None:
        self.sequencer.stop()
        self._checkpointer.stop()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._wal_keeper is not None:
            self._wal_keeper.close()
            self._wal_keeper = None

    def now(self) -> int:
        return int(self.clock())

    # --- auth ------------------------------------------------------------------------------------------------------
    def authenticate_l1(self, headers: Mapping[str, str]) -> L1Identity:
        try:
            return verify_l1_headers(headers, self.chain_id, self.now(), self.auth_window_s)
        except AuthError as exc:
            raise ServiceError(ErrorCode.INVALID_L1_HEADERS, exc.public_message) from None

    def authenticate_l2(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> L2Credentials:
        """Check the HMAC headers and the timestamp window. The same signed request may come again (a client's
        retry, py-clob-client's one signature for every page, two identical cancel-alls in one second): every
        operation is idempotent instead (docs/api.md, "Retries"), so a repeat is served, never refused. Deleting
        an API key accepts the key once revoked, so a retried deletion answers "OK" again."""
        lookup = self.keys.resolve_any if (method.upper(), path) == _KEY_DELETION else self.keys.resolve
        try:
            return verify_l2(headers, method, path, body, lookup, int(self.clock()), self.auth_window_s)
        except AuthError as exc:
            raise ServiceError(ErrorCode.UNAUTHORIZED, exc.public_message) from None

    def create_api_key(self, identity: L1Identity) -> ApiCreds:
        return self.keys.create(identity)

    def derive_api_key(self, identity: L1Identity) -> ApiCreds:
        return self.keys.derive(identity)

    def list_api_keys(self, creds: L2Credentials) -> list[str]:
        return self.keys.list_keys(creds.address)

    def delete_api_key(self, creds: L2Credentials) -> None:
        self.keys.delete(creds.api_key)

    def check_admin(self, token: str | None) -> None:
        if not self.admin_token or not token or not hmac.compare_digest(token.encode(), self.admin_token.encode()):
            raise ServiceError(ErrorCode.ADMIN_UNAUTHORIZED, "Unauthorized")

    # --- sequencing ------------------------------------------------------------------------------------------------
    async def _await(self, futures: Sequence[Future[Outcome]]) -> list[Outcome | ServiceError]:
        results = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures), return_exceptions=True)
        return [_answer_of(r) for r in results]

    async def _sequence(self, submissions: Sequence[Submission]) -> list[Outcome | ServiceError]:
        """Sequence ``submissions`` in order, woken once for all of them."""
        try:
            results = await asyncio.wrap_future(self.sequencer.submit_many(submissions))
        except Exception as exc:
            return [_answer_of(exc)] * len(submissions)
        return [_answer_of(r) for r in results]

    async def _run(self, submission: Submission) -> Outcome:
        (result,) = await self._await([self.sequencer.submit(submission)])
        if isinstance(result, ServiceError):
            raise result
        return result

    # --- orders ----------------------------------------------------------------------------------------------------
    def _check_all(
        self,
        creds: L2Credentials,
        bodies: Sequence[object],
        now: int,
        digests: Sequence[bytes | None] | None = None,
        cached_only: bool = False,
    ) -> list[CheckedOrder | ServiceError]:
        """The checks of each order (`OrderIntake.check`); duplicates are the sequencer's (``order_id``).
        ``digests``: order hashes already verified by the pool (None where the signature must be checked here)."""
        out: list[CheckedOrder | ServiceError] = []
        for i, body in enumerate(bodies):
            try:
                out.append(self.intake.check(creds, body, now, digests[i] if digests else None, cached_only))
            except ServiceError as exc:
                out.append(exc)
        return out

    @staticmethod
    def _place_submission(c: CheckedOrder, owner: str, now: int) -> Submission:
        o, request = c.order, c.request
        command = place_order(UNSEQUENCED, now, c.order_id, o, request.order_type, request.post_only)
        meta: dict[str, Any] = {"owner": owner, "market": c.token.market, "price": c.price, "order": c.order_json()}
        reservation = None
        if c.spendable is not None:
            reservation = balance_reservation(c, c.spendable)
            meta["spendable"] = str(c.spendable)  # the journal's record of what the reservation was checked against
            meta["spendable_block"] = c.spendable_block
            meta["spendable_read_ms"] = c.spendable_read_ms
        return Submission(command, meta, None, c.order_id, reservation)

    def _placement(self, order_id: str, outcome: Outcome | ServiceError) -> Placement:
        if isinstance(outcome, ServiceError):
            return Placement(order_id, error=outcome)
        if outcome.rejected == DUPLICATE:
            return Placement(order_id, error=engine_reject(order_id, RejectReason.DUPLICATE_ORDER))
        if outcome.rejected is not None:
            balance = outcome.rejected in (NOT_ENOUGH_BALANCE, STALE_BALANCE)
            code = ErrorCode.INVALID_ORDER_NOT_ENOUGH_BALANCE if balance else None
            return Placement(order_id, error=ServiceError(code or ErrorCode.INVALID_ORDER_PAYLOAD, outcome.rejected))
        for ev in outcome.events:
            if isinstance(ev, OrderRejected):
                return Placement(order_id, error=engine_reject(order_id, ev.reason))
            if isinstance(ev, Trade) and ev.taker_order_id == order_id:
                making, taking = taker_amounts(ev)
                stream = getattr(outcome, "stream", "") or self.sequencer.stream
                return Placement(order_id, "matched", making, taking, (trade_key(stream, ev),))
        return Placement(order_id, "live")

    async def place_orders(self, creds: L2Credentials, bodies: Sequence[object]) -> list[Placement]:
        """Check and sequence up to `MAX_BATCH_ORDERS` orders; one `Placement` each, in order."""
        if len(bodies) > MAX_BATCH_ORDERS:
            raise ServiceError(
                ErrorCode.TOO_MANY_ORDERS, f"Too many orders in payload: {len(bodies)}, max {MAX_BATCH_ORDERS}"
            )
        now = self.now()
        single = len(bodies) == 1
        digests = await self._pool.digests(bodies) if self._pool is not None and not single else None
        checked = None
        if single or (digests is not None and None not in digests):
            # One order (its signature costs ~35 us, less than the round trip to the pool), or every signature
            # verified in the pool (what is left, parsing and table lookups, is ~20 us an order): checked here, on
            # the loop, rather than on a thread — provided the chain view answers from its cache.
            with contextlib.suppress(ChainCacheMiss):
                checked = self._check_all(creds, bodies, now, digests, cached_only=True)
        if checked is None:  # signatures to recover here, or chain reads that may block
            checked = await asyncio.to_thread(self._check_all, creds, bodies, now, digests)
        placed = [c for c in checked if isinstance(c, CheckedOrder)]
        outcomes = await self._sequence([self._place_submission(c, creds.api_key, now) for c in placed])
        for c, o in zip(placed, outcomes, strict=True):
            if isinstance(o, Outcome) and o.rejected == STALE_BALANCE and self.chain is not None:
                self.chain.invalidate(c.order.maker, COLLATERAL if c.order.side == OrderSide.BUY else c.order.token_id)
        again = [c.order_id for c, o in zip(placed, outcomes, strict=True) if _is_duplicate(o)]
        # A retry refused by a check of what changed since the first try (the market halted, the order expired,
        # the balance spent by its own settlement) is still a retry if the order was sequenced: first answer.
        refused = {i: oid for i, c in enumerate(checked) if (oid := self._retry_id(creds, bodies[i], c)) is not None}
        lookups = [*again, *refused.values()]
        first = await asyncio.to_thread(self._first_answers, lookups, creds.address) if lookups else {}
        placements = iter(
            [first.get(c.order_id) or self._placement(c.order_id, o) for c, o in zip(placed, outcomes, strict=True)]
        )
        return [
            (first.get(refused.get(i, "")) or Placement("", error=c))
            if isinstance(c, ServiceError)
            else next(placements)
            for i, c in enumerate(checked)
        ]

    def _retry_id(self, creds: L2Credentials, body: object, result: CheckedOrder | ServiceError) -> str | None:
        """The order id of a refused body if the refusal depends on the moment (a retry may be of an order
        sequenced before); None otherwise."""
        if not isinstance(result, ServiceError) or result.code not in _MOMENT_CODES:
            return None
        try:
            order = parse_order_request(body).order
        except OrderError:
            return None
        if order.signer != creds.address:
            return None
        return order_id_of(self.verifier.order_hash(order))

    def _first_answers(self, order_ids: Sequence[str], owner: str) -> dict[str, Placement]:
        """What the placement of each of these sequenced orders answered (the same order posted again: a retry):
        ``matched`` with what it gave and received on arrival and its trades, or ``live``."""
        out: dict[str, Placement] = {}
        for order_id in dict.fromkeys(order_ids):
            found = self.queries.arrival(order_id)
            if found is None or found[0].maker != owner:
                continue
            _record, arrivals = found
            if not arrivals:
                out[order_id] = Placement(order_id, "live")
                continue
            making = taking = 0
            for _tid, payload in arrivals:
                gave, got = stored_taker_amounts(payload)
                making, taking = making + gave, taking + got
            out[order_id] = Placement(order_id, "matched", making, taking, tuple(t for t, _p in arrivals))
        return out

    async def place_order(self, creds: L2Credentials, body: object) -> Placement:
        """One order; a refusal raises `ServiceError`."""
        (placement,) = await self.place_orders(creds, [body])
        if placement.error is not None:
            raise placement.error
        return placement

    # --- cancels ---------------------------------------------------------------------------------------------------
    async def cancel_orders(self, creds: L2Credentials, order_ids: Sequence[str]) -> CancelResult:
        """Cancel the user's own resting orders; anything else lands in ``not_canceled`` with the reason."""
        if len(order_ids) > MAX_CANCEL_IDS:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, f"Too many order ids: max {MAX_CANCEL_IDS}")
        ids = list(dict.fromkeys(i.lower() for i in order_ids))
        not_canceled: dict[str, str] = {}
        valid = [i for i in ids if is_order_id(i)]
        for i in ids:
            if not is_order_id(i):
                not_canceled[i] = "invalid order id"
        rows = await asyncio.to_thread(self._order_rows, valid)
        owner = creds.address
        mine = addresses_of(self.verifier.wallets, owner)  # the signer's own orders and its wallets'
        todo: list[str] = []
        already: list[str] = []
        for i in valid:
            row = rows.get(i)
            if row is None:
                not_canceled[i] = CANCEL_REASONS[RejectReason.ORDER_NOT_FOUND]
            elif row.maker not in mine:
                not_canceled[i] = CANCEL_REASONS[RejectReason.NOT_OWNER]
            elif row.status.startswith("CANCELED"):  # cancelled before (a retry, or expired): what was asked holds
                already.append(i)
            elif row.status != "LIVE":
                not_canceled[i] = f"order is already {row.status.lower()}"
            else:
                todo.append(i)
        now = UnixSeconds(self.now())
        futures = [
            self.sequencer.submit(
                Submission(cancel_one_command(now, OrderId(i), EngineAddress(rows[i].maker)), {"owner": creds.api_key})
            )
            for i in todo
        ]
        canceled: list[str] = list(already)
        for i, outcome in zip(todo, await self._await(futures), strict=True):
            if isinstance(outcome, ServiceError):
                not_canceled[i] = outcome.message
                continue
            for ev in outcome.events:
                if isinstance(ev, OrderCancelled):
                    canceled.append(ev.order_id)
                elif isinstance(ev, CancelRejected):
                    not_canceled[i] = CANCEL_REASONS.get(ev.reason, ev.reason.value)
        return CancelResult(canceled, not_canceled)

    def _order_rows(self, ids: list[str]) -> dict[str, OrderRecord]:
        return {i: r for i in ids if (r := self.queries.order(i)) is not None}

    async def cancel_all(
        self, creds: L2Credentials, market: str | None = None, token_id: int | None = None
    ) -> CancelResult:
        """Cancel every resting order of the user (optionally of one market and/or one token): its own, and its
        proxy wallet's and Safe's that have any (one engine command per maker)."""
        now = UnixSeconds(self.now())
        mid = MarketId(market.lower()) if market else None
        tid = TokenId(token_id) if token_id is not None else None
        makers = [creds.address] + await asyncio.to_thread(self._wallets_with_live_orders, creds.address)
        canceled: list[str] = []
        for maker in makers:
            command = CancelAll(UNSEQUENCED, now, EngineAddress(maker), mid, tid)
            outcome = await self._run(Submission(command, {"owner": creds.api_key}))
            canceled += [ev.order_id for ev in outcome.events if isinstance(ev, OrderCancelled)]
        return CancelResult(canceled, {})

    def _wallets_with_live_orders(self, signer: str) -> list[str]:
        wallets = sorted(addresses_of(self.verifier.wallets, signer) - {signer.lower()})
        return [w for w in wallets if self.queries.open_orders(w, OrderFilter(), 0, 1).items]

    # --- reads -----------------------------------------------------------------------------------------------------
    def order(self, creds: L2Credentials, order_id: str) -> OrderRecord:
        record = self.queries.order(order_id.lower()) if is_order_id(order_id.lower()) else None
        if record is None or record.maker not in addresses_of(self.verifier.wallets, creds.address):
            raise ServiceError(ErrorCode.NOT_FOUND, "order not found")
        return record

    def open_orders(self, creds: L2Credentials, flt: OrderFilter, offset: int, limit: int) -> Page[OrderRecord]:
        return self.queries.open_orders(sorted(addresses_of(self.verifier.wallets, creds.address)), flt, offset, limit)

    def trades(self, creds: L2Credentials, flt: TradeFilter, offset: int, limit: int) -> Page[TradeRecord]:
        return self.queries.trades(sorted(addresses_of(self.verifier.wallets, creds.address)), flt, offset, limit)

    def token(self, token_id: str | None) -> TokenRef:
        ref = self.markets.token(parse_token_id(token_id))
        if ref is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No orderbook exists for the requested token id")
        return ref

    def book(self, token_id: str | None) -> dict[str, Any]:
        """The token's OrderBookSummary, in Polymarket's JSON shape."""
        return self.markets.summary(self.token(token_id), int(self.clock() * 1000))

    def _best(self, token_id: str | None) -> tuple[int | None, int | None]:
        return self.markets.best(self.token(token_id).token_id)

    def price(self, token_id: str | None, side: str | None) -> int:
        """BUY: the best bid; SELL: the best ask (pips)."""
        if side is None or side.upper() not in ("BUY", "SELL"):
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "Invalid side")
        bid, ask = self._best(token_id)
        value = bid if side.upper() == "BUY" else ask
        if value is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"No {'bids' if side.upper() == 'BUY' else 'asks'} on the book")
        return value

    def midpoint(self, token_id: str | None) -> tuple[int, int]:
        """(bid + ask) as a pair (numerator in pips, denominator 2) to stay exact."""
        bid, ask = self._best(token_id)
        if bid is None or ask is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No midpoint: one side of the book is empty")
        return bid + ask, 2

    def spread(self, token_id: str | None) -> int:
        bid, ask = self._best(token_id)
        if bid is None or ask is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "No spread: one side of the book is empty")
        return ask - bid

    def last_trade(self, token_id: str | None) -> LastTrade | None:
        return self.markets.last_trade(self.token(token_id).token_id)

    def tick_size(self, token_id: str | None) -> int:
        """Tick decimals of the token's market."""
        info = self.markets.info(self.token(token_id).market)
        assert info is not None
        return info.tick_decimals

    def fee_rate(self, token_id: str | None) -> int:
        info = self.markets.info(self.token(token_id).market)
        assert info is not None
        return info.fee_rate_bps

    @property
    def exchange_address(self) -> str:
        return checksum_address(self.verifier.exchange)

    def token_prices(self, market: MarketRecord) -> dict[str, str]:
        """Last trade price per token id of a market (tokens never traded are absent)."""
        out: dict[str, str] = {}
        for token in (market.yes_token, market.no_token):
            last = self.markets.last_trade(int(token))
            if last is not None:
                out[token] = last.price
        return out

    def markets_page(self, offset: int, limit: int) -> Page[MarketRecord]:
        records = self.markets.records(offset, limit + 1)
        return Page(records[:limit], offset, limit, len(records) > limit)

    def market(self, condition_id: str) -> MarketRecord:
        record = self.markets.record(condition_id)
        if record is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        return record

    async def balance_allowance(
        self,
        creds: L2Credentials,
        asset_type: str | None,
        token_id: str | None,
        refresh: bool,
        signature_type: str | None = None,
    ) -> Holding:
        """The user's on-chain balance and allowance to the exchange (cached; ``refresh`` re-reads the chain): of
        the signer itself, or with ``signature_type`` 1 / 2 of its proxy wallet / Safe (the funder)."""
        chain = self.chain
        if chain is None:
            raise ServiceError(ErrorCode.CHAIN_VIEW_DISABLED, "balance-allowance is not available on this server")
        try:
            holder = funder_of(self.verifier.wallets, signature_type, creds.address)
        except ValueError as exc:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, str(exc)) from None
        kind = (asset_type or "").upper()
        if kind == "COLLATERAL":
            asset = COLLATERAL
        elif kind == "CONDITIONAL":
            asset = parse_token_id(token_id)
        else:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "asset_type must be COLLATERAL or CONDITIONAL")
        if refresh:
            await asyncio.to_thread(chain.nonce, holder, True)
        return await asyncio.to_thread(chain.holding, holder, asset, refresh)

    def on_trade_status(self, trade: Mapping[str, Any], status: str, tx_hash: str) -> None:
        """A settlement status change (a batcher row listener, or the bus): once a trade is CONFIRMED its parties'
        cached chain state is dropped, so their next order is checked against balances that reflect it (and the
        obligations it settled no longer count, `clob.service.obligations`)."""
        if status != "CONFIRMED" or self.chain is None:
            return
        parties = {str(trade.get("taker", ""))} | {str(m.get("maker", "")) for m in trade.get("makers", ())}
        for address in parties - {""}:
            self.chain.invalidate(address)

    def invalidate_chain_state(self, address: str, asset_id: int | None = None) -> None:
        """Forget cached balances (e.g. when the indexer sees a transfer or approval of ``address``)."""
        if self.chain is not None:
            self.chain.invalidate(address, asset_id)

    # --- heartbeats ------------------------------------------------------------------------------------------------
    def heartbeat(self, creds: L2Credentials, heartbeat_id: str | None) -> str:
        return self.heartbeats.beat(creds.address, heartbeat_id)

    async def expire_heartbeats(self) -> list[str]:
        """Cancel all orders of every user whose heartbeat lapsed; return those users."""
        gone = await asyncio.to_thread(self.heartbeats.lapsed)
        now = UnixSeconds(self.now())
        futures = [
            self.sequencer.submit(Submission(cancel_all_command(now, EngineAddress(address)), {"reason": "heartbeat"}))
            for address in gone
        ]
        await self._await(futures)
        return gone

    async def run_heartbeat_monitor(self, interval_s: float | None = None) -> None:
        """Forever: expire lapsed heartbeats every ``interval_s`` (default: a quarter of the timeout, ≤ 1 s)."""
        interval = interval_s if interval_s is not None else min(1.0, self.heartbeats.timeout_s / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire_heartbeats()
            except Exception:
                log.exception("heartbeat monitor failed")

    # --- admin -----------------------------------------------------------------------------------------------------
    async def create_market(self, spec: MarketSpec) -> MarketRecord:
        condition = spec.condition_id.lower()
        if not is_order_id(condition):
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "condition_id must be 0x followed by 64 hex digits")
        try:
            tick = TickSize.parse(spec.tick_size)
        except ValueError as exc:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, str(exc)) from None
        for name, token in (("yes_token_id", spec.yes_token_id), ("no_token_id", spec.no_token_id)):
            if not 0 < token < 1 << 256:
                raise ServiceError(ErrorCode.INVALID_PAYLOAD, f"{name} must be a uint256 above 0")
        if spec.yes_token_id == spec.no_token_id:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "yes_token_id and no_token_id must differ")
        now = UnixSeconds(self.now())
        meta: dict[str, Any] = {
            "question_id": spec.question_id,
            "question": spec.question,
            "description": spec.description,
            "market_slug": spec.market_slug,
            "oracle": spec.oracle,
            "end_date_iso": spec.end_date_iso,
        }
        if spec.shard:
            meta["shard"] = spec.shard
        outcome = await self._run(
            Submission(
                CreateMarket(
                    UNSEQUENCED,
                    now,
                    MarketId(condition),
                    TokenId(spec.yes_token_id),
                    TokenId(spec.no_token_id),
                    tick.decimals,
                    BaseUnits(spec.min_order_size),
                    spec.fee_rate_bps,
                ),
                meta,
            )
        )
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market not created: {ev.reason.value}")
        return self.market(condition)

    async def set_market_open(self, condition_id: str, open_: bool) -> MarketRecord:
        """Halt (``open_`` false) or resume a market."""
        market = MarketId(condition_id.lower())
        if self.markets.info(market) is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        now = UnixSeconds(self.now())
        command = ResumeMarket(UNSEQUENCED, now, market) if open_ else HaltMarket(UNSEQUENCED, now, market)
        outcome = await self._run(Submission(command, {}))
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                if ev.reason == RejectReason.UNKNOWN_MARKET:
                    raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market unchanged: {ev.reason.value}")
        return self.market(market)

    async def _market_command(
        self,
        condition_id: str,
        make: Callable[[UnixSeconds, MarketId], Command],
        meta: dict[str, Any] | None = None,
    ) -> MarketRecord:
        market = MarketId(condition_id.lower())
        if self.markets.info(market) is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "market not found")
        now = UnixSeconds(self.now())
        outcome = await self._run(Submission(make(now, market), meta or {}))
        for ev in outcome.events:
            if isinstance(ev, CommandRejected):
                raise ServiceError(ErrorCode.MARKET_REJECTED, f"market unchanged: {ev.reason.value}")
        return self.market(market)

    async def resolve_market(self, condition_id: str, winning_asset_id: str = "") -> MarketRecord:
        """Close a market for good (its condition resolved on chain): every resting order is cancelled with
        CANCELED_MARKET_RESOLVED and no order is accepted again. ``winning_asset_id`` (one of the market's tokens,
        or "" when unknown) is journaled with the command: ``tokens[].winner`` and ``market_resolved`` name it."""
        if winning_asset_id:
            info = self.markets.info(MarketId(condition_id.lower()))
            if info is not None and winning_asset_id not in (str(info.yes_token), str(info.no_token)):
                raise ServiceError(ErrorCode.INVALID_PAYLOAD, "winning_asset_id must be one of the market's tokens")
        meta = {"winning_asset_id": winning_asset_id} if winning_asset_id else {}
        return await self._market_command(condition_id, lambda now, m: ResolveMarket(UNSEQUENCED, now, m), meta)

    async def change_tick_size(self, condition_id: str, tick_size: str) -> MarketRecord:
        """Make the market's tick finer ("0.01" → "0.001"); publishes ``tick_size_change``."""
        decimals = TickSize.parse(tick_size).decimals
        return await self._market_command(condition_id, lambda now, m: ChangeTickSize(UNSEQUENCED, now, m, decimals))
