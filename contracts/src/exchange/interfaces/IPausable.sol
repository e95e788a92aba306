// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Errors and events of the trading pause.
interface IPausableEE {
    error Paused();

    event TradingPaused(address indexed pauser);
    event TradingUnpaused(address indexed pauser);
}

/// @notice Admins can stop the fill and match functions; cancelling and nonce changes keep working.
interface IPausable is IPausableEE {
    function paused() external view returns (bool);
    function pauseTrading() external;
    function unpauseTrading() external;
}
