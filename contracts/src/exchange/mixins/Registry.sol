// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRegistry} from "../interfaces/IRegistry.sol";
import {Auth} from "./Auth.sol";

/// @title Registry
/// @notice Outcome tokens that may trade. A binary market's two CTF position ids are registered together, each
/// pointing at the other (its complement) and at their condition id, which MINT and MERGE matches split or merge.
abstract contract Registry is IRegistry, Auth {
    struct TokenInfo {
        uint256 complement;
        bytes32 conditionId;
    }

    /// @notice The complement and condition of a registered token (complement 0 = not registered).
    mapping(uint256 => TokenInfo) public registry;

    /// @notice Register `token` and `complement` as the two outcomes of `conditionId`. Admin only.
    /// @dev Reverts with InvalidTokenId if they are equal or either is 0, AlreadyRegistered if either is known.
    /// @param token One outcome's CTF position id.
    /// @param complement The other outcome's CTF position id.
    /// @param conditionId Their CTF condition.
    function registerToken(uint256 token, uint256 complement, bytes32 conditionId) external onlyAdmin {
        if (token == complement || token == 0 || complement == 0) revert InvalidTokenId();
        if (registry[token].complement != 0 || registry[complement].complement != 0) revert AlreadyRegistered();
        registry[token] = TokenInfo(complement, conditionId);
        registry[complement] = TokenInfo(token, conditionId);
        emit TokenRegistered(token, complement, conditionId);
        emit TokenRegistered(complement, token, conditionId);
    }

    /// @notice The complement of a registered token; reverts with InvalidTokenId if `token` is not registered.
    /// @param token A CTF position id.
    function getComplement(uint256 token) public view returns (uint256) {
        _validateTokenId(token);
        return registry[token].complement;
    }

    /// @notice The condition id of `token` (zero if not registered).
    /// @param token A CTF position id.
    function getConditionId(uint256 token) external view returns (bytes32) {
        return registry[token].conditionId;
    }

    /// @notice Reverts with InvalidTokenId unless `token` is registered.
    /// @param token A CTF position id.
    function validateTokenId(uint256 token) external view {
        _validateTokenId(token);
    }

    /// @notice Reverts with InvalidComplement unless `complement` is the registered complement of `token`
    /// (InvalidTokenId if `token` is not registered).
    /// @param token A CTF position id.
    /// @param complement The expected complement.
    function validateComplement(uint256 token, uint256 complement) external view {
        if (getComplement(token) != complement) revert InvalidComplement();
    }

    function _validateTokenId(uint256 token) internal view {
        if (registry[token].complement == 0) revert InvalidTokenId();
    }
}
