// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IFeesEE} from "./exchange/interfaces/IFees.sol";
import {IOrdersEE, ITradingEE} from "./exchange/interfaces/ITrading.sol";
import {OrderStatus, Side} from "./exchange/libraries/OrderStructs.sol";
import {FeeParams, OrderV2} from "./exchange/libraries/OrderStructsV2.sol";
import {TradeMath} from "./exchange/libraries/TradeMath.sol";
import {Assets} from "./exchange/mixins/Assets.sol";
import {HashingV2} from "./exchange/mixins/HashingV2.sol";
import {Pausable} from "./exchange/mixins/Pausable.sol";
import {Registry} from "./exchange/mixins/Registry.sol";
import {Signatures} from "./exchange/mixins/Signatures.sol";
import {TokenReceiver} from "./exchange/mixins/TokenReceiver.sol";

/// @title ExchangeV2
/// @notice Settlement of Polymarket V2 orders (EIP-712 version "2", see HashingV2) against the same collateral
/// and Conditional Tokens as the V1 Exchange, with the V1 exchange's roles, token registry, pause, match types
/// (COMPLEMENTARY, MINT, MERGE) and events. What V2 changes:
/// - No nonce: an order is replay-protected by its hash's filled/cancelled status only; the maker cancels with
///   `cancelOrder(s)`. No expiration is signed, so the API (not this contract) refuses expired orders.
/// - No signed fee rate: the admin sets each token's FeeParams; the TAKER order of a match (and the order of a
///   `fillOrder`) pays shares * rateBps / 10_000 * (p * (1 - p)) ** exponent in collateral value, at its actual
///   fill price p, taken from what it receives (tokens for a BUY, valued at p; collateral for a SELL). Makers pay
///   nothing. The operator passes no fee: it can only choose which order is the taker.
/// - Signature types: V1's four (EOA, POLY_PROXY, POLY_GNOSIS_SAFE, POLY_1271), checked by the V1 Signatures mixin
///   with its wallet factories.
/// A match pulls the taker's fill into the exchange, settles each maker against it (one split per MINT maker,
/// one merge per MERGE maker), then pays the taker what it received less the fee and refunds what was not used.
/// The deployer becomes admin and operator. See docs/contracts.md.
contract ExchangeV2 is
    IOrdersEE,
    ITradingEE,
    IFeesEE,
    HashingV2,
    Signatures,
    Registry,
    Pausable,
    TokenReceiver,
    ReentrancyGuardTransient
{
    /// @notice A token's fee parameters were set.
    event FeeParamsSet(uint256 indexed tokenId, uint256 rateBps, uint256 exponent);

    /// @notice The fee exponent is outside 1..MAX_FEE_EXPONENT while the rate is not zero.
    error InvalidFeeExponent();

    uint256 private constant FILLED_OR_CANCELLED = 1;
    /// @dev 10_000 bps = 100 % of shares * (p * (1 - p)) ** exponent, itself at most a quarter of the shares.
    uint256 internal constant MAX_FEE_RATE_BPS = 10_000;
    uint256 internal constant MAX_FEE_EXPONENT = 4;

    /// @dev One word per order hash, as V1: bit 0 = filled or cancelled, bits 8.. = remaining (0 = untouched).
    mapping(bytes32 => uint256) internal _orderStatusV2;

    /// @notice Each token's protocol fee parameters (zero = no fee).
    mapping(uint256 => FeeParams) public feeParams;

    /// @param collateral The collateral ERC20 (6 decimals), the V1 Exchange's.
    /// @param ctf The Gnosis ConditionalTokens contract, the V1 Exchange's.
    /// @param proxyFactory The proxy-wallet factory of POLY_PROXY makers (address(0): none; `setProxyFactory`).
    /// @param safeFactory The Safe factory of POLY_GNOSIS_SAFE makers (address(0): none; `setSafeFactory`).
    constructor(
        address collateral,
        address ctf,
        address proxyFactory,
        address safeFactory
    ) Assets(collateral, ctf) Signatures(proxyFactory, safeFactory) {}

    // ------------------------------------------------------------------ admin

    /// @notice Set the protocol fee of `tokenId` (both tokens of a market are usually set alike). Admin only.
    /// @param tokenId The outcome token.
    /// @param rateBps The fee rate in basis points, at most 10_000.
    /// @param exponent The curve's exponent, 1..4 (ignored when the rate is 0).
    function setFeeParams(uint256 tokenId, uint16 rateBps, uint8 exponent) external onlyAdmin {
        if (rateBps > MAX_FEE_RATE_BPS) revert FeeTooHigh();
        if (rateBps != 0 && (exponent == 0 || exponent > MAX_FEE_EXPONENT)) revert InvalidFeeExponent();
        _validateTokenId(tokenId);
        feeParams[tokenId] = FeeParams(rateBps, exponent);
        emit FeeParamsSet(tokenId, rateBps, exponent);
    }

    // ------------------------------------------------------------------ orders

    /// @notice The fill state of an order: whether it is filled or cancelled, and what remains (maker units).
    /// @param orderHash The order's EIP-712 (version "2") digest.
    function getOrderStatus(bytes32 orderHash) external view returns (OrderStatus memory) {
        uint256 word = _orderStatusV2[orderHash];
        return OrderStatus(word & FILLED_OR_CANCELLED != 0, word >> 8);
    }

    /// @notice Reverts with the first failing check among signature, token and status.
    /// @param order The signed order.
    function validateOrder(OrderV2 calldata order) external view {
        _validateOrderV2(_hashOrderV2(order), order, true);
    }

    /// @notice Reverts unless `order` carries a valid signature over `orderHash`.
    function validateOrderSignature(bytes32 orderHash, OrderV2 calldata order) external view {
        _validateSignatureV2(orderHash, order);
    }

    /// @notice Cancel an order. Only its maker may; works while trading is paused.
    function cancelOrder(OrderV2 calldata order) external {
        _cancelOrderV2(order);
    }

    /// @notice Cancel several orders of the caller; reverts if any is not the caller's or already done.
    function cancelOrders(OrderV2[] calldata orders) external {
        for (uint256 i; i < orders.length; ++i) {
            _cancelOrderV2(orders[i]);
        }
    }

    /// @notice The protocol fee of a fill of `making` for `taking` by an order of `side` on `tokenId`, in the
    /// asset the order receives.
    function protocolFee(uint256 tokenId, Side side, uint256 making, uint256 taking) external view returns (uint256) {
        return _protocolFee(tokenId, side, making, taking);
    }

    // ------------------------------------------------------------------ settlement

    /// @notice Fill `fillAmount` (maker units) of `order` with the operator as counterparty; the order pays the
    /// protocol fee (to the operator). Operator only; not while paused.
    function fillOrder(OrderV2 calldata order, uint256 fillAmount) external nonReentrant onlyOperator notPaused {
        _fillOrderV2(order, fillAmount);
    }

    /// @notice `fillOrder` for several orders in one transaction. Operator only; not while paused.
    function fillOrders(
        OrderV2[] calldata orders,
        uint256[] calldata fillAmounts
    ) external nonReentrant onlyOperator notPaused {
        uint256 n = orders.length;
        if (fillAmounts.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            _fillOrderV2(orders[i], fillAmounts[i]);
        }
    }

    /// @notice Match a taker order against maker orders (COMPLEMENTARY, MINT or MERGE per maker, from the
    /// sides), with V1's amounts and crossing rules. Operator only; not while paused.
    /// @param takerOrder The order being filled against the makers; it pays the protocol fee.
    /// @param makerOrders The resting orders it crosses.
    /// @param takerFillAmount The taker order's fill (maker units); what the makers do not use is refunded.
    /// @param makerFillAmounts Each maker order's fill (maker units).
    function matchOrders(
        OrderV2 calldata takerOrder,
        OrderV2[] calldata makerOrders,
        uint256 takerFillAmount,
        uint256[] calldata makerFillAmounts
    ) external nonReentrant onlyOperator notPaused {
        _matchOrdersV2(takerOrder, makerOrders, takerFillAmount, makerFillAmounts);
    }

    // ------------------------------------------------------------------ internals

    function _cancelOrderV2(OrderV2 calldata order) private {
        if (order.maker != msg.sender) revert NotOwner();
        bytes32 orderHash = _hashOrderV2(order);
        uint256 word = _orderStatusV2[orderHash];
        if (word & FILLED_OR_CANCELLED != 0) revert OrderFilledOrCancelled();
        _orderStatusV2[orderHash] = word | FILLED_OR_CANCELLED;
        emit OrderCancelled(orderHash);
    }

    /// @dev The V1 exchange's signature rules (see Signatures) over the V2 order's parts.
    function _validateSignatureV2(bytes32 orderHash, OrderV2 calldata order) internal view {
        _validateSignatureOf(orderHash, order.signatureType, order.maker, order.signer, order.signature);
    }

    /// @dev Signature, token (unless the pair check proved it), status; returns the stored remaining.
    function _validateOrderV2(
        bytes32 orderHash,
        OrderV2 calldata order,
        bool checkToken
    ) internal view returns (uint256 storedRemaining) {
        _validateSignatureV2(orderHash, order);
        if (checkToken) _validateTokenId(order.tokenId);
        uint256 word = _orderStatusV2[orderHash];
        if (word & FILLED_OR_CANCELLED != 0) revert OrderFilledOrCancelled();
        return word >> 8;
    }

    /// @dev Validates, records a fill of `making`; returns the hash and what the order receives (rounded down).
    function _performChecksV2(
        OrderV2 calldata order,
        uint256 making,
        bool checkToken
    ) internal returns (bytes32 orderHash, uint256 taking) {
        orderHash = _hashOrderV2(order);
        uint256 remaining = _validateOrderV2(orderHash, order, checkToken);
        uint256 makerAmount = order.makerAmount;
        if (remaining == 0) remaining = makerAmount;
        if (making > remaining) revert MakingGtRemaining();
        unchecked {
            remaining -= making;
        }
        _orderStatusV2[orderHash] = remaining == 0
            ? FILLED_OR_CANCELLED
            : uint256(SafeCast.toUint248(remaining)) << 8;
        taking = TradeMath.takingAmount(making, makerAmount, order.takerAmount);
    }

    /// @dev The fee curve. With shares the outcome tokens of the fill, p = collateral / shares (1e18 scale,
    /// rounded down) and q = p * (1 - p): fee value = shares * rateBps * q ** exponent / 10_000. A BUY pays it in
    /// tokens (value / p), a SELL in collateral. Zero without a rate or at p = 0 or p >= 1. Never more than the
    /// order receives: q ** exponent <= min(p, 1 - p).
    function _protocolFee(uint256 tokenId, Side side, uint256 making, uint256 taking) internal view returns (uint256) {
        FeeParams memory params = feeParams[tokenId];
        if (params.rateBps == 0) return 0;
        (uint256 shares, uint256 collateral) = side == Side.BUY ? (taking, making) : (making, taking);
        if (collateral == 0 || collateral >= shares) return 0;
        uint256 p = (collateral * TradeMath.ONE) / shares;
        uint256 q = (p * (TradeMath.ONE - p)) / TradeMath.ONE;
        uint256 qe = TradeMath.ONE;
        for (uint256 i; i < params.exponent; ++i) {
            qe = (qe * q) / TradeMath.ONE;
        }
        if (side == Side.BUY) return (shares * params.rateBps * qe) / (p * TradeMath.BPS_DIVISOR);
        return (shares * params.rateBps * qe) / (TradeMath.BPS_DIVISOR * TradeMath.ONE);
    }

    function _fillOrderV2(OrderV2 calldata order, uint256 making) private {
        (bytes32 orderHash, uint256 taking) = _performChecksV2(order, making, true);
        Side side = order.side;
        uint256 fee = _protocolFee(order.tokenId, side, making, taking);
        (uint256 makerAssetId, uint256 takerAssetId) = side == Side.BUY
            ? (uint256(0), order.tokenId)
            : (order.tokenId, uint256(0));
        address maker = order.maker;
        _transfer(maker, msg.sender, makerAssetId, making);
        _transfer(msg.sender, maker, takerAssetId, taking - fee);
        emit OrderFilled(orderHash, maker, msg.sender, makerAssetId, takerAssetId, making, taking, fee);
    }

    /// @dev Running totals of a match, in the taker's assets: `outflow` of its maker asset paid to makers or
    /// used for full sets, `inflow` of it paid in by MINT makers, `received` of its receive asset.
    struct MatchTotals {
        address taker;
        uint256 takerToken;
        Side takerSide;
        uint256 takerPrice;
        uint256 takerTakerAmount;
        uint256 outflow;
        uint256 inflow;
        uint256 received;
    }

    function _matchOrdersV2(
        OrderV2 calldata takerOrder,
        OrderV2[] calldata makerOrders,
        uint256 takerFill,
        uint256[] calldata makerFills
    ) internal {
        uint256 n = makerOrders.length;
        if (makerFills.length != n) revert LengthMismatch();
        (bytes32 takerHash, uint256 minTaking) = _performChecksV2(takerOrder, takerFill, true);
        MatchTotals memory t;
        t.taker = takerOrder.maker;
        t.takerToken = takerOrder.tokenId;
        t.takerSide = takerOrder.side;
        t.takerTakerAmount = takerOrder.takerAmount;
        t.takerPrice = TradeMath.price(takerOrder.makerAmount, t.takerTakerAmount, t.takerSide);
        bool buy = t.takerSide == Side.BUY;
        (uint256 giveAsset, uint256 getAsset) = buy ? (uint256(0), t.takerToken) : (t.takerToken, uint256(0));
        _transfer(t.taker, address(this), giveAsset, takerFill);
        for (uint256 i; i < n; ++i) {
            _matchMakerV2(t, makerOrders[i], makerFills[i]);
        }
        if (t.outflow > takerFill + t.inflow || t.received < minTaking) revert TooLittleTokensReceived();
        uint256 spent = t.outflow > t.inflow ? t.outflow - t.inflow : 0;
        uint256 fee = _protocolFee(t.takerToken, t.takerSide, spent, t.received);
        _transfer(address(this), t.taker, getAsset, t.received - fee);
        _transfer(address(this), msg.sender, getAsset, fee);
        _transfer(address(this), t.taker, giveAsset, takerFill + t.inflow - t.outflow);
        if (fee != 0) emit FeeCharged(msg.sender, getAsset, fee);
        emit OrderFilled(takerHash, t.taker, address(this), giveAsset, getAsset, takerFill, t.received, fee);
        emit OrdersMatched(takerHash, t.taker, giveAsset, getAsset, takerFill, t.received);
    }

    /// @dev One maker against the exchange, which holds the taker's fill: the maker's asset comes in, a MINT
    /// splits and a MERGE merges this maker's full sets, and the maker is paid what its order takes.
    function _matchMakerV2(MatchTotals memory t, OrderV2 calldata makerOrder, uint256 making) private {
        Side side = makerOrder.side;
        uint256 tokenId = makerOrder.tokenId;
        _checkPairV2(t, makerOrder, side, tokenId);
        (bytes32 orderHash, uint256 taking) = _performChecksV2(makerOrder, making, false);
        address maker = makerOrder.maker;
        (uint256 makerAssetId, uint256 takerAssetId) = side == Side.BUY
            ? (uint256(0), tokenId)
            : (tokenId, uint256(0));
        _transfer(maker, address(this), makerAssetId, making);
        if (side != t.takerSide) {
            // COMPLEMENTARY: the taker's asset pays the maker; the maker's asset is the taker's.
            t.outflow += taking;
            t.received += making;
        } else if (side == Side.BUY) {
            // MINT: `taking` full sets from the maker's `making` collateral plus the taker's; the taker gets
            // the sets' taker tokens.
            t.inflow += making;
            t.outflow += taking;
            t.received += taking;
            _mintSets(registry[t.takerToken].conditionId, taking);
        } else {
            // MERGE: the maker's `making` complements and as many taker tokens merge into `making` collateral,
            // of which the maker takes `taking` and the taker the rest.
            if (taking > making) revert TooLittleTokensReceived();
            t.outflow += making;
            t.received += making - taking;
            _mergeSets(registry[t.takerToken].conditionId, making);
        }
        _transfer(address(this), maker, takerAssetId, taking);
        emit OrderFilled(orderHash, maker, t.taker, makerAssetId, takerAssetId, making, taking, 0);
    }

    /// @dev The pair must cross, and the tokens must be equal (COMPLEMENTARY) or complements (MINT, MERGE).
    function _checkPairV2(MatchTotals memory t, OrderV2 calldata makerOrder, Side side, uint256 tokenId) private view {
        uint256 makerTakerAmount = makerOrder.takerAmount;
        if (t.takerTakerAmount != 0 && makerTakerAmount != 0) {
            uint256 makerPrice = TradeMath.price(makerOrder.makerAmount, makerTakerAmount, side);
            if (!TradeMath.isCrossing(t.takerPrice, t.takerSide, makerPrice, side)) revert NotCrossing();
        }
        if (side != t.takerSide) {
            if (tokenId != t.takerToken) revert MismatchedTokenIds();
        } else if (registry[t.takerToken].complement != tokenId) {
            revert InvalidComplement();
        }
    }
}
