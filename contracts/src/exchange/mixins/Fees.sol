// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFees} from "../interfaces/IFees.sol";

/// @title Fees
/// @notice The fee-rate cap. Fees are computed from each order's own signed `feeRateBps` (see TradeMath.fee),
/// never passed in by the operator, so no fill can charge more than the maker signed for.
abstract contract Fees is IFees {
    /// @dev 1000 bps = 10 %.
    uint256 internal constant MAX_FEE_RATE_BIPS = 1000;

    /// @notice The highest feeRateBps an order may carry (1000 = 10 %).
    function getMaxFeeRate() external pure returns (uint256) {
        return MAX_FEE_RATE_BIPS;
    }
}
