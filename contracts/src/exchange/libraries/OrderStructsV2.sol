// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Side} from "./OrderStructs.sol";

/// @notice A signed Polymarket V2 order. Field order is the EIP-712 hash order; `signature` is not hashed.
/// Amounts as in V1 (6-decimal base units; BUY: makerAmount = collateral paid, takerAmount = tokens received;
/// SELL the reverse). V1's taker, expiration, nonce and feeRateBps are not signed: the API enforces the
/// (unsigned) expiration, the exchange sets the fee from the token's fee parameters, and replay protection is
/// the order hash's filled/cancelled status. `timestamp` is the signing time in milliseconds; `metadata` and
/// `builder` are opaque 32-byte tags the exchange only hashes.
struct OrderV2 {
    uint256 salt;
    address maker;
    address signer;
    uint256 tokenId;
    uint256 makerAmount;
    uint256 takerAmount;
    Side side;
    uint8 signatureType;
    uint256 timestamp;
    bytes32 metadata;
    bytes32 builder;
    bytes signature;
}

/// @notice The protocol fee of one token: `rateBps` (basis points) and the curve's `exponent`. A taker fill of
/// `shares` outcome tokens at price p pays shares * rateBps / 10_000 * (p * (1 - p)) ** exponent in collateral
/// value (see ExchangeV2). A zero rate means no fee.
struct FeeParams {
    uint16 rateBps;
    uint8 exponent;
}
