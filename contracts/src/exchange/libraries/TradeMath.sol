// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Side} from "./OrderStructs.sol";

/// @title TradeMath
/// @notice Pure price, crossing, fee and taking-amount math, identical in results to CTFExchange's calculator.
/// Prices are collateral per outcome token scaled by 1e18; every division rounds down.
library TradeMath {
    /// @dev 1.0 as a 1e18-scaled price.
    uint256 internal constant ONE = 1e18;
    /// @dev Basis points in one.
    uint256 internal constant BPS_DIVISOR = 10_000;

    /// @notice What the maker receives for giving `making`: making * takerAmount / makerAmount, rounded down.
    function takingAmount(uint256 making, uint256 makerAmount, uint256 takerAmount) internal pure returns (uint256) {
        if (makerAmount == 0) return 0;
        return (making * takerAmount) / makerAmount;
    }

    /// @notice The order's limit price (1e18 scale): BUY maker/taker, SELL taker/maker; 0 when the divisor is 0.
    function price(uint256 makerAmount, uint256 takerAmount, Side side) internal pure returns (uint256) {
        if (side == Side.BUY) return takerAmount == 0 ? 0 : (makerAmount * ONE) / takerAmount;
        return makerAmount == 0 ? 0 : (takerAmount * ONE) / makerAmount;
    }

    /// @notice Whether order A (price `priceA`, the taker) and order B (a maker) cross. Bid vs ask: bid >= ask;
    /// two bids (of complementary tokens): sum >= 1; two asks: sum <= 1. Callers treat an order whose takerAmount
    /// is 0 as crossing anything, without calling this.
    function isCrossing(uint256 priceA, Side sideA, uint256 priceB, Side sideB) internal pure returns (bool) {
        if (sideA == Side.BUY) {
            return sideB == Side.BUY ? priceA + priceB >= ONE : priceA >= priceB;
        }
        return sideB == Side.BUY ? priceB >= priceA : priceA + priceB <= ONE;
    }

    /// @notice The fee on a fill, in the asset the order receives. With p the fill price and r the rate:
    /// BUY: r * min(p, 1-p) * outcomeTokens / (p * 10_000), in outcome tokens (outcomeTokens = taking);
    /// SELL: r * min(p, 1-p) * outcomeTokens / (10_000 * 1e18), in collateral (outcomeTokens = making).
    /// Zero when the rate is 0 or the price is 0 or above 1.
    function fee(
        uint256 feeRateBps,
        uint256 outcomeTokens,
        uint256 makerAmount,
        uint256 takerAmount,
        Side side
    ) internal pure returns (uint256) {
        if (feeRateBps == 0) return 0;
        uint256 p = price(makerAmount, takerAmount, side);
        if (p == 0 || p > ONE) return 0;
        uint256 m = p < ONE - p ? p : ONE - p;
        if (side == Side.BUY) return (feeRateBps * m * outcomeTokens) / (p * BPS_DIVISOR);
        return (feeRateBps * m * outcomeTokens) / (BPS_DIVISOR * ONE);
    }
}
