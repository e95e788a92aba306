// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../libraries/OrderStructs.sol";

/// @notice Errors of order signature checks.
interface ISignaturesEE {
    /// @notice The signature is malformed, does not recover to `signer`, or `signer` is not the maker.
    error InvalidSignature();
    /// @notice Proxy (1), Safe (2) and EIP-1271 (3) signatures are not supported yet; only EOA (0).
    error UnsupportedSignatureType();
}

/// @notice EOA signatures only: 65 bytes r‖s‖v, v in {27, 28}, s in the lower half order, signer == maker.
interface ISignatures is ISignaturesEE {
    function validateOrderSignature(bytes32 orderHash, Order calldata order) external view;
}
