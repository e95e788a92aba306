// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../libraries/OrderStructs.sol";

/// @notice Errors and events of order signature checks and of the wallet factories they trust.
interface ISignaturesEE {
    /// @notice The signature is malformed, does not recover to `signer`, `signer` does not control the maker
    /// (not the maker itself, not the owner of the maker's proxy wallet or Safe), or an EIP-1271 maker refused it.
    error InvalidSignature();
    /// @notice The signature type is none of EOA (0), POLY_PROXY (1), POLY_GNOSIS_SAFE (2) and POLY_1271 (3).
    error UnsupportedSignatureType();

    event ProxyFactoryUpdated(address indexed oldProxyFactory, address indexed newProxyFactory);
    event SafeFactoryUpdated(address indexed oldSafeFactory, address indexed newSafeFactory);
}

/// @notice What the exchange needs of a proxy-wallet factory: the implementation its EIP-1167 clones delegate to.
interface IProxyWalletFactory {
    function getImplementation() external view returns (address);
}

/// @notice What the exchange needs of a Safe factory: the Safe singleton its proxies point at, and the proxy's
/// creation code (the CREATE2 init code is this code followed by the singleton as one ABI word).
interface ISafeWalletFactory {
    function masterCopy() external view returns (address);
    function proxyCreationCode() external pure returns (bytes memory);
}

/// @notice Signature checks of the four types and the wallet factories of types 1 and 2.
interface ISignatures is ISignaturesEE {
    function validateOrderSignature(bytes32 orderHash, Order calldata order) external view;
    function getProxyFactory() external view returns (address);
    function getSafeFactory() external view returns (address);
    function getPolyProxyFactoryImplementation() external view returns (address);
    function getSafeFactoryImplementation() external view returns (address);
    function getPolyProxyWalletAddress(address signer) external view returns (address);
    function getSafeAddress(address signer) external view returns (address);
    function setProxyFactory(address proxyFactory) external;
    function setSafeFactory(address safeFactory) external;
}
