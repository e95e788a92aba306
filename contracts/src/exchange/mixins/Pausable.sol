// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPausable} from "../interfaces/IPausable.sol";
import {Auth} from "./Auth.sol";

/// @title Pausable
/// @notice An admin switch that stops fills and matches. Cancels and nonce increments are never paused, so
/// makers can always withdraw their orders.
abstract contract Pausable is IPausable, Auth {
    /// @notice Whether fills and matches are stopped.
    bool public paused;

    modifier notPaused() {
        if (paused) revert Paused();
        _;
    }

    /// @notice Stop fills and matches. Admin only.
    function pauseTrading() external onlyAdmin {
        paused = true;
        emit TradingPaused(msg.sender);
    }

    /// @notice Resume fills and matches. Admin only.
    function unpauseTrading() external onlyAdmin {
        paused = false;
        emit TradingUnpaused(msg.sender);
    }
}
