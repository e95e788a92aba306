// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ProxyWallet} from "../wallets/ProxyWallet.sol";

/// @title ERC1271Wallet
/// @notice A test contract account for POLY_1271 orders: it holds tokens, runs calls for its owner (ProxyWallet's
/// `execute`, so `FACTORY` is the deployer and `owner` is set by it) and answers EIP-1271 `isValidSignature` with
/// the magic value exactly when the signature is the owner's ECDSA signature of the hash.
contract ERC1271Wallet is ProxyWallet {
    constructor(address owner_) ProxyWallet(address(this)) {
        owner = owner_;
    }

    /// @notice EIP-1271: 0x1626ba7e if `signature` is the owner's signature of `hash`, else 0xffffffff.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return 0x1626ba7e;
        return 0xffffffff;
    }
}
