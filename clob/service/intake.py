"""Order intake: every check a signed order passes before it reaches the sequencer, each with its own error.

`OrderIntake.check` runs, in order (first failure wins; cheap checks before the signature recovery):

1. shape: `orders.parse_order_request` (``INVALID_ORDER_PAYLOAD``);
2. ownership: ``owner`` is the L2 API key (``INVALID_ORDER_OWNER``) and ``signer`` its wallet
   (``INVALID_ORDER_SIGNER``); ``taker`` is the zero address (``INVALID_ORDER_TAKER``): public orders only;
3. market: the token belongs to a market (``MARKET_NOT_FOUND``) that is open (``MARKET_NOT_READY``);
4. expiration: GTD needs one later than now + 60 s, Polymarket's safety threshold; GTC/FOK/FAK need 0
   (``INVALID_ORDER_EXPIRATION``);
5. fee rate equal to the market's (``INVALID_ORDER_FEE_RATE``);
6. amounts: positive, bounded, tick and precision per the rounding table (`orders.validate_order_amounts`:
   ``INVALID_ORDER_MIN_TICK_SIZE`` for an off-tick price, ``INVALID_ORDER_AMOUNT`` otherwise), then the market's
   minimum size (``INVALID_ORDER_MIN_SIZE``): a market (FOK/FAK) BUY spends at least $1 (Polymarket sizes market
   buys in dollars); every other order has at least the market's minimum size in shares;
7. signature under this deployment's EIP-712 domain, EOA with signer == maker (``INVALID_SIGNATURE``); an order
   signed for another chain id or exchange recovers to another address and fails here;
8. nonce equal to the maker's on-chain ``nonces(maker)`` (``INVALID_ORDER_NONCE``), from the cached chain view;
9. the maker's spendable balance (min of balance and allowance to the exchange) of what the order gives, read here
   from the cached chain view with the block it was read at; the sequencer then checks that it covers the maker's
   resting orders, its matched but unsettled fills and this order (`balance_reservation`,
   `clob.service.obligations`, ``INVALID_ORDER_NOT_ENOUGH_BALANCE``).

Steps 8 and 9 are skipped when the service runs without a chain view (``Settings.check_balances`` false).
Duplicates (``INVALID_ORDER_DUPLICATED``) are the facade's: they need the order store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clob.auth import L2Credentials
from clob.engine import GTD_SAFETY_MARGIN_S, MIN_MARKET_BUY, MarketInfo, MarketStatus, TokenId
from clob.engine.types import Address as EngineAddress
from clob.service.chain_view import COLLATERAL
from clob.service.errors import ErrorCode, ServiceError
from clob.service.markets import MarketData, TokenRef
from clob.service.obligations import NOT_ENOUGH_BALANCE, Reservation, reservation_of
from clob.service.ports import ChainView
from clob.service.units import format_units
from orders import (
    DEFAULT_POLICY,
    ZERO_ADDRESS,
    AmountPolicy,
    Order,
    OrderAmountError,
    OrderError,
    OrderErrorCode,
    OrderType,
    OrderVerifier,
    Side,
    SignedOrderRequest,
    TickSize,
    checksum_address,
    order_id,
    parse_order_request,
    validate_order_amounts,
)


@dataclass(frozen=True, slots=True)
class CheckedOrder:
    """An order that passed every stateless check, ready to be sequenced."""

    request: SignedOrderRequest
    order_id: str
    token: TokenRef
    market: MarketInfo
    price: str
    """The limit price as a decimal string in the market's tick (market orders: rounded towards their limit)."""
    spendable: int | None
    """What the maker can spend of the asset the order gives (None: balances are not checked)."""
    spendable_block: int = 0
    """The block ``spendable`` was read at (at least)."""
    spendable_read_ms: int = 0
    """When that read started (Unix ms)."""

    @property
    def order(self) -> Order:
        return self.request.order

    def order_json(self) -> dict[str, Any]:
        """The V1 order body, normalised (checksummed addresses, decimal strings), for the journal."""
        o = self.request.order
        return {
            "salt": o.salt,
            "maker": checksum_address(o.maker),
            "signer": checksum_address(o.signer),
            "taker": checksum_address(o.taker),
            "tokenId": str(o.token_id),
            "makerAmount": str(o.maker_amount),
            "takerAmount": str(o.taker_amount),
            "expiration": str(o.expiration),
            "nonce": str(o.nonce),
            "feeRateBps": str(o.fee_rate_bps),
            "side": o.side.name,
            "signatureType": int(o.signature_type),
            "signature": "0x" + o.signature.hex(),
        }


def order_shares(order: Order) -> int:
    return order.taker_amount if order.side == Side.BUY else order.maker_amount


def limit_price(order: Order, tick_decimals: int) -> str:
    """The order's price in whole ticks: exact for limit orders; for off-tick market orders BUY rounds down and
    SELL rounds up (towards the limit the signed amounts allow), kept within [tick, 1 - tick]."""
    ticks_per_unit = 10**tick_decimals
    if order.side == Side.BUY:
        ticks = order.maker_amount * ticks_per_unit // order.taker_amount
    else:
        ticks = -(-order.taker_amount * ticks_per_unit // order.maker_amount)
    ticks = min(max(ticks, 1), ticks_per_unit - 1)
    return format_units(ticks * 10 ** (6 - tick_decimals))


def balance_reservation(checked: CheckedOrder, spendable: int) -> Reservation:
    """What the sequencer checks for this order: its maker amount beside the maker's reservations and obligations
    (`clob.service.obligations`), within ``spendable``, read at ``checked.spendable_block``."""
    o = checked.order
    buy = o.side == Side.BUY
    maker, token = EngineAddress(o.maker), TokenId(o.token_id)
    block, read_ms = checked.spendable_block, checked.spendable_read_ms
    return reservation_of(maker, buy, token, o.maker_amount, spendable, block, read_ms)


_TICKS: dict[int, TickSize] = {t.decimals: t for t in TickSize}
"""Tick size by price decimals (a market's ``tick_decimals``)."""

_AMOUNT_CODES = {OrderErrorCode.INVALID_TICK: ErrorCode.INVALID_ORDER_MIN_TICK_SIZE}


class OrderIntake:
    """The checks of the module docstring for one deployment (verifier) over the market views and chain view."""

    def __init__(
        self,
        verifier: OrderVerifier,
        markets: MarketData,
        chain: ChainView | None,
        policy: AmountPolicy = DEFAULT_POLICY,
    ) -> None:
        self.verifier = verifier
        self.markets = markets
        self.chain = chain
        self.policy = policy

    def check(
        self, creds: L2Credentials, body: object, now: int, digest: bytes | None = None, cached_only: bool = False
    ) -> CheckedOrder:
        """Run every check on one order body; raise `ServiceError`. ``digest``: the order hash if the signature
        was already verified elsewhere (a verification pool). ``cached_only``: read the chain view from its cache
        only (`ChainCacheMiss` if a value is missing or stale), so the call never blocks on the chain."""
        try:
            request = parse_order_request(body)
        except OrderError as exc:
            raise ServiceError(ErrorCode.INVALID_ORDER_PAYLOAD, exc.message) from None
        order = request.order
        if request.owner != creds.api_key:
            raise ServiceError(ErrorCode.OWNER_MISMATCH, "the order owner has to be the owner of the API KEY")
        if order.signer != creds.address:
            raise ServiceError(
                ErrorCode.SIGNER_NOT_API_KEY, "the order signer address has to be the address of the API KEY"
            )
        if order.taker != ZERO_ADDRESS:
            raise ServiceError(
                ErrorCode.INVALID_ORDER_TAKER, "invalid order: taker must be the zero address (public orders only)"
            )
        token, market = self._market(order.token_id)
        self._expiration(order, request.order_type, now)
        if order.fee_rate_bps != market.fee_rate_bps:
            raise ServiceError(
                ErrorCode.INVALID_ORDER_FEE_RATE,
                f"invalid order: fee rate ({order.fee_rate_bps}) must be the market's fee rate ({market.fee_rate_bps})",
            )
        tick = _TICKS[market.tick_decimals]
        try:
            validate_order_amounts(order, request.order_type, tick, self.policy)
        except OrderAmountError as exc:
            code = _AMOUNT_CODES.get(exc.code, ErrorCode.INVALID_ORDER_AMOUNT)
            raise ServiceError(code, exc.message) from None
        if request.order_type in (OrderType.FOK, OrderType.FAK) and order.side == Side.BUY:
            if order.maker_amount < MIN_MARKET_BUY:  # a market BUY is sized in dollars
                raise ServiceError(
                    ErrorCode.INVALID_ORDER_MIN_SIZE,
                    f"invalid order: amount (${format_units(order.maker_amount)}) lower than the minimum for a "
                    f"market buy: ${format_units(MIN_MARKET_BUY)}",
                )
        elif (shares := order_shares(order)) < market.min_size:
            raise ServiceError(
                ErrorCode.INVALID_ORDER_MIN_SIZE,
                f"invalid order: size ({format_units(shares)}) lower than the minimum: {format_units(market.min_size)}",
            )
        if digest is None:
            digest = self.verify(order)
        spendable, block, read_ms = None, 0, 0
        if self.chain is not None:
            if order.nonce != self.chain.nonce(order.maker, cached_only=cached_only):
                raise ServiceError(ErrorCode.INVALID_ORDER_NONCE, "invalid nonce")
            asset = COLLATERAL if order.side == Side.BUY else order.token_id
            holding = self.chain.holding(order.maker, asset, cached_only=cached_only)
            spendable, block, read_ms = holding.spendable, holding.block, holding.read_ms
            if spendable < order.maker_amount:
                raise ServiceError(ErrorCode.INVALID_ORDER_NOT_ENOUGH_BALANCE, NOT_ENOUGH_BALANCE)
        return CheckedOrder(
            request,
            order_id(digest),
            token,
            market,
            limit_price(order, market.tick_decimals),
            spendable,
            block,
            read_ms,
        )

    def verify(self, order: Order) -> bytes:
        try:
            return self.verifier.verify(order)
        except OrderError as exc:
            if exc.code in (OrderErrorCode.BAD_SIGNATURE, OrderErrorCode.SIGNER_MISMATCH):
                raise ServiceError(ErrorCode.INVALID_SIGNATURE, "invalid signature") from None
            raise ServiceError(ErrorCode.INVALID_ORDER_PAYLOAD, exc.message) from None

    def _market(self, token_id: int) -> tuple[TokenRef, MarketInfo]:
        token = self.markets.token(token_id)
        market = None if token is None else self.markets.info(token.market)
        if token is None or market is None:
            raise ServiceError(ErrorCode.MARKET_NOT_FOUND, f"invalid order: no market trades token id {token_id}")
        if market.status != MarketStatus.OPEN:
            state = "closed" if market.status == MarketStatus.RESOLVED else "not accepting orders (halted)"
            raise ServiceError(ErrorCode.MARKET_NOT_READY, f"the market is {state}")
        return token, market

    @staticmethod
    def _expiration(order: Order, order_type: OrderType, now: int) -> None:
        if order_type == OrderType.GTD:
            if order.expiration <= now + GTD_SAFETY_MARGIN_S:
                raise ServiceError(
                    ErrorCode.INVALID_ORDER_EXPIRATION,
                    f"invalid expiration value ({order.expiration}): a GTD order must expire later than now + "
                    f"{GTD_SAFETY_MARGIN_S}s (the security threshold); now is {now}",
                )
        elif order.expiration != 0:
            raise ServiceError(
                ErrorCode.INVALID_ORDER_EXPIRATION,
                f"invalid expiration value ({order.expiration}): {order_type.value} orders must have expiration 0; "
                "use GTD for an order that expires",
            )
