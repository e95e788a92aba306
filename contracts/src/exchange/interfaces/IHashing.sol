// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../libraries/OrderStructs.sol";

/// @notice EIP-712 hashing of orders under the domain ("Polymarket CTF Exchange", "1", chainId, this).
interface IHashing {
    function domainSeparator() external view returns (bytes32);
    function hashOrder(Order calldata order) external view returns (bytes32);
}
