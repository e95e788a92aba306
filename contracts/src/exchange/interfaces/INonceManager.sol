// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Events of the per-maker nonce (CTFExchange has none; this one lets indexers see bulk cancels).
interface INonceManagerEE {
    event NonceIncremented(address indexed maker, uint256 newNonce);
}

/// @notice Orders carry the maker's nonce at signing time; incrementing it invalidates all of them at once.
interface INonceManager is INonceManagerEE {
    function nonces(address maker) external view returns (uint256);
    function incrementNonce() external;
    function isValidNonce(address maker, uint256 nonce) external view returns (bool);
}
