// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Match, Order, OrderStatus} from "../libraries/OrderStructs.sol";

/// @notice Errors and events of order validation, status and cancellation.
interface IOrdersEE {
    error NotOwner();
    error NotTaker();
    error OrderFilledOrCancelled();
    error OrderExpired();
    error InvalidNonce();
    error MakingGtRemaining();

    /// @notice `maker` gave `makerAmountFilled` of `makerAssetId` and got `takerAmountFilled` of `takerAssetId`
    /// (fee included; asset id 0 = collateral). `taker` is the operator (fillOrder), the taker order's maker
    /// (for maker orders of a match) or the exchange (for the taker order of a match).
    event OrderFilled(
        bytes32 indexed orderHash,
        address indexed maker,
        address indexed taker,
        uint256 makerAssetId,
        uint256 takerAssetId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled,
        uint256 fee
    );
    event OrderCancelled(bytes32 indexed orderHash);
}

/// @notice Order status, validation and maker-only cancellation.
interface IOrders is IOrdersEE {
    function getOrderStatus(bytes32 orderHash) external view returns (OrderStatus memory);
    function validateOrder(Order calldata order) external view;
    function cancelOrder(Order calldata order) external;
    function cancelOrders(Order[] calldata orders) external;
}

/// @notice Errors and events of settlement.
interface ITradingEE {
    error NotCrossing();
    error MismatchedTokenIds();
    error TooLittleTokensReceived();
    error LengthMismatch();

    event OrdersMatched(
        bytes32 indexed takerOrderHash,
        address indexed takerOrderMaker,
        uint256 makerAssetId,
        uint256 takerAssetId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled
    );
}

/// @notice Operator-only settlement of signed orders.
interface ITrading is ITradingEE {
    function fillOrder(Order calldata order, uint256 fillAmount) external;
    function fillOrders(Order[] calldata orders, uint256[] calldata fillAmounts) external;
    function matchOrders(
        Order calldata takerOrder,
        Order[] calldata makerOrders,
        uint256 takerFillAmount,
        uint256[] calldata makerFillAmounts
    ) external;
    function matchOrdersBatch(Match[] calldata matches) external;
}
