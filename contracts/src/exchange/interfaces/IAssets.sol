// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Errors of the asset plumbing.
interface IAssetsEE {
    /// @notice The collateral or the CTF address given to the constructor has no code.
    error NotAContract();
    /// @notice An ERC1155 transfer into the exchange came from a token other than its CTF.
    error UnexpectedToken();
}

/// @notice The collateral ERC20 and the Conditional Tokens (ERC1155) the exchange settles in.
interface IAssets is IAssetsEE {
    function getCollateral() external view returns (address);
    function getCtf() external view returns (address);
}
