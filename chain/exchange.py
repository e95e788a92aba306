"""Typed helpers for our ``Exchange`` contract: orders as ABI tuples, EIP-712 hashes, signing, calldata, errors.

The order is the project's one ``orders.Order`` (Polymarket's V1 order, ``contracts/src/exchange/libraries/
OrderStructs.sol``); its EIP-712 digest, ``hash_order``, is ``orders.eip712``'s (the one definition of the type
hash and domain) and equals the contract's ``hashOrder`` and the API's order id. Amounts are 6-decimal base units:
BUY pays ``maker_amount`` collateral for ``taker_amount`` tokens, SELL the reverse. Addresses may be in any case
(tests and tools pass checksummed ones): hashing and encoding read their bytes, ``order_tuple`` checksums them.

The settlement batcher uses ``encode_match``, ``match_orders_calldata`` and ``match_orders_batch_calldata_from`` to
build operator transactions (one ABI encoder, written out for speed and checked against eth-abi: see "ABI
encoding" below), and ``decode_revert`` to turn the revert data of a failed simulation into the contract's error
name (``InvalidNonce``, ``OrderFilledOrCancelled``...) so it can isolate the bad trade.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain.markets import Market as Market
from chain.markets import fund_account
from chain.markets import prepare_market as prepare_market
from orders import MatchType as MatchType
from orders import Order as Order
from orders import Side as Side
from orders import SignatureType as SignatureType
from orders import eip712
from orders.signing import ExchangeDomain, sign_order
from orders.signing import sign_digest as sign_digest

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

ORDER_ABI = "(uint256,address,address,address,uint256,uint256,uint256,uint256,uint256,uint256,uint8,uint8,bytes)"
MATCH_ABI = f"({ORDER_ABI},{ORDER_ABI}[],uint256,uint256[])"
MAX_FEE_RATE_BPS = 1000


def match_type(taker_side: Side, maker_side: Side) -> MatchType:
    """BUY/BUY is MINT, SELL/SELL is MERGE, anything else COMPLEMENTARY."""
    if taker_side == maker_side:
        return MatchType.MINT if taker_side == Side.BUY else MatchType.MERGE
    return MatchType.COMPLEMENTARY


def order_tuple(order: Order) -> tuple[Any, ...]:
    """The ABI tuple web3/eth-abi expect for the contract's ``Order`` struct (checksummed addresses)."""
    return (
        order.salt,
        to_checksum_address(order.maker),
        to_checksum_address(order.signer),
        to_checksum_address(order.taker),
        order.token_id,
        order.maker_amount,
        order.taker_amount,
        order.expiration,
        order.nonce,
        order.fee_rate_bps,
        int(order.side),
        int(order.signature_type),
        bytes(order.signature),
    )


def domain_separator(chain_id: int, exchange: str) -> bytes:
    """hashStruct(EIP712Domain) of the exchange at ``exchange`` on ``chain_id`` (``orders.eip712``'s; the contract
    tests prove it equals ``Exchange.domainSeparator``)."""
    return eip712.domain_separator(chain_id, exchange, Order.version)


def hash_order(order: Order, chain_id: int, exchange: str) -> bytes:
    """The EIP-712 digest of ``order`` (= ``Exchange.hashOrder`` = the API's order id), 32 bytes."""
    return eip712.hash_order(order, eip712.domain_separator(chain_id, exchange, order.version))


def sign(order: Order, key: str | bytes, chain_id: int, exchange: str) -> Order:
    """A copy of ``order`` carrying the signature by ``key`` for the exchange at ``exchange`` on ``chain_id``."""
    return sign_order(order, key, ExchangeDomain(chain_id, exchange, order.version))


@dataclass(frozen=True, slots=True)
class Match:
    """The arguments of ``matchOrders``: one taker order against maker orders (fills in maker units)."""

    taker_order: Order
    maker_orders: tuple[Order, ...]
    taker_fill_amount: int
    maker_fill_amounts: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.maker_orders) != len(self.maker_fill_amounts):
            raise ValueError("one fill amount per maker order")

    def as_args(self) -> tuple[Any, ...]:
        """Positional arguments for ``matchOrders`` (and the element tuple of ``matchOrdersBatch``)."""
        return (
            order_tuple(self.taker_order),
            [order_tuple(o) for o in self.maker_orders],
            self.taker_fill_amount,
            list(self.maker_fill_amounts),
        )


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


MATCH_ORDERS_SELECTOR = _selector(f"matchOrders({ORDER_ABI},{ORDER_ABI}[],uint256,uint256[])")
MATCH_ORDERS_BATCH_SELECTOR = _selector(f"matchOrdersBatch({MATCH_ABI}[])")
FILL_ORDER_SELECTOR = _selector(f"fillOrder({ORDER_ABI},uint256)")
FILL_ORDERS_SELECTOR = _selector(f"fillOrders({ORDER_ABI}[],uint256[])")


# --- ABI encoding ------------------------------------------------------------------------------------------------
# One encoder for every calldata builder here and for the settlement batcher. It is written out by hand because the
# layouts are fixed and short: an ``Order`` is twelve static words and one ``bytes``; a ``Match`` is four head
# words and three tails. eth-abi's generic encoder gives the same bytes (tests/unit/chain/test_abi_encoding.py
# checks every builder against it, on random orders and matches) but costs ~1.3 ms a three-maker match against
# ~30 µs here, and the batcher encodes every trade it settles: ``settlement.matches.prepare`` keeps each trade's
# ``encode_match`` so that a batch's calldata is a concatenation (``match_orders_batch_calldata_from``).


def _word(value: int) -> bytes:
    """A ``uint256`` as one 32-byte big-endian word."""
    try:
        return value.to_bytes(32, "big")
    except OverflowError:
        raise ValueError(f"{value} is not a uint256") from None


def _uint8_word(value: int) -> bytes:
    if not 0 <= value < 256:
        raise ValueError(f"{value} is not a uint8")
    return _word(value)


def _address_word(address: str) -> bytes:
    raw = bytes.fromhex(address[2:] if address[:2] in ("0x", "0X") else address)
    if len(raw) != 20:
        raise ValueError(f"{address!r} is not a 20-byte address")
    return bytes(12) + raw


def _head_tail(parts: Sequence[int | bytes]) -> bytes:
    """A tuple of ``uint256`` values (ints: one head word each) and already-encoded dynamic values (bytes: an
    offset word in the head, the value in the tail); offsets count from the tuple's start."""
    head: list[bytes] = []
    tail: list[bytes] = []
    position = 32 * len(parts)
    for part in parts:
        if isinstance(part, int):
            head.append(_word(part))
        else:
            head.append(_word(position))
            tail.append(part)
            position += len(part)
    return b"".join(head) + b"".join(tail)


def _dynamic_array(pieces: Sequence[bytes]) -> bytes:
    """``T[]`` of a dynamic ``T`` from its encoded elements: the length, then the elements as a tuple."""
    return _word(len(pieces)) + _head_tail(pieces)


def _uint_array(values: Sequence[int]) -> bytes:
    return _word(len(values)) + b"".join(_word(v) for v in values)


def encode_order(order: Order) -> bytes:
    """The ABI encoding of the ``Order`` tuple (dynamic, because of ``bytes signature``): twelve static words, the
    signature's offset (13 words), then its length and its bytes right-padded to 32."""
    sig = bytes(order.signature)
    return b"".join(
        (
            _word(order.salt),
            _address_word(order.maker),
            _address_word(order.signer),
            _address_word(order.taker),
            _word(order.token_id),
            _word(order.maker_amount),
            _word(order.taker_amount),
            _word(order.expiration),
            _word(order.nonce),
            _word(order.fee_rate_bps),
            _uint8_word(int(order.side)),
            _uint8_word(int(order.signature_type)),
            _word(13 * 32),
            _word(len(sig)),
            sig,
            bytes(-len(sig) % 32),
        )
    )


def encode_match(match: Match) -> bytes:
    """The ABI encoding of ``(takerOrder, makerOrders, takerFillAmount, makerFillAmounts)``: the arguments of
    ``matchOrders`` and one element of ``matchOrdersBatch``'s ``Match[]`` (a dynamic tuple, self-contained: its
    offsets count from its own start)."""
    return _head_tail(
        (
            encode_order(match.taker_order),
            _dynamic_array([encode_order(o) for o in match.maker_orders]),
            match.taker_fill_amount,
            _uint_array(match.maker_fill_amounts),
        )
    )


def match_orders_calldata(match: Match) -> bytes:
    """Calldata of ``matchOrders(takerOrder, makerOrders, takerFillAmount, makerFillAmounts)``."""
    return MATCH_ORDERS_SELECTOR + encode_match(match)


def match_orders_batch_calldata_from(encoded: Sequence[bytes]) -> bytes:
    """``matchOrdersBatch(matches)`` from the matches' ``encode_match`` pieces (the batcher keeps them per trade)."""
    return MATCH_ORDERS_BATCH_SELECTOR + _head_tail((_dynamic_array(encoded),))


def match_orders_batch_calldata(matches: Iterable[Match]) -> bytes:
    """Calldata of ``matchOrdersBatch(matches)``: all matches settle, or the transaction reverts."""
    return match_orders_batch_calldata_from([encode_match(m) for m in matches])


def fill_order_calldata(order: Order, fill_amount: int) -> bytes:
    """Calldata of ``fillOrder(order, fillAmount)``."""
    return FILL_ORDER_SELECTOR + _head_tail((encode_order(order), fill_amount))


def fill_orders_calldata(orders: Sequence[Order], fill_amounts: Sequence[int]) -> bytes:
    """Calldata of ``fillOrders(orders, fillAmounts)``."""
    return FILL_ORDERS_SELECTOR + _head_tail(
        (_dynamic_array([encode_order(o) for o in orders]), _uint_array(fill_amounts))
    )


# Every custom error the exchange can raise, its own and those of the OpenZeppelin code it uses. A unit test
# checks this list against the compiled ABI.
ERROR_SIGNATURES: tuple[str, ...] = (
    "NotAdmin()",
    "NotOperator()",
    "Paused()",
    "InvalidComplement()",
    "InvalidTokenId()",
    "AlreadyRegistered()",
    "InvalidSignature()",
    "UnsupportedSignatureType()",
    "FeeTooHigh()",
    "NotOwner()",
    "NotTaker()",
    "OrderFilledOrCancelled()",
    "OrderExpired()",
    "InvalidNonce()",
    "MakingGtRemaining()",
    "NotCrossing()",
    "MismatchedTokenIds()",
    "TooLittleTokensReceived()",
    "LengthMismatch()",
    "NotAContract()",
    "TransferFailed()",
    "UnexpectedToken()",
    "ReentrancyGuardReentrantCall()",
    "SafeCastOverflowedUintDowncast(uint8,uint256)",
)
# The neg-risk exchange's own error and those of the NegRiskAdapter (and its wrapped collateral), which a MINT or
# MERGE on the neg-risk exchange bubbles up unchanged.
NEG_RISK_ERROR_SIGNATURES: tuple[str, ...] = (
    "AdapterMismatch()",
    "EventAlreadyPrepared()",
    "UnknownEvent()",
    "NotOracle()",
    "EventAlreadyDetermined()",
    "TooManyOutcomes()",
    "UnknownOutcome()",
    "OutcomeAlreadyReported()",
    "UnknownCondition()",
    "UnsupportedPosition()",
    "InvalidIndexSet()",
    "InvalidAmounts()",
    "UnexpectedTransfer()",
    "InsufficientBalance()",
    "InvalidReceiver()",
)
# ExchangeV2's and the CrossMatcher's own errors (the rest they share with the V1 exchange).
V2_ERROR_SIGNATURES: tuple[str, ...] = ("InvalidFeeExponent()", "Unbalanced()", "NotAPair()")
ERRORS_BY_SELECTOR: dict[bytes, str] = {
    _selector(sig): sig for sig in (*ERROR_SIGNATURES, *NEG_RISK_ERROR_SIGNATURES, *V2_ERROR_SIGNATURES)
}
_ERROR_STRING = _selector("Error(string)")
_PANIC = _selector("Panic(uint256)")


@dataclass(frozen=True, slots=True)
class RevertReason:
    """A decoded revert: the error name (``InvalidNonce``, ``Error``, ``Panic``, or ``unknown``) and its args."""

    name: str
    args: tuple[Any, ...] = ()
    data: bytes = b""


def decode_revert(data: bytes | str | None) -> RevertReason:
    """Decode revert data into the error's name and arguments.

    Exchange errors (the neg-risk exchange's and adapter's included) decode by selector; ``Error(string)`` (e.g. a
    CTF require message) and ``Panic(uint256)`` decode with their argument; anything else, including an empty
    revert, is ``unknown``.
    """
    raw = _as_bytes(data)
    if len(raw) < 4:
        return RevertReason("unknown", (), raw)
    selector, body = raw[:4], raw[4:]
    if selector == _ERROR_STRING:
        return RevertReason("Error", tuple(abi_decode(["string"], body)), raw)
    if selector == _PANIC:
        return RevertReason("Panic", tuple(abi_decode(["uint256"], body)), raw)
    signature = ERRORS_BY_SELECTOR.get(selector)
    if signature is None:
        return RevertReason("unknown", (), raw)
    name, _, params = signature.partition("(")
    types = [t for t in params.rstrip(")").split(",") if t]
    return RevertReason(name, tuple(abi_decode(types, body)) if types else (), raw)


def revert_data(exc: BaseException) -> bytes:
    """The revert data carried by a web3 exception (``ContractCustomError``, ``ContractLogicError``...)."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, (str, bytes)):
        return _as_bytes(data)
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, str) and arg.startswith("0x"):
            return _as_bytes(arg)
    return b""


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


# The local-chain market helpers (a registered binary market, funded and approved traders) live in
# ``chain.markets``; the benchmarks still import them from here, ``fund_trader`` being ``fund_account``.
fund_trader = fund_account
