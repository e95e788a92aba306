"""The batcher's settings, with the defaults the stack runs on (see docs/settlement.md, "Configuration")."""

from __future__ import annotations

from dataclasses import dataclass

CRASH_POINTS = ("before_send", "after_send", "after_receipt", "before_confirm")


@dataclass(frozen=True, slots=True)
class SettlementConfig:
    """Every knob of the batcher. Times in seconds, gas in gas units, fees in wei."""

    confirmations: int = 2
    """blocks on top of the including block before a trade is CONFIRMED (0: CONFIRMED as soon as mined)"""

    flush_interval: float = 0.25
    """flush whatever is pending at least this often"""
    flush_size: int = 20
    """flush at once when this many trades are pending"""
    poll_interval: float = 0.1
    """how often in-flight transactions are reconciled with the chain"""

    use_batch: bool = True
    """several matches per transaction through ``matchOrdersBatch``; False: one ``matchOrders`` per trade"""
    max_gas_per_tx: int = 8_000_000
    """cap of one transaction's gas (the gas model's sum when grouping, and the node's estimate)"""
    max_trades_per_tx: int = 64
    max_in_flight: int = 12
    """transactions sent and not yet mined (consecutive nonces): enough to fill the next block or two while
    the current one is being built, so the chain never waits for the batcher's next flush"""
    gas_margin: float = 1.25
    """gas limit = node estimate x margin (+ 20k)"""

    priority_fee_wei: int | None = None
    """tip; None: the node's ``eth_maxPriorityFeePerGas``"""
    max_fee_cap_wei: int = 2_000 * 10**9
    """never bid more than this per gas"""
    fee_bump: float = 0.125
    """replacement raises both fee fields by at least this fraction (geth needs 10 %)"""
    replace_after: float = 20.0
    """a transaction not mined this long after its latest attempt is re-signed with bumped fees"""
    rebroadcast_after: float = 3.0
    """an unmined transaction is re-sent (same raw bytes) this often, in case the node dropped it"""
    cancel_after_rejections: int = 20
    """a nonce whose broadcasts the node keeps rejecting is filled with a 0-value self-transfer after this many"""
    max_settle_attempts: int = 5
    """a trade whose transactions reverted on chain this many times is FAILED"""

    chain_check_interval: float = 1.0
    """how often the chain is checked for a rollback below what the batcher recorded (also at start-up and
    whenever the head moves backwards)"""
    gap_fill_after: float = 10.0
    """a nonce below ours that neither a transaction of ours nor the node's pool holds for this long is filled
    with a cancel (another sender's transaction lost in a rollback; right after a detected rollback: at once)"""
    rollback_check_depth: int = 64
    """when the newest recorded block is no longer canonical, how many CONFIRMED transactions are re-checked"""

    rpc_timeout: float = 10.0
    crash_at: str | None = None
    """test hook: ``os._exit`` at this point (one of CRASH_POINTS) the first time it is reached"""

    def __post_init__(self) -> None:
        if self.confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        if self.max_in_flight < 1 or self.max_trades_per_tx < 1 or self.flush_size < 1:
            raise ValueError("max_in_flight, max_trades_per_tx and flush_size must be >= 1")
        if self.crash_at is not None and self.crash_at not in CRASH_POINTS:
            raise ValueError(f"crash_at must be one of {CRASH_POINTS}")
        if self.gas_margin < 1.0:
            raise ValueError("gas_margin must be >= 1")
