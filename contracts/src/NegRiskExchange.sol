// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Exchange} from "./Exchange.sol";
import {TokenTransfers} from "./exchange/libraries/TokenTransfers.sol";
import {IConditionalTokensFull} from "./negrisk/interfaces/IConditionalTokensFull.sol";
import {INegRiskAdapter} from "./negrisk/interfaces/INegRiskAdapter.sol";

/// @title NegRiskExchange
/// @notice The Exchange for the outcome tokens of neg-risk events (see NegRiskAdapter): the same orders, the same
/// EIP-712 name and version (its own verifying contract, i.e. its own address), the same settlement, except that
/// MINT and MERGE matches split and merge full sets through the adapter, because these conditions are
/// collateralized in the adapter's wrapped collateral. Token transfers go to the Conditional Tokens directly, so
/// traders approve this exchange exactly as they approve the binary one.
contract NegRiskExchange is Exchange {
    /// @notice The adapter's collateral or Conditional Tokens differ from the exchange's.
    error AdapterMismatch();

    address internal immutable NEG_RISK_ADAPTER;

    /// @param collateral The collateral ERC20 (the adapter's).
    /// @param ctf The Gnosis ConditionalTokens contract (the adapter's).
    /// @param adapter The NegRiskAdapter.
    /// @param proxyFactory The proxy-wallet factory of POLY_PROXY makers (address(0): none).
    /// @param safeFactory The Safe factory of POLY_GNOSIS_SAFE makers (address(0): none).
    constructor(
        address collateral,
        address ctf,
        address adapter,
        address proxyFactory,
        address safeFactory
    ) Exchange(collateral, ctf, proxyFactory, safeFactory) {
        if (INegRiskAdapter(adapter).getCollateral() != collateral || INegRiskAdapter(adapter).getCtf() != ctf) {
            revert AdapterMismatch();
        }
        NEG_RISK_ADAPTER = adapter;
        // The adapter pulls the collateral of the full sets it splits, and the full sets it merges.
        TokenTransfers.erc20Approve(collateral, adapter, type(uint256).max);
        IConditionalTokensFull(ctf).setApprovalForAll(adapter, true);
    }

    /// @notice The NegRiskAdapter MINT and MERGE matches go through.
    function getNegRiskAdapter() external view returns (address) {
        return NEG_RISK_ADAPTER;
    }

    /// @dev Split through the adapter: it takes the collateral and delivers the YES and NO to this exchange.
    function _mintSets(bytes32 conditionId, uint256 amount) internal override {
        INegRiskAdapter(NEG_RISK_ADAPTER).splitPosition(COLLATERAL, bytes32(0), conditionId, _binaryPartition(), amount);
    }

    /// @dev Merge through the adapter: it takes the YES and NO and pays the collateral to this exchange.
    function _mergeSets(bytes32 conditionId, uint256 amount) internal override {
        INegRiskAdapter(NEG_RISK_ADAPTER).mergePositions(COLLATERAL, bytes32(0), conditionId, _binaryPartition(), amount);
    }
}

