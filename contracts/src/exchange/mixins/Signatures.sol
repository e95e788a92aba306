// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IProxyWalletFactory, ISafeWalletFactory, ISignatures} from "../interfaces/ISignatures.sol";
import {Order, SignatureTypes} from "../libraries/OrderStructs.sol";
import {Auth} from "./Auth.sol";

/// @title Signatures
/// @notice Order signature checks, by `signatureType`:
/// - EOA (0): `signer == maker`, and the 65-byte signature r‖s‖v recovers to `signer`.
/// - POLY_PROXY (1): the signature recovers to `signer`, and `maker` is the proxy wallet the proxy factory
///   deploys for `signer`: the CREATE2 address from the factory, salt keccak256(abi.encodePacked(signer)) and the
///   EIP-1167 clone init code of the factory's `getImplementation()`.
/// - POLY_GNOSIS_SAFE (2): the signature recovers to `signer`, and `maker` is the Safe the Safe factory deploys for
///   `signer`: the CREATE2 address from the factory, salt keccak256(abi.encode(signer)) and init code
///   `proxyCreationCode() ‖ abi.encode(masterCopy())`.
/// - POLY_1271 (3): `signer == maker`, a contract whose EIP-1271 `isValidSignature(orderHash, signature)` returns
///   the magic value.
/// Recovery applies OpenZeppelin ECDSA.recover's checks (length 65, s in the lower half of the curve order, a
/// non-zero recovered address) plus v in {27, 28}. Every failure is InvalidSignature; any other type is
/// UnsupportedSignatureType. No registry is read: a wallet is tied to its owner by its address alone, so it need
/// not be deployed yet for the check (only to hold funds).
/// @dev Each factory's init-code hash is computed once, when the factory is set, and stored next to it: a check
/// reads two storage words and hashes 85 bytes instead of calling the factory. A factory whose implementation
/// can change must be set again after the change.
abstract contract Signatures is ISignatures, Auth {
    /// @dev secp256k1n / 2: signatures with a larger s are the malleable twin of a valid one.
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address private _proxyFactory;
    bytes32 private _proxyInitCodeHash;
    address private _safeFactory;
    bytes32 private _safeInitCodeHash;

    /// @param proxyFactory The proxy-wallet factory (address(0): no proxy-wallet orders until one is set).
    /// @param safeFactory The Safe factory (address(0): no Safe orders until one is set).
    constructor(address proxyFactory, address safeFactory) {
        _setProxyFactory(proxyFactory);
        _setSafeFactory(safeFactory);
    }

    /// @notice Reverts unless `order` carries a valid signature over `orderHash`.
    /// @param orderHash The order's EIP-712 digest.
    /// @param order The signed order.
    function validateOrderSignature(bytes32 orderHash, Order calldata order) external view {
        _validateSignature(orderHash, order);
    }

    /// @notice The proxy-wallet factory (address(0) if none).
    function getProxyFactory() external view returns (address) {
        return _proxyFactory;
    }

    /// @notice The Safe factory (address(0) if none).
    function getSafeFactory() external view returns (address) {
        return _safeFactory;
    }

    /// @notice The implementation the proxy factory's wallets delegate to.
    function getPolyProxyFactoryImplementation() external view returns (address) {
        return IProxyWalletFactory(_proxyFactory).getImplementation();
    }

    /// @notice The Safe singleton the Safe factory's proxies point at.
    function getSafeFactoryImplementation() external view returns (address) {
        return ISafeWalletFactory(_safeFactory).masterCopy();
    }

    /// @notice The proxy wallet of `signer` (deployed or not): the maker of its POLY_PROXY orders.
    /// @param signer The wallet's owner.
    function getPolyProxyWalletAddress(address signer) external view returns (address) {
        return _proxyWalletOf(signer);
    }

    /// @notice The Safe of `signer` (deployed or not): the maker of its POLY_GNOSIS_SAFE orders.
    /// @param signer The Safe's owner.
    function getSafeAddress(address signer) external view returns (address) {
        return _safeOf(signer);
    }

    /// @notice Trust another proxy-wallet factory. Admin only.
    /// @param proxyFactory The factory (address(0) to accept no proxy-wallet orders).
    function setProxyFactory(address proxyFactory) external onlyAdmin {
        _setProxyFactory(proxyFactory);
    }

    /// @notice Trust another Safe factory. Admin only.
    /// @param safeFactory The factory (address(0) to accept no Safe orders).
    function setSafeFactory(address safeFactory) external onlyAdmin {
        _setSafeFactory(safeFactory);
    }

    function _setProxyFactory(address factory) private {
        bytes32 codeHash;
        if (factory != address(0)) {
            address implementation = IProxyWalletFactory(factory).getImplementation();
            // The EIP-1167 minimal proxy's init code with `implementation` in it (what OpenZeppelin Clones deploys).
            codeHash = keccak256(
                abi.encodePacked(
                    hex"3d602d80600a3d3981f3363d3d373d3d3d363d73",
                    implementation,
                    hex"5af43d82803e903d91602b57fd5bf3"
                )
            );
        }
        emit ProxyFactoryUpdated(_proxyFactory, factory);
        _proxyFactory = factory;
        _proxyInitCodeHash = codeHash;
    }

    function _setSafeFactory(address factory) private {
        bytes32 codeHash;
        if (factory != address(0)) {
            ISafeWalletFactory f = ISafeWalletFactory(factory);
            codeHash = keccak256(abi.encodePacked(f.proxyCreationCode(), uint256(uint160(f.masterCopy()))));
        }
        emit SafeFactoryUpdated(_safeFactory, factory);
        _safeFactory = factory;
        _safeInitCodeHash = codeHash;
    }

    function _proxyWalletOf(address signer) internal view returns (address) {
        bytes32 salt;
        assembly ("memory-safe") {
            mstore(0x00, signer)
            salt := keccak256(0x0c, 0x14) // keccak256(abi.encodePacked(signer))
        }
        return _create2Address(_proxyFactory, salt, _proxyInitCodeHash);
    }

    function _safeOf(address signer) internal view returns (address) {
        bytes32 salt;
        assembly ("memory-safe") {
            mstore(0x00, signer)
            salt := keccak256(0x00, 0x20) // keccak256(abi.encode(signer))
        }
        return _create2Address(_safeFactory, salt, _safeInitCodeHash);
    }

    /// @dev keccak256(0xff ‖ deployer ‖ salt ‖ initCodeHash)[12:], or address(0) when no factory is set (so no
    /// maker can match it: a zero maker never holds funds and is refused for every type below).
    function _create2Address(address deployer, bytes32 salt, bytes32 initCodeHash) private pure returns (address a) {
        if (deployer == address(0)) return address(0);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, deployer)
            mstore8(add(ptr, 0x0b), 0xff)
            mstore(add(ptr, 0x20), salt)
            mstore(add(ptr, 0x40), initCodeHash)
            a := and(keccak256(add(ptr, 0x0b), 0x55), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    function _validateSignature(bytes32 orderHash, Order calldata order) internal view {
        uint8 signatureType = order.signatureType;
        address signer = order.signer;
        if (signatureType == SignatureTypes.EOA) {
            if (signer != order.maker) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_PROXY) {
            address maker = order.maker;
            if (maker == address(0) || maker != _proxyWalletOf(signer)) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_GNOSIS_SAFE) {
            address maker = order.maker;
            if (maker == address(0) || maker != _safeOf(signer)) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_1271) {
            _check1271(orderHash, order, signer);
            return;
        } else {
            revert UnsupportedSignatureType();
        }
        _checkEcdsa(orderHash, order.signature, signer);
    }

    /// @dev `_validateSignature`'s rules over an order's parts, for order structs other than V1's (ExchangeV2).
    /// V1 keeps its own copy of the dispatch so its gas does not change.
    function _validateSignatureOf(
        bytes32 orderHash,
        uint8 signatureType,
        address maker,
        address signer,
        bytes calldata signature
    ) internal view {
        if (signatureType == SignatureTypes.EOA) {
            if (signer != maker) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_PROXY) {
            if (maker == address(0) || maker != _proxyWalletOf(signer)) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_GNOSIS_SAFE) {
            if (maker == address(0) || maker != _safeOf(signer)) revert InvalidSignature();
        } else if (signatureType == SignatureTypes.POLY_1271) {
            if (signer != maker || signer.code.length == 0) revert InvalidSignature();
            if (!SignatureChecker.isValidERC1271SignatureNow(signer, orderHash, signature)) revert InvalidSignature();
            return;
        } else {
            revert UnsupportedSignatureType();
        }
        _checkEcdsa(orderHash, signature, signer);
    }

    /// @dev POLY_1271: the maker is the signer, a contract that accepts the signature by EIP-1271.
    function _check1271(bytes32 orderHash, Order calldata order, address signer) private view {
        if (signer != order.maker || signer.code.length == 0) revert InvalidSignature();
        if (!SignatureChecker.isValidERC1271SignatureNow(signer, orderHash, order.signature)) revert InvalidSignature();
    }

    /// @dev Reverts with InvalidSignature unless `signature` (r‖s‖v) recovers to `signer` (non-zero).
    function _checkEcdsa(bytes32 orderHash, bytes calldata signature, address signer) internal view {
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
