// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";

import {ExchangeV2} from "./ExchangeV2.sol";
import {Exchange} from "./Exchange.sol";
import {Order, Side} from "./exchange/libraries/OrderStructs.sol";
import {OrderV2} from "./exchange/libraries/OrderStructsV2.sol";
import {TokenTransfers} from "./exchange/libraries/TokenTransfers.sol";
import {Assets} from "./exchange/mixins/Assets.sol";
import {Auth} from "./exchange/mixins/Auth.sol";
import {TokenReceiver} from "./exchange/mixins/TokenReceiver.sol";
import {IConditionalTokensFull} from "./negrisk/interfaces/IConditionalTokensFull.sol";

/// @title CrossMatcher
/// @notice Settles a V1 order against a V2 order in one transaction, each on its own exchange: this contract is an
/// operator of both and the counterparty of two `fillOrder` calls, so each exchange verifies, fee-charges and
/// records only its own orders (a V1 order's fill state stays in the V1 Exchange, a V2 order's in ExchangeV2;
/// neither can be filled twice through the other). Match types follow the sides as in `matchOrders`:
/// - COMPLEMENTARY (BUY vs SELL of one token): the SELL is filled first (tokens in, collateral out), then the BUY.
/// - MINT (BUY vs BUY of complementary tokens): full sets are split first, then both BUYs take their tokens.
/// - MERGE (SELL vs SELL of complementary tokens): both SELLs are filled, then the full sets are merged.
/// Each order fills at its own limit price and pays its own exchange's fee; the spread and the fees stay here.
/// The contract fronts the collateral of a leg from its float (held here, funded by the operator), and the
/// match reverts with `Unbalanced` unless the float's collateral is whole again at the end: the operator can
/// only gain. Admins sweep balances out. Operator only.
contract CrossMatcher is Auth, TokenReceiver, ReentrancyGuardTransient {
    /// @notice The match would leave the float with less collateral than before.
    error Unbalanced();
    /// @notice The two orders' tokens are neither equal (opposite sides) nor complements (same side).
    error NotAPair();

    event CrossMatched(bytes32 indexed v1OrderHash, bytes32 indexed v2OrderHash, uint8 matchType);

    Exchange internal immutable EXCHANGE_V1;
    ExchangeV2 internal immutable EXCHANGE_V2;

    /// @param collateral The collateral both exchanges settle in.
    /// @param ctf The Conditional Tokens both exchanges settle.
    /// @param exchangeV1 The V1 Exchange (this contract must be made its operator).
    /// @param exchangeV2 The ExchangeV2 (this contract must be made its operator); its registry gives complements.
    constructor(
        address collateral,
        address ctf,
        address exchangeV1,
        address exchangeV2
    ) Assets(collateral, ctf) {
        EXCHANGE_V1 = Exchange(exchangeV1);
        EXCHANGE_V2 = ExchangeV2(exchangeV2);
        // Both exchanges pull what this contract pays in its fills.
        TokenTransfers.erc20Approve(collateral, exchangeV1, type(uint256).max);
        TokenTransfers.erc20Approve(collateral, exchangeV2, type(uint256).max);
        IConditionalTokensFull(ctf).setApprovalForAll(exchangeV1, true);
        IConditionalTokensFull(ctf).setApprovalForAll(exchangeV2, true);
    }

    /// @notice Fill `v1Fill` (maker units) of the V1 order and `v2Fill` of the V2 order against each other.
    /// @param v1 The signed V1 order (for the V1 Exchange).
    /// @param v1Fill Its fill, in maker units.
    /// @param v2 The signed V2 order (for ExchangeV2).
    /// @param v2Fill Its fill, in maker units.
    function matchCross(
        Order calldata v1,
        uint256 v1Fill,
        OrderV2 calldata v2,
        uint256 v2Fill
    ) external nonReentrant onlyOperator {
        uint256 before = IERC20(COLLATERAL).balanceOf(address(this));
        uint8 matchType;
        if (v1.side != v2.side) {
            if (v1.tokenId != v2.tokenId) revert NotAPair();
            if (v1.side == Side.SELL) {
                EXCHANGE_V1.fillOrder(v1, v1Fill);
                EXCHANGE_V2.fillOrder(v2, v2Fill);
            } else {
                EXCHANGE_V2.fillOrder(v2, v2Fill);
                EXCHANGE_V1.fillOrder(v1, v1Fill);
            }
        } else {
            (uint256 complement, bytes32 conditionId) = EXCHANGE_V2.registry(v1.tokenId);
            if (complement == 0 || complement != v2.tokenId) revert NotAPair();
            if (v1.side == Side.BUY) {
                matchType = 1;
                uint256 sets1 = (v1Fill * v1.takerAmount) / v1.makerAmount;
                uint256 sets2 = (v2Fill * v2.takerAmount) / v2.makerAmount;
                _mintSets(conditionId, sets1 > sets2 ? sets1 : sets2);
                EXCHANGE_V1.fillOrder(v1, v1Fill);
                EXCHANGE_V2.fillOrder(v2, v2Fill);
            } else {
                matchType = 2;
                EXCHANGE_V1.fillOrder(v1, v1Fill);
                EXCHANGE_V2.fillOrder(v2, v2Fill);
                _mergeSets(conditionId, v1Fill < v2Fill ? v1Fill : v2Fill);
            }
        }
        if (IERC20(COLLATERAL).balanceOf(address(this)) < before) revert Unbalanced();
        emit CrossMatched(EXCHANGE_V1.hashOrder(v1), EXCHANGE_V2.hashOrder(v2), matchType);
    }

    /// @notice Move `amount` of `assetId` (0 = collateral) held here to `to`: fees, spreads, the float. Admin only.
    function sweep(uint256 assetId, address to, uint256 amount) external onlyAdmin {
        if (assetId == 0) TokenTransfers.erc20Transfer(COLLATERAL, to, amount);
        else IERC1155(CTF).safeTransferFrom(address(this), to, assetId, amount, "");
    }
}
