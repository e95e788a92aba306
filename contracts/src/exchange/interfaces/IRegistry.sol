// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Errors and events of the outcome-token registry.
interface IRegistryEE {
    error InvalidComplement();
    error InvalidTokenId();
    error AlreadyRegistered();

    /// @notice Emitted twice per registration, once per direction.
    event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId);
}

/// @notice The tradable outcome tokens: each is registered with its complement and its CTF condition.
interface IRegistry is IRegistryEE {
    function registry(uint256 token) external view returns (uint256 complement, bytes32 conditionId);
    function registerToken(uint256 token, uint256 complement, bytes32 conditionId) external;
    function getComplement(uint256 token) external view returns (uint256);
    function getConditionId(uint256 token) external view returns (bytes32);
    function validateTokenId(uint256 token) external view;
    function validateComplement(uint256 token, uint256 complement) external view;
}
