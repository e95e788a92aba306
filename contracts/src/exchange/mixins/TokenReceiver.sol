// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {Assets} from "./Assets.sol";

/// @title TokenReceiver
/// @notice ERC1155 receiver hooks, needed because the CTF calls them when it mints full sets to the exchange and
/// when makers' tokens are pulled in for a merge. Only the exchange's own CTF may deliver; other ERC1155 tokens
/// are refused so nothing can get stuck here.
abstract contract TokenReceiver is IERC1155Receiver, Assets {
    /// @notice ERC1155 single-transfer acceptance hook (CTF only).
    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external view returns (bytes4) {
        if (msg.sender != CTF) revert UnexpectedToken();
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice ERC1155 batch-transfer acceptance hook (CTF only).
    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external view returns (bytes4) {
        if (msg.sender != CTF) revert UnexpectedToken();
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    /// @notice ERC165: the exchange is an ERC1155 receiver.
    /// @param interfaceId The interface to query.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
