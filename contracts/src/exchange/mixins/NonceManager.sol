// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {INonceManager} from "../interfaces/INonceManager.sol";

/// @title NonceManager
/// @notice Each maker has a nonce; an order is valid only while its `nonce` equals the maker's current one, so
/// `incrementNonce` cancels every open order of the caller in one transaction. Works while trading is paused.
abstract contract NonceManager is INonceManager {
    /// @notice The current nonce of each maker.
    mapping(address => uint256) public nonces;

    /// @notice Invalidate every order signed with the caller's current nonce.
    function incrementNonce() external {
        uint256 next = nonces[msg.sender] + 1;
        nonces[msg.sender] = next;
        emit NonceIncremented(msg.sender, next);
    }

    /// @notice Whether `nonce` is `maker`'s current nonce.
    /// @param maker The order's maker.
    /// @param nonce The order's nonce.
    function isValidNonce(address maker, uint256 nonce) external view returns (bool) {
        return nonces[maker] == nonce;
    }
}
