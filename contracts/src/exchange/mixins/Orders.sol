// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IOrders} from "../interfaces/ITrading.sol";
import {Order, OrderStatus} from "../libraries/OrderStructs.sol";
import {TradeMath} from "../libraries/TradeMath.sol";
import {Fees} from "./Fees.sol";
import {Hashing} from "./Hashing.sol";
import {NonceManager} from "./NonceManager.sol";
import {Registry} from "./Registry.sol";
import {Signatures} from "./Signatures.sol";

/// @title Orders
/// @notice Order validation, fill status and maker-only cancellation.
///
/// Status lives in ONE storage word per order hash: bit 0 = isFilledOrCancelled, bits 8..255 = remaining (in
/// maker-amount units; 0 on an untouched order means "the whole makerAmount"). CTFExchange uses two words (a bool
/// and a uint256), so a complete fill here writes one fresh slot instead of touching two.
///
/// Validation order (the first failing check names the error): taker field (NotTaker), expiration
/// (OrderExpired), signature (UnsupportedSignatureType / InvalidSignature), fee rate (FeeTooHigh), token
/// (InvalidTokenId), status (OrderFilledOrCancelled), nonce (InvalidNonce); then the fill (MakingGtRemaining).
abstract contract Orders is IOrders, Hashing, Signatures, NonceManager, Registry, Fees {
    uint256 private constant FILLED_OR_CANCELLED = 1;

    mapping(bytes32 => uint256) internal _orderStatus;

    /// @notice The fill state of an order: whether it is filled or cancelled, and what remains (maker units).
    /// @param orderHash The order's EIP-712 digest.
    function getOrderStatus(bytes32 orderHash) external view returns (OrderStatus memory) {
        uint256 word = _orderStatus[orderHash];
        return OrderStatus(word & FILLED_OR_CANCELLED != 0, word >> 8);
    }

    /// @notice Reverts with the first failing check among expiration, signature, fee rate, token, status and
    /// nonce (the taker field and the fill amount are checked at settlement).
    /// @param order The signed order.
    function validateOrder(Order calldata order) external view {
        _validateOrder(_hashOrder(order), order, true);
    }

    /// @notice Cancel an order. Only its maker may; works while trading is paused.
    /// @param order The order to cancel.
    function cancelOrder(Order calldata order) external {
        _cancelOrder(order);
    }

    /// @notice Cancel several orders of the caller; reverts if any is not the caller's or already done.
    /// @param orders The orders to cancel.
    function cancelOrders(Order[] calldata orders) external {
        uint256 n = orders.length;
        for (uint256 i; i < n; ) {
            _cancelOrder(orders[i]);
            // i < n, so ++i cannot overflow.
            unchecked {
                ++i;
            }
        }
    }

    function _cancelOrder(Order calldata order) private {
        if (order.maker != msg.sender) revert NotOwner();
        bytes32 orderHash = _hashOrder(order);
        uint256 word = _orderStatus[orderHash];
        if (word & FILLED_OR_CANCELLED != 0) revert OrderFilledOrCancelled();
        _orderStatus[orderHash] = word | FILLED_OR_CANCELLED;
        emit OrderCancelled(orderHash);
    }

    /// @dev Checks 2-7 of the validation order; returns the stored `remaining` (0 = untouched). `checkToken`
    /// is false only for maker orders of a match, whose token the pair check has already proven registered (it is
    /// the taker's token, or the registered complement of it; registration is symmetric and permanent).
    function _validateOrder(
        bytes32 orderHash,
        Order calldata order,
        bool checkToken
    ) internal view returns (uint256 storedRemaining) {
        uint256 expiration = order.expiration;
        if (expiration != 0 && expiration < block.timestamp) revert OrderExpired();
        _validateSignature(orderHash, order);
        if (order.feeRateBps > MAX_FEE_RATE_BIPS) revert FeeTooHigh();
        if (checkToken) _validateTokenId(order.tokenId);
        uint256 word = _orderStatus[orderHash];
        if (word & FILLED_OR_CANCELLED != 0) revert OrderFilledOrCancelled();
        if (nonces[order.maker] != order.nonce) revert InvalidNonce();
        return word >> 8;
    }

    /// @dev Every check of the validation order, then records a fill of `making` (maker units).
    /// Returns the order hash and what the order receives for `making`, rounded down.
    function _performOrderChecks(
        Order calldata order,
        uint256 making,
        bool checkToken
    ) internal returns (bytes32 orderHash, uint256 taking) {
        address taker = order.taker;
        if (taker != address(0) && taker != msg.sender) revert NotTaker();
        orderHash = _hashOrder(order);
        uint256 remaining = _validateOrder(orderHash, order, checkToken);
        uint256 makerAmount = order.makerAmount;
        if (remaining == 0) remaining = makerAmount;
        if (making > remaining) revert MakingGtRemaining();
        // making <= remaining was checked just above.
        unchecked {
            remaining -= making;
        }
        _orderStatus[orderHash] = remaining == 0
            ? FILLED_OR_CANCELLED
            : uint256(SafeCast.toUint248(remaining)) << 8;
        taking = TradeMath.takingAmount(making, makerAmount, order.takerAmount);
    }
}
