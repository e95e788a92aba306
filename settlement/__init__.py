"""The settlement batcher: matched trades become operator transactions on the exchange contract, exactly once.

The sequencer writes every trade to the ``trades`` table as MATCHED. The batcher reads them from there (never
from memory), simulates them, groups them into operator transactions (``matchOrders`` for one trade,
``matchOrdersBatch`` for several, capped by gas), signs them locally with the operator key, and follows each
transaction to its confirmation depth, moving the trades through Polymarket's statuses:

    MATCHED ──sent──▶ (MATCHED) ──receipt──▶ MINED ──depth, block still canonical──▶ CONFIRMED
                  ╲                        ╲ revert / reorged out ▶ RETRYING ──▶ (re-sent) ──▶ MINED ...
                   ╲ simulation fails ▶ FAILED (decoded error; ``on_trade_failed`` hooks)

Modules:

- ``batcher``: ``Batcher`` — the core (``recover``, ``step``, listeners, failure hooks); the crash-safety rules.
- ``service``: ``SettlementService`` — apscheduler driving ``step`` (flush on interval and on size, back-off).
- ``store`` / ``schema``: the ``settlement_txs``, ``settlement_attempts``, ``settlement_tx_trades`` tables
  (migration ``0003_settlement``) and the batcher's writes to ``trades``.
- ``chain``: the ``ChainClient`` seam and ``RpcChain`` (raw JSON-RPC over a web3 ``HTTPProvider``).
- ``matches``: stored trade + signed orders → ``matchOrders`` arguments and calldata; ``grouping``: gas model,
  grouping, failure bisection; ``simulate``: one ``eth_call`` per group, locating the failing match;
  ``fees``: EIP-1559 bids and replacement bumps; ``signer``: local signing; ``diagnose``: which order of a
  failed match is to blame.
- ``cli``: ``python -m settlement``.

See docs/settlement.md.
"""

from settlement.batcher import Batcher, BatcherStats
from settlement.chain import ChainClient, RpcChain, SendOutcome, SendResult
from settlement.cli import create_batcher
from settlement.config import CRASH_POINTS, SettlementConfig
from settlement.errors import OrderDataError, RevertedError, RpcError, RpcUnavailableError, SettlementError
from settlement.grouping import GasModel
from settlement.model import FailedTrade, StatusChange, TradeStatus, TxStatus
from settlement.service import SettlementService
from settlement.signer import OperatorSigner
from settlement.store import SettlementStore

__all__ = [
    "CRASH_POINTS",
    "Batcher",
    "BatcherStats",
    "ChainClient",
    "FailedTrade",
    "GasModel",
    "OperatorSigner",
    "OrderDataError",
    "RevertedError",
    "RpcChain",
    "RpcError",
    "RpcUnavailableError",
    "SendOutcome",
    "SendResult",
    "SettlementConfig",
    "SettlementError",
    "SettlementService",
    "SettlementStore",
    "StatusChange",
    "TradeStatus",
    "TxStatus",
    "create_batcher",
]
