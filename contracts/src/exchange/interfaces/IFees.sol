// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Errors and events of fees.
interface IFeesEE {
    /// @notice The order's feeRateBps is above the exchange's maximum.
    error FeeTooHigh();

    /// @notice A fee of `amount` of `tokenId` (0 = collateral) went to `receiver` (the operator) in a match.
    event FeeCharged(address indexed receiver, uint256 tokenId, uint256 amount);
}

/// @notice The fee-rate cap.
interface IFees is IFeesEE {
    function getMaxFeeRate() external pure returns (uint256);
}
