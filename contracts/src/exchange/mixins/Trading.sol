// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ITrading} from "../interfaces/ITrading.sol";
import {Match, Order, Side} from "../libraries/OrderStructs.sol";
import {TradeMath} from "../libraries/TradeMath.sol";
import {Assets} from "./Assets.sol";
import {Matching} from "./Matching.sol";
import {Pausable} from "./Pausable.sol";

/// @title Trading
/// @notice The operator's settlement entry points: `fillOrder(s)` (the operator is the counterparty),
/// `matchOrders` (one taker order against many makers, see Matching) and `matchOrdersBatch` (many independent
/// matches in one transaction). All are operator-only, stopped by the pause, and non-reentrant (a transient-storage
/// guard: EIP-1153, no storage write).
abstract contract Trading is ITrading, Matching, Pausable, ReentrancyGuardTransient {
    constructor(address collateral, address ctf) Assets(collateral, ctf) {}

    /// @notice Fill `fillAmount` (maker units) of `order` with the operator as counterparty: the maker's asset
    /// goes to the operator, the operator pays the maker its proceeds minus the fee (the operator keeps the fee).
    /// The operator must hold and have approved the asset it pays. Operator only; not while paused.
    /// @param order The signed order.
    /// @param fillAmount How much of the order's maker amount to fill.
    function fillOrder(Order calldata order, uint256 fillAmount) external nonReentrant onlyOperator notPaused {
        _fillOrder(order, fillAmount);
    }

    /// @notice `fillOrder` for several orders in one transaction. Operator only; not while paused.
    /// @param orders The signed orders.
    /// @param fillAmounts The fill amount of each order (maker units).
    function fillOrders(
        Order[] calldata orders,
        uint256[] calldata fillAmounts
    ) external nonReentrant onlyOperator notPaused {
        uint256 n = orders.length;
        if (fillAmounts.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ) {
            _fillOrder(orders[i], fillAmounts[i]);
            // i < n, so ++i cannot overflow.
            unchecked {
                ++i;
            }
        }
    }

    /// @notice Match a taker order against maker orders (COMPLEMENTARY, MINT or MERGE per maker, from the
    /// sides). Operator only; not while paused.
    /// @param takerOrder The order being filled against the makers.
    /// @param makerOrders The resting orders it crosses.
    /// @param takerFillAmount The taker order's fill (maker units); the makers may consume less (the price
    /// improvement stays with the taker) but not more.
    /// @param makerFillAmounts Each maker order's fill (maker units).
    function matchOrders(
        Order calldata takerOrder,
        Order[] calldata makerOrders,
        uint256 takerFillAmount,
        uint256[] calldata makerFillAmounts
    ) external nonReentrant onlyOperator notPaused {
        _matchOrders(takerOrder, makerOrders, takerFillAmount, makerFillAmounts);
    }

    /// @notice Settle several independent matches in one transaction, in order, each exactly as `matchOrders`
    /// would. All or nothing: if any match fails, the whole batch reverts with that match's own error, so the
    /// caller simulates first (eth_call) and drops or isolates the failing match (simulating the matches one by
    /// one names it). Later matches see the state left by earlier ones (e.g. a maker order's remaining amount).
    /// Operator only; not while paused.
    /// @param matches The matches, each a `matchOrders` argument list.
    function matchOrdersBatch(Match[] calldata matches) external nonReentrant onlyOperator notPaused {
        uint256 n = matches.length;
        for (uint256 i; i < n; ) {
            Match calldata m = matches[i];
            _matchOrders(m.takerOrder, m.makerOrders, m.takerFillAmount, m.makerFillAmounts);
            // i < n, so ++i cannot overflow.
            unchecked {
                ++i;
            }
        }
    }

    function _fillOrder(Order calldata order, uint256 making) private {
        (bytes32 orderHash, uint256 taking) = _performOrderChecks(order, making, true);
        Side side = order.side;
        uint256 fee = TradeMath.fee(
            order.feeRateBps,
            side == Side.BUY ? taking : making,
            order.makerAmount,
            order.takerAmount,
            side
        );
        (uint256 makerAssetId, uint256 takerAssetId) = side == Side.BUY
            ? (uint256(0), order.tokenId)
            : (order.tokenId, uint256(0));
        address maker = order.maker;
        _transfer(maker, msg.sender, makerAssetId, making);
        _transfer(msg.sender, maker, takerAssetId, taking - fee);
        emit OrderFilled(orderHash, maker, msg.sender, makerAssetId, takerAssetId, making, taking, fee);
    }
}
