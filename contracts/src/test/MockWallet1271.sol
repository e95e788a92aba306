// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockWallet1271
/// @notice A contract wallet for tests of POLY_1271 orders: it accepts a digest signed by its owner's key
/// (ERC-1271), holds collateral and outcome tokens, and lets `exchange` move them.
contract MockWallet1271 is IERC1271, ERC1155Holder {
    address public immutable owner;

    /// @param owner_ The EOA whose signatures the wallet accepts.
    /// @param collateral The collateral ERC20 the exchange may pull.
    /// @param ctf The Conditional Tokens the exchange may move.
    /// @param exchange The exchange approved for both.
    constructor(address owner_, address collateral, address ctf, address exchange) {
        owner = owner_;
        IERC20(collateral).approve(exchange, type(uint256).max);
        IERC1155(ctf).setApprovalForAll(exchange, true);
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
