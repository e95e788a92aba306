"""Why a match cannot settle, and which of its orders is to blame.

The revert of a simulated batch names the error (``InvalidNonce``, ``OrderFilledOrCancelled``, an ERC20/ERC1155
transfer failure...) but not the order. ``offending_orders`` asks the chain about each order of the match, with
views only:

1. ``validateOrder(order)`` — expired, bad signature, fee too high, unregistered token, filled or cancelled on
   chain, nonce bumped (``incrementNonce``);
2. ``getOrderStatus(hash)`` — less ``remaining`` than this fill needs;
3. what the order's maker must hand over (its maker asset: collateral for a BUY, the outcome token for a SELL):
   balance and allowance (ERC20 ``allowance`` / ERC1155 ``isApprovedForAll``) against the amount.

The taker's amount is what it actually pays (``settlement.matches.taker_spend``), each maker's its ``making``.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from chain.exchange import ORDER_ABI, Match, decode_revert, order_tuple
from orders import Order, Side, StoredTrade
from settlement.chain import ChainClient
from settlement.errors import RevertedError, RpcError
from settlement.matches import taker_spend

# OpenZeppelin 5 ERC20/ERC1155 errors and other common reverts the exchange's own list does not name.
_EXTRA_ERRORS = (
    "ERC20InsufficientBalance(address,uint256,uint256)",
    "ERC20InsufficientAllowance(address,uint256,uint256)",
    "ERC1155InsufficientBalance(address,uint256,uint256,uint256)",
    "ERC1155MissingApprovalForAll(address,address)",
)
_EXTRA_BY_SELECTOR = {keccak(text=sig)[:4]: sig for sig in _EXTRA_ERRORS}


def describe_revert(data: bytes, message: str = "") -> str:
    """A short, stable name for revert data: ``InvalidNonce``, ``ERC20InsufficientAllowance``, ``Error: <msg>``."""
    reason = decode_revert(data)
    if reason.name == "Error" and reason.args:
        return f"Error: {reason.args[0]}"
    if reason.name == "Panic" and reason.args:
        return f"Panic: 0x{int(reason.args[0]):02x}"
    if reason.name != "unknown":
        return reason.name
    sig = _EXTRA_BY_SELECTOR.get(data[:4])
    if sig is not None:
        return sig.split("(", 1)[0]
    if data:
        return f"unknown revert 0x{data[:4].hex()}"
    return message or "reverted without data"


def _selector(sig: str) -> bytes:
    return keccak(text=sig)[:4]


_VALIDATE = _selector(f"validateOrder({ORDER_ABI})")
_STATUS = _selector("getOrderStatus(bytes32)")
_BALANCE_OF = _selector("balanceOf(address)")
_ALLOWANCE = _selector("allowance(address,address)")
_BALANCE_OF_1155 = _selector("balanceOf(address,uint256)")
_APPROVED_FOR_ALL = _selector("isApprovedForAll(address,address)")


@dataclass(frozen=True, slots=True)
class Finding:
    order_id: str
    reason: str


class Diagnoser:
    """Read-only checks of the orders of a failed match."""

    def __init__(self, chain: ChainClient, operator: str, exchange: str, collateral: str, ctf: str) -> None:
        self.chain = chain
        self.operator = operator
        self.exchange = exchange
        self.collateral = collateral
        self.ctf = ctf

    def _call(self, to: str, data: bytes) -> bytes:
        return self.chain.call(self.operator, to, data)

    def _uint(self, to: str, data: bytes) -> int:
        value: int = abi_decode(["uint256"], self._call(to, data))[0]
        return value

    def check_order(self, order_id: str, order: Order, amount: int) -> str | None:
        """Why ``order`` cannot give ``amount`` (maker units) now, or None if it can."""
        try:
            self._call(self.exchange, _VALIDATE + abi_encode([ORDER_ABI], [order_tuple(order)]))
        except RevertedError as exc:
            return describe_revert(exc.data, exc.message)
        digest = bytes.fromhex(order_id[2:])
        filled, remaining = abi_decode(["bool", "uint256"], self._call(self.exchange, _STATUS + digest))
        if filled:
            return "OrderFilledOrCancelled"
        if remaining != 0 and remaining < amount:
            return "MakingGtRemaining"
        maker = order.maker
        if order.side == Side.BUY:
            balance = self._uint(self.collateral, _BALANCE_OF + abi_encode(["address"], [maker]))
            allowance = self._uint(
                self.collateral, _ALLOWANCE + abi_encode(["address", "address"], [maker, self.exchange])
            )
            if balance < amount:
                return "collateral balance too low"
            if allowance < amount:
                return "collateral allowance too low"
        else:
            balance = self._uint(
                self.ctf, _BALANCE_OF_1155 + abi_encode(["address", "uint256"], [maker, order.token_id])
            )
            approved = abi_decode(
                ["bool"],
                self._call(self.ctf, _APPROVED_FOR_ALL + abi_encode(["address", "address"], [maker, self.exchange])),
            )[0]
            if balance < amount:
                return "token balance too low"
            if not approved:
                return "token approval missing"
        return None

    def offending_orders(self, match: Match, trade: StoredTrade) -> tuple[Finding, ...]:
        """Every order of the match that cannot deliver its part of this trade, with the reason."""
        parts: list[tuple[str, Order, int]] = [(trade.taker_order_id, match.taker_order, taker_spend(trade))]
        for m, order in zip(trade.makers, match.maker_orders, strict=True):
            parts.append((m.order_id, order, m.making))
        needed: dict[str, int] = {}
        for oid, _order, amount in parts:
            needed[oid] = needed.get(oid, 0) + amount
        findings: list[Finding] = []
        seen: set[str] = set()
        for oid, order, _amount in parts:
            if oid in seen:
                continue
            seen.add(oid)
            try:
                reason = self.check_order(oid, order, needed[oid])
            except (RevertedError, RpcError):
                continue  # a view we cannot read blames nobody
            if reason is not None:
                findings.append(Finding(oid, reason))
        return tuple(findings)
