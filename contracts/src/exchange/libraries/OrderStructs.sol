// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Which side of the book an order is on. BUY pays collateral for outcome tokens; SELL the reverse.
enum Side {
    BUY,
    SELL
}

/// @notice How a pair of orders settles against each other (derived from the two sides, never signed).
/// COMPLEMENTARY: a buy against a sell of the same token; tokens and collateral change hands.
/// MINT: two buys of complementary tokens; their collateral is split into a full set, each side gets its token.
/// MERGE: two sells of complementary tokens; the full set is merged back into collateral, shared between them.
enum MatchType {
    COMPLEMENTARY,
    MINT,
    MERGE
}

/// @notice A signed Polymarket V1 order. Field order is the EIP-712 hash order; `signature` is not hashed.
/// Amounts are in 6-decimal base units. BUY: makerAmount = collateral paid, takerAmount = tokens received.
/// SELL: makerAmount = tokens sold, takerAmount = collateral received. `signatureType` is a plain uint8 (0 = EOA,
/// 1 = POLY_PROXY, 2 = POLY_GNOSIS_SAFE, 3 = POLY_1271 as in V2) so any other value reaches a clear error.
struct Order {
    uint256 salt;
    address maker;
    address signer;
    address taker;
    uint256 tokenId;
    uint256 makerAmount;
    uint256 takerAmount;
    uint256 expiration;
    uint256 nonce;
    uint256 feeRateBps;
    Side side;
    uint8 signatureType;
    bytes signature;
}

/// @notice The ABI view of an order's fill state. `remaining` is in maker-amount units; 0 on a fresh order means
/// "not touched yet" (the whole makerAmount is available).
struct OrderStatus {
    bool isFilledOrCancelled;
    uint256 remaining;
}

/// @notice One taker order matched against its makers: the arguments of `matchOrders`, for `matchOrdersBatch`.
struct Match {
    Order takerOrder;
    Order[] makerOrders;
    uint256 takerFillAmount;
    uint256[] makerFillAmounts;
}

/// @dev Signature type values (see `Order.signatureType`); mixins/Signatures.sol says how each is checked.
library SignatureTypes {
    uint8 internal constant EOA = 0;
    uint8 internal constant POLY_PROXY = 1;
    uint8 internal constant POLY_GNOSIS_SAFE = 2;
    uint8 internal constant POLY_1271 = 3;
}
