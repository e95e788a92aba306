"""The matching engine: a pure, deterministic state machine over binary prediction markets.

``engine = Engine(); events = engine.apply(command)``. Commands (`commands`) in, events (`events`) out; no clock,
no I/O, standard library only, integers only (`types`: base units, pips).

- One unified book per market serves both outcome tokens, in YES-price space (`book`). A BUY YES at p crosses a
  SELL YES at <= p (COMPLEMENTARY) and a BUY NO at >= 1 - p (MINT); a SELL YES crosses a BUY YES at >= p and a
  SELL NO at <= 1 - p (MERGE); the same for NO. Price-time priority spans both representations; the maker's
  price is the execution price.
- Fills are computed in the exchange contract's terms (maker units, floor rounding, remaining per order), so
  each `Trade` is one `matchOrders` call that settles as emitted (`matching`; the tests settle every trade on a
  model of the contract, `tests/unit/engine/contract_model.py`).
- Order types GTC, GTD, FOK, FAK, post-only; tick, precision, minimum size and expiry rules (`placement`);
  self-trade prevention cancels the resting order; halt, resume, resolve, tick refinement, cancels (`admin`).
- Queries return frozen snapshots (`views`); `state_hash` fingerprints the state; `check_invariants` verifies it.
- `Engine.snapshot()` / `Engine.restore(data)` save and rebuild the whole state as versioned bytes (`snapshot`).

`make bootstrap` compiles most of these modules with mypyc (`scripts/build_engine.py`); the same sources run as
pure Python when there is no build, with identical events, state hashes and snapshots.
"""

from clob.engine.commands import (
    CancelAll,
    CancelMarketOrders,
    CancelOrder,
    ChangeTickSize,
    Command,
    CreateMarket,
    ExpireOrders,
    HaltMarket,
    PlaceOrder,
    ResolveMarket,
    ResumeMarket,
)
from clob.engine.engine import Engine
from clob.engine.events import (
    BookDelta,
    CancelRejected,
    CommandRejected,
    Event,
    MakerFill,
    MarketCreated,
    MarketStatusChanged,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    TickSizeChanged,
    Trade,
)
from clob.engine.invariants import check_invariants
from clob.engine.snapshot import SnapshotError
from clob.engine.types import (
    GTD_SAFETY_MARGIN_S,
    MAX_FEE_RATE_BPS,
    MIN_MARKET_BUY,
    PRICE_SCALE,
    SHARE_STEP,
    Address,
    BaseUnits,
    CancelReason,
    EngineError,
    InvariantError,
    MarketId,
    MarketStatus,
    MatchType,
    OrderId,
    OrderStatus,
    OrderType,
    Pips,
    RejectReason,
    Seq,
    Side,
    TokenId,
    UnixSeconds,
    tick_pips,
)
from clob.engine.views import MarketInfo, OrderView, Reserved, TokenBook

__all__ = [
    "GTD_SAFETY_MARGIN_S",
    "MAX_FEE_RATE_BPS",
    "MIN_MARKET_BUY",
    "PRICE_SCALE",
    "SHARE_STEP",
    "Address",
    "BaseUnits",
    "BookDelta",
    "CancelAll",
    "CancelMarketOrders",
    "CancelOrder",
    "CancelReason",
    "CancelRejected",
    "ChangeTickSize",
    "Command",
    "CommandRejected",
    "CreateMarket",
    "Engine",
    "EngineError",
    "Event",
    "ExpireOrders",
    "HaltMarket",
    "InvariantError",
    "MakerFill",
    "MarketCreated",
    "MarketId",
    "MarketInfo",
    "MarketStatus",
    "MarketStatusChanged",
    "MatchType",
    "OrderAccepted",
    "OrderCancelled",
    "OrderId",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "OrderUpdated",
    "OrderView",
    "Pips",
    "PlaceOrder",
    "RejectReason",
    "Reserved",
    "ResolveMarket",
    "ResumeMarket",
    "Seq",
    "Side",
    "SnapshotError",
    "TickSizeChanged",
    "TokenBook",
    "TokenId",
    "Trade",
    "UnixSeconds",
    "check_invariants",
    "tick_pips",
]
