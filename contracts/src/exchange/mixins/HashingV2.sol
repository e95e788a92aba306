// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OrderV2} from "../libraries/OrderStructsV2.sol";

/// @title HashingV2
/// @notice EIP-712 digests of V2 orders: domain {name: "Polymarket CTF Exchange", version: "2", chainId,
/// verifyingContract: this}, struct `Order(uint256 salt,address maker,address signer,uint256 tokenId,
/// uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,
/// bytes32 builder)` without the signature. A V1 signature (version "1", another struct) never verifies here.
/// @dev The domain separator is cached at construction and rebuilt on another chain id or address.
abstract contract HashingV2 {
    bytes32 internal constant ORDER_V2_TYPEHASH = keccak256(
        "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,"
        "uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)"
    );
    bytes32 private constant DOMAIN_V2_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_V2_HASH = keccak256("Polymarket CTF Exchange");
    bytes32 private constant VERSION_V2_HASH = keccak256("2");

    bytes32 private immutable CACHED_DOMAIN_SEPARATOR_V2;
    uint256 private immutable CACHED_CHAIN_ID_V2;
    address private immutable CACHED_THIS_V2;

    constructor() {
        CACHED_CHAIN_ID_V2 = block.chainid;
        CACHED_THIS_V2 = address(this);
        CACHED_DOMAIN_SEPARATOR_V2 = _buildDomainSeparatorV2();
    }

    /// @notice The EIP-712 (version "2") domain separator for this chain and address.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV2();
    }

    /// @notice The EIP-712 digest of a V2 order (the API's order id). The signature field is ignored.
    /// @param order The order to hash.
    function hashOrder(OrderV2 calldata order) external view returns (bytes32) {
        return _hashOrderV2(order);
    }

    function _domainSeparatorV2() internal view returns (bytes32) {
        if (address(this) == CACHED_THIS_V2 && block.chainid == CACHED_CHAIN_ID_V2) return CACHED_DOMAIN_SEPARATOR_V2;
        return _buildDomainSeparatorV2();
    }

    function _buildDomainSeparatorV2() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_V2_TYPEHASH, NAME_V2_HASH, VERSION_V2_HASH, block.chainid, address(this)));
    }

    function _hashOrderV2(OrderV2 calldata order) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                ORDER_V2_TYPEHASH,
                order.salt,
                order.maker,
                order.signer,
                order.tokenId,
                order.makerAmount,
                order.takerAmount,
                uint8(order.side),
                order.signatureType,
                order.timestamp,
                order.metadata,
                order.builder
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparatorV2(), structHash));
    }
}
