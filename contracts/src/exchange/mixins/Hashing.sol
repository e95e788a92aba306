// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IHashing} from "../interfaces/IHashing.sol";
import {Order} from "../libraries/OrderStructs.sol";

/// @title Hashing
/// @notice EIP-712 digests of orders, byte-for-byte those of Polymarket's CTFExchange and its clients:
/// domain {name: "Polymarket CTF Exchange", version: "1", chainId, verifyingContract: this}, struct
/// `Order(uint256 salt,...,uint8 signatureType)` without the signature.
/// @dev The domain separator is cached at construction and rebuilt if the chain id or the contract's address
/// differs (a fork, or code placed at another address), so digests always bind to the live chain and address.
abstract contract Hashing is IHashing {
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,uint256 makerAmount,"
        "uint256 takerAmount,uint256 expiration,uint256 nonce,uint256 feeRateBps,uint8 side,uint8 signatureType)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("Polymarket CTF Exchange");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    bytes32 private immutable CACHED_DOMAIN_SEPARATOR;
    uint256 private immutable CACHED_CHAIN_ID;
    address private immutable CACHED_THIS;

    constructor() {
        CACHED_CHAIN_ID = block.chainid;
        CACHED_THIS = address(this);
        CACHED_DOMAIN_SEPARATOR = _buildDomainSeparator();
    }

    /// @notice The EIP-712 domain separator for this chain and address.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @notice The EIP-712 digest of `order` (the API's order id). The signature field is ignored.
    /// @param order The order to hash.
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order);
    }

    function _domainSeparator() internal view returns (bytes32) {
        if (address(this) == CACHED_THIS && block.chainid == CACHED_CHAIN_ID) return CACHED_DOMAIN_SEPARATOR;
        return _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @dev Hashes the twelve static words of the order straight from calldata: they are exactly the ABI
    /// encoding of the struct's first twelve fields, i.e. what EIP-712 `encodeData` needs. Words that are not a
    /// valid encoding (an address with bits above 160, a side or signature type above 255) are rejected here with
    /// an empty revert, as Solidity's ABI decoder would, so one order has exactly one hash.
    function _hashOrder(Order calldata order) internal view returns (bytes32 digest) {
        bytes32 separator = _domainSeparator();
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), order, 0x180)
            // Words 2-4 are maker, signer, taker (160 bits); words 11-12 are side and signatureType (8 bits).
            let addresses := or(or(mload(add(ptr, 0x40)), mload(add(ptr, 0x60))), mload(add(ptr, 0x80)))
            let smalls := or(mload(add(ptr, 0x160)), mload(add(ptr, 0x180)))
            if or(shr(160, addresses), shr(8, smalls)) { revert(0, 0) }
            let structHash := keccak256(ptr, 0x1a0)
            mstore(ptr, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
    }
}
