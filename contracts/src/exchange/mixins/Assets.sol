// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAssets} from "../interfaces/IAssets.sol";
import {IConditionalTokens} from "../interfaces/IConditionalTokens.sol";
import {TokenTransfers} from "../libraries/TokenTransfers.sol";

/// @title Assets
/// @notice The collateral (ERC20, asset id 0) and the Conditional Tokens (ERC1155, asset id = position id), and
/// the token movements settlement needs: transfers between parties and one split or merge of full sets.
abstract contract Assets is IAssets {
    address internal immutable COLLATERAL;
    address internal immutable CTF;

    constructor(address collateral, address ctf) {
        if (collateral.code.length == 0 || ctf.code.length == 0) revert NotAContract();
        COLLATERAL = collateral;
        CTF = ctf;
        // The CTF pulls collateral from the exchange when it splits full sets.
        TokenTransfers.erc20Approve(collateral, ctf, type(uint256).max);
    }

    /// @notice The collateral token.
    function getCollateral() external view returns (address) {
        return COLLATERAL;
    }

    /// @notice The Conditional Tokens contract.
    function getCtf() external view returns (address) {
        return CTF;
    }

    /// @dev Move `amount` of asset `assetId` (0 = collateral) from `from` to `to`; nothing if amount is 0.
    function _transfer(address from, address to, uint256 assetId, uint256 amount) internal {
        if (amount == 0) return;
        if (assetId == 0) {
            if (from == address(this)) TokenTransfers.erc20Transfer(COLLATERAL, to, amount);
            else TokenTransfers.erc20TransferFrom(COLLATERAL, from, to, amount);
        } else {
            TokenTransfers.erc1155Transfer(CTF, from, to, assetId, amount);
        }
    }

    /// @dev Split `amount` collateral held by the exchange into `amount` of each outcome of `conditionId`.
    function _mintSets(bytes32 conditionId, uint256 amount) internal virtual {
        IConditionalTokens(CTF).splitPosition(COLLATERAL, bytes32(0), conditionId, _binaryPartition(), amount);
    }

    /// @dev Merge `amount` of each outcome of `conditionId` held by the exchange back into collateral.
    function _mergeSets(bytes32 conditionId, uint256 amount) internal virtual {
        IConditionalTokens(CTF).mergePositions(COLLATERAL, bytes32(0), conditionId, _binaryPartition(), amount);
    }

    function _binaryPartition() internal pure returns (uint256[] memory partition) {
        partition = new uint256[](2);
        partition[0] = 1;
        partition[1] = 2;
    }
}
