// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISignatures} from "../interfaces/ISignatures.sol";
import {Order, SignatureTypes} from "../libraries/OrderStructs.sol";

/// @title Signatures
/// @notice Order signature checks. Only EOA orders are supported: `signer` must equal `maker` and the 65-byte
/// signature r‖s‖v must recover to it, with the checks OpenZeppelin's ECDSA.recover applies (length 65, s in the
/// lower half of the curve order, a non-zero recovered address) plus v in {27, 28}. Proxy (1), Safe (2) and
/// EIP-1271 (3) orders revert with UnsupportedSignatureType rather than a generic signature error.
abstract contract Signatures is ISignatures {
    /// @dev secp256k1n / 2: signatures with a larger s are the malleable twin of a valid one.
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice Reverts unless `order` carries a valid signature over `orderHash`.
    /// @param orderHash The order's EIP-712 digest.
    /// @param order The signed order.
    function validateOrderSignature(bytes32 orderHash, Order calldata order) external view {
        _validateSignature(orderHash, order);
    }

    function _validateSignature(bytes32 orderHash, Order calldata order) internal view {
        if (order.signatureType != SignatureTypes.EOA) revert UnsupportedSignatureType();
        address signer = order.signer;
        if (signer != order.maker) revert InvalidSignature();
        bytes calldata signature = order.signature;
        if (signature.length != 65) revert InvalidSignature();
        address recovered;
        assembly ("memory-safe") {
            let s := calldataload(add(signature.offset, 0x20))
            let v := byte(0, calldataload(add(signature.offset, 0x40)))
            // Leave `recovered` at zero for a high s or a v other than 27/28; the check below rejects it.
            if and(iszero(gt(s, HALF_CURVE_ORDER)), or(eq(v, 27), eq(v, 28))) {
                let ptr := mload(0x40)
                mstore(ptr, orderHash)
                mstore(add(ptr, 0x20), v)
                mstore(add(ptr, 0x40), calldataload(signature.offset))
                mstore(add(ptr, 0x60), s)
                // ecrecover precompile; on failure it returns no data and `recovered` stays 0.
                if staticcall(gas(), 0x01, ptr, 0x80, ptr, 0x20) {
                    if eq(returndatasize(), 0x20) { recovered := mload(ptr) }
                }
            }
        }
        if (recovered == address(0) || recovered != signer) revert InvalidSignature();
    }
}
