"""The exchange service of a deployment, built from `Settings`.

- the database (migrated), with the SQLite tuning of the settings;
- the command stream: the embedded `Sequencer` of ``settings.stream`` with its obligations ledger, or (distributed
  mode) a gateway's `ShardRouter` over the shards' streams — which is also the gateway's trade status feed;
- the order verifier for the deployment's exchange, and the cached chain view if balances are checked.

Addresses come from the settings, else from the deployment manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.deploy import Manifest
from chain.rpc import connect
from clob.distributed.router import ShardRouter
from clob.service.chain_view import CachedChainView, Web3ChainState
from clob.service.exchange import ExchangeService
from clob.service.keys import load_master_secret
from clob.service.obligations import settlement_obligations
from clob.service.ports import CommandStream, TradeStatusFeed
from clob.service.sequencer import Sequencer
from clob.service.wallet_rules import load_wallet_rules
from clob.settings import Settings
from orders import OrderVerifier
from store import connect_database
from store.db import Database


@dataclass(frozen=True)
class Exchange:
    """The service, and what only a gateway has: the trade status changes of batchers in other processes."""

    service: ExchangeService
    status_feed: TradeStatusFeed | None = None


def command_stream(settings: Settings, db: Database) -> Sequencer | ShardRouter:
    """The embedded sequencer of ``settings.stream``, or (distributed mode) a gateway over the shards' streams."""
    if settings.mode == "distributed":
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


def build_exchange(settings: Settings) -> Exchange:
    """The deployment's `ExchangeService` (module docstring), not started."""
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
        collateral = settings.collateral_address or contracts.get("collateral", "")
        ctf = settings.ctf_address or contracts.get("ctf", "")
        state = Web3ChainState(connect(settings.rpc_url), collateral, ctf, exchange)
        chain = CachedChainView(state, max_age_s=settings.balance_cache_s)
    stream = command_stream(settings, db)
    commands: CommandStream = stream
    service = ExchangeService(
        db=db,
        sequencer=commands,
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
    return Exchange(service, stream if isinstance(stream, ShardRouter) else None)
