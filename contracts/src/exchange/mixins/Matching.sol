// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITradingEE} from "../interfaces/ITrading.sol";
import {Order, Side} from "../libraries/OrderStructs.sol";
import {TradeMath} from "../libraries/TradeMath.sol";
import {Assets} from "./Assets.sol";
import {Orders} from "./Orders.sol";

/// @title Matching
/// @notice One taker order against many maker orders, with CTFExchange's results and fewer token movements.
///
/// Each maker order settles against the taker in one of three ways, derived from the two sides:
/// - COMPLEMENTARY (BUY vs SELL of the same token): the maker's asset goes straight to the taker and the maker is
///   paid straight by the taker; nothing passes through the exchange.
/// - MINT (BUY vs BUY of complementary tokens): the maker's collateral is pulled into the exchange. After all
///   makers, ONE `splitPosition` mints the full sets of every MINT maker, the taker topping up the collateral;
///   each maker then gets its tokens and the taker the complements.
/// - MERGE (SELL vs SELL of complementary tokens): the maker's tokens are pulled into the exchange. After all
///   makers the taker's tokens join them and ONE `mergePositions` turns the full sets into collateral, out of
///   which each maker is paid its price and the taker the rest.
///
/// Amounts and checks are CTFExchange's: fills in maker units, taking = making * takerAmount / makerAmount rounded
/// down, the same crossing rules, each maker's fee from its signed price, the taker's fee from its actual fill
/// price, price improvement to the taker. The taker order's `making` is `takerFillAmount`; what the makers do not
/// consume is simply never pulled (CTFExchange pulls it and refunds it). If the makers would consume more than
/// `takerFillAmount`, or deliver less than the taker's limit price allows, the match reverts with
/// TooLittleTokensReceived.
///
/// Fees go to the operator (msg.sender). Maker fees of COMPLEMENTARY makers are paid by the taker in one
/// transfer; those of MINT/MERGE makers come out of the split/merge output. The taker's fee is known before any
/// token moves (a cheap pre-pass sums what the makers deliver), so it is carved out of the taker's proceeds at
/// the source: first from the split/merge output, then from the first COMPLEMENTARY deliveries.
abstract contract Matching is ITradingEE, Orders, Assets {
    /// @dev Running state of one match, in memory to stay clear of the stack limit.
    struct MatchContext {
        address taker; // the taker order's maker
        uint256 takerToken;
        Side takerSide;
        uint256 takerPrice; // 1e18-scaled limit price, for the crossing checks
        uint256 takerTakerAmount;
        uint256 takerFee; // in the taker's receive asset, planned before the loop
        uint256 takerFeeFromSets; // the part of takerFee taken from the split/merge output
        uint256 takerFeeLeft; // the part still to take from COMPLEMENTARY deliveries
        uint256 spent; // taker's maker asset owed to COMPLEMENTARY makers (their fees included)
        uint256 received; // taker's receive asset delivered by COMPLEMENTARY makers (its fee included)
        uint256 complementaryFees; // COMPLEMENTARY maker fees, paid by the taker in its maker asset
        uint256 sets; // full sets to split (MINT) or merge (MERGE)
        uint256 setsCollateral; // MINT: collateral paid in by makers; MERGE: collateral owed to makers
        uint256 setsFees; // MINT/MERGE maker fees, paid from the split/merge output
        uint256 makerCount;
        uint256 payoutCount;
        uint256[] payouts; // (maker, amount) pairs paid from the split/merge output
    }

    function _matchOrders(
        Order calldata takerOrder,
        Order[] calldata makerOrders,
        uint256 takerFillAmount,
        uint256[] calldata makerFillAmounts
    ) internal {
        uint256 n = makerOrders.length;
        if (makerFillAmounts.length != n) revert LengthMismatch();
        (bytes32 takerHash, uint256 minTaking) = _performOrderChecks(takerOrder, takerFillAmount, true);
        MatchContext memory ctx = _newContext(takerOrder, n);
        if (takerOrder.feeRateBps != 0) _planTakerFee(ctx, takerOrder, makerOrders, takerFillAmount, makerFillAmounts);
        for (uint256 i; i < n; ) {
            _matchMaker(ctx, makerOrders[i], makerFillAmounts[i]);
            // i < n, so ++i cannot overflow.
            unchecked {
                ++i;
            }
        }
        uint256 taking = _settleTaker(ctx, takerFillAmount, minTaking);
        _emitMatched(ctx, takerHash, takerFillAmount, taking);
    }

    function _newContext(Order calldata takerOrder, uint256 makerCount) private pure returns (MatchContext memory ctx) {
        ctx.taker = takerOrder.maker;
        ctx.takerToken = takerOrder.tokenId;
        ctx.takerSide = takerOrder.side;
        ctx.takerTakerAmount = takerOrder.takerAmount;
        ctx.takerPrice = TradeMath.price(takerOrder.makerAmount, ctx.takerTakerAmount, ctx.takerSide);
        ctx.makerCount = makerCount;
    }

    /// @dev The taker's fee, from what the makers will deliver (the same formulas the loop applies), and where
    /// it will be taken from. Only run when the taker order has a fee rate.
    function _planTakerFee(
        MatchContext memory ctx,
        Order calldata takerOrder,
        Order[] calldata makerOrders,
        uint256 making,
        uint256[] calldata makerFillAmounts
    ) private pure {
        Side takerSide = ctx.takerSide;
        uint256 direct; // delivered by COMPLEMENTARY makers
        uint256 sets;
        uint256 owed; // MERGE: collateral owed to makers out of the merge
        uint256 n = makerOrders.length;
        for (uint256 i; i < n; ) {
            Order calldata m = makerOrders[i];
            uint256 fill = makerFillAmounts[i];
            if (m.side != takerSide) {
                direct += fill;
            } else if (takerSide == Side.BUY) {
                sets += TradeMath.takingAmount(fill, m.makerAmount, m.takerAmount);
            } else {
                sets += fill;
                owed += TradeMath.takingAmount(fill, m.makerAmount, m.takerAmount);
            }
            // i < n, so ++i cannot overflow.
            unchecked {
                ++i;
            }
        }
        // A MERGE whose makers are owed more than it yields reverts later; plan with zero proceeds meanwhile.
        uint256 fromSets = takerSide == Side.BUY ? sets : (sets > owed ? sets - owed : 0);
        uint256 taking = direct + fromSets;
        uint256 fee = TradeMath.fee(
            takerOrder.feeRateBps,
            takerSide == Side.BUY ? taking : making,
            making,
            taking,
            takerSide
        );
        uint256 feeFromSets = fee < fromSets ? fee : fromSets;
        ctx.takerFee = fee;
        ctx.takerFeeFromSets = feeFromSets;
        ctx.takerFeeLeft = fee - feeFromSets;
    }

    /// @dev Validate one maker order against the taker, record its fill, move what can move now.
    function _matchMaker(MatchContext memory ctx, Order calldata makerOrder, uint256 making) private {
        Side side = makerOrder.side;
        uint256 tokenId = makerOrder.tokenId;
        _checkPair(ctx, makerOrder, side, tokenId);
        (bytes32 orderHash, uint256 taking) = _performOrderChecks(makerOrder, making, false);
        uint256 fee = TradeMath.fee(
            makerOrder.feeRateBps,
            side == Side.BUY ? taking : making,
            makerOrder.makerAmount,
            makerOrder.takerAmount,
            side
        );
        address maker = makerOrder.maker;
        _settleMaker(ctx, maker, side, tokenId, making, taking, fee);
        _emitFilled(orderHash, maker, ctx.taker, side, tokenId, making, taking, fee);
    }

    /// @dev The pair must cross, and the tokens must be equal (COMPLEMENTARY) or complements (MINT, MERGE).
    /// An order with takerAmount 0 crosses anything (as in CTFExchange).
    function _checkPair(MatchContext memory ctx, Order calldata makerOrder, Side side, uint256 tokenId) private view {
        uint256 makerTakerAmount = makerOrder.takerAmount;
        if (ctx.takerTakerAmount != 0 && makerTakerAmount != 0) {
            uint256 makerPrice = TradeMath.price(makerOrder.makerAmount, makerTakerAmount, side);
            if (!TradeMath.isCrossing(ctx.takerPrice, ctx.takerSide, makerPrice, side)) revert NotCrossing();
        }
        if (side != ctx.takerSide) {
            if (tokenId != ctx.takerToken) revert MismatchedTokenIds();
        } else if (registry[ctx.takerToken].complement != tokenId) {
            revert InvalidComplement();
        }
    }

    /// @dev The token movements of one maker fill (`fee` is in the asset the maker receives).
    function _settleMaker(
        MatchContext memory ctx,
        address maker,
        Side side,
        uint256 tokenId,
        uint256 making,
        uint256 taking,
        uint256 fee
    ) private {
        uint256 makerAssetId = side == Side.BUY ? 0 : tokenId;
        if (side != ctx.takerSide) {
            // COMPLEMENTARY: the maker's asset goes to the taker, less any part of the taker fee still due.
            uint256 toOperator = ctx.takerFeeLeft;
            if (toOperator != 0) {
                if (toOperator > making) toOperator = making;
                // toOperator = min(takerFeeLeft, making) <= takerFeeLeft.
                unchecked {
                    ctx.takerFeeLeft -= toOperator;
                }
                _transfer(maker, msg.sender, makerAssetId, toOperator);
            }
            _transfer(maker, ctx.taker, makerAssetId, making - toOperator);
            // The maker is paid by the taker; its fee follows in one transfer after the loop.
            _transfer(ctx.taker, maker, side == Side.BUY ? tokenId : 0, taking - fee);
            ctx.spent += taking;
            ctx.received += making;
            ctx.complementaryFees += fee;
        } else {
            // MINT or MERGE: the maker's asset joins the single split/merge done after the loop.
            _transfer(maker, address(this), makerAssetId, making);
            if (side == Side.BUY) {
                ctx.sets += taking; // MINT: the maker buys `taking` complement tokens, one full set each
                ctx.setsCollateral += making; // ... and pays `making` collateral towards them
            } else {
                ctx.sets += making; // MERGE: the maker sells `making` complement tokens, one full set each
                ctx.setsCollateral += taking; // ... and is owed `taking` collateral out of the merge
            }
            ctx.setsFees += fee;
            // Allocated on the first MINT/MERGE maker, with room for every maker of the match.
            if (ctx.payouts.length == 0) ctx.payouts = new uint256[](2 * ctx.makerCount);
            uint256 k = ctx.payoutCount;
            ctx.payouts[2 * k] = uint256(uint160(maker));
            ctx.payouts[2 * k + 1] = taking - fee;
            ctx.payoutCount = k + 1;
        }
    }

    /// @dev After the makers: the one split or merge, maker payouts from it, fees, and the taker's proceeds.
    /// Returns what the taker received (its fee included).
    function _settleTaker(MatchContext memory ctx, uint256 making, uint256 minTaking) private returns (uint256 taking) {
        uint256 sets = ctx.sets;
        uint256 setsProceeds; // what the split/merge leaves for the taker, held by the exchange
        bool buy = ctx.takerSide == Side.BUY;
        if (buy) {
            uint256 paidIn = ctx.setsCollateral;
            uint256 topUp = sets > paidIn ? sets - paidIn : 0;
            if (ctx.spent + topUp > making) revert TooLittleTokensReceived();
            setsProceeds = sets;
        } else {
            uint256 owed = ctx.setsCollateral;
            if (ctx.spent + sets > making || owed > sets) revert TooLittleTokensReceived();
            // owed <= sets was checked just above.
            unchecked {
                setsProceeds = sets - owed;
            }
        }
        taking = ctx.received + setsProceeds;
        if (taking < minTaking || ctx.takerFeeLeft != 0) revert TooLittleTokensReceived();

        uint256 takerAsset = buy ? ctx.takerToken : 0;
        uint256 toOperator = ctx.takerFeeFromSets;
        if (buy) {
            if (sets != 0 || ctx.setsCollateral != 0) _mintForMakers(ctx, sets);
        } else if (sets != 0) {
            _mergeForMakers(ctx, sets);
            // MERGE maker fees and the taker's fee are both collateral held here: one transfer.
            toOperator += ctx.setsFees;
        }
        _transfer(address(this), ctx.taker, takerAsset, setsProceeds - ctx.takerFeeFromSets);
        _transfer(address(this), msg.sender, takerAsset, toOperator);
        _transfer(ctx.taker, msg.sender, buy ? 0 : ctx.takerToken, ctx.complementaryFees);
    }

    /// @dev MINT: the taker tops up the makers' collateral to `sets`, one split mints them, each maker gets its
    /// complement tokens and the operator their fees. The taker's tokens stay here for `_settleTaker`.
    function _mintForMakers(MatchContext memory ctx, uint256 sets) private {
        uint256 paidIn = ctx.setsCollateral;
        if (sets > paidIn) {
            _transfer(ctx.taker, address(this), 0, sets - paidIn);
        } else if (paidIn > sets) {
            // Only makers bidding above 1 pay in more than their sets cost: the surplus is the taker's, as in
            // CTFExchange's refund of the exchange's leftover collateral.
            _transfer(address(this), ctx.taker, 0, paidIn - sets);
        }
        if (sets != 0) {
            uint256 complement = registry[ctx.takerToken].complement;
            _mintSets(registry[ctx.takerToken].conditionId, sets);
            _payMakers(ctx, complement);
            _transfer(address(this), msg.sender, complement, ctx.setsFees);
        }
    }

    /// @dev MERGE: the taker's tokens join the makers' complements, one merge turns them into collateral, each
    /// maker is paid. The taker's proceeds and all collateral fees stay here for `_settleTaker`.
    function _mergeForMakers(MatchContext memory ctx, uint256 sets) private {
        _transfer(ctx.taker, address(this), ctx.takerToken, sets);
        _mergeSets(registry[ctx.takerToken].conditionId, sets);
        _payMakers(ctx, 0);
    }

    /// @dev Pay each MINT/MERGE maker its share of the split/merge output (asset `assetId`).
    function _payMakers(MatchContext memory ctx, uint256 assetId) private {
        uint256[] memory payouts = ctx.payouts;
        uint256 n = ctx.payoutCount;
        for (uint256 k; k < n; ) {
            _transfer(address(this), address(uint160(payouts[2 * k])), assetId, payouts[2 * k + 1]);
            // k < n, so ++k cannot overflow.
            unchecked {
                ++k;
            }
        }
    }

    /// @dev FeeCharged (if any) then OrderFilled for a maker order of a match.
    function _emitFilled(
        bytes32 orderHash,
        address maker,
        address taker,
        Side side,
        uint256 tokenId,
        uint256 making,
        uint256 taking,
        uint256 fee
    ) private {
        (uint256 makerAssetId, uint256 takerAssetId) = side == Side.BUY
            ? (uint256(0), tokenId)
            : (tokenId, uint256(0));
        if (fee != 0) emit FeeCharged(msg.sender, takerAssetId, fee);
        emit OrderFilled(orderHash, maker, taker, makerAssetId, takerAssetId, making, taking, fee);
    }

    /// @dev FeeCharged (if any), OrderFilled and OrdersMatched for the taker order; its counterparty in
    /// OrderFilled is the exchange itself, as in CTFExchange.
    function _emitMatched(MatchContext memory ctx, bytes32 takerHash, uint256 making, uint256 taking) private {
        (uint256 makerAssetId, uint256 takerAssetId) = ctx.takerSide == Side.BUY
            ? (uint256(0), ctx.takerToken)
            : (ctx.takerToken, uint256(0));
        uint256 fee = ctx.takerFee;
        if (fee != 0) emit FeeCharged(msg.sender, takerAssetId, fee);
        emit OrderFilled(takerHash, ctx.taker, address(this), makerAssetId, takerAssetId, making, taking, fee);
        emit OrdersMatched(takerHash, ctx.taker, makerAssetId, takerAssetId, making, taking);
    }
}
