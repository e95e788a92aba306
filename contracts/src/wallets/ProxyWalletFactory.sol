// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {ProxyWallet} from "./ProxyWallet.sol";

/// @title ProxyWalletFactory
/// @notice Deploys traders' proxy wallets (signature type POLY_PROXY): one per owner EOA, an EIP-1167 clone of
/// `getImplementation()` at the CREATE2 address with this factory as deployer and salt
/// keccak256(abi.encodePacked(owner)). The exchange derives the same address from the owner (its
/// `getPolyProxyWalletAddress`), so an order signed by the owner with the wallet as maker needs no registry.
/// Anyone may deploy anyone's wallet: the owner is fixed by the address, so it gains nothing.
contract ProxyWalletFactory {
    event WalletCreated(address indexed owner, address wallet);

    address private immutable IMPLEMENTATION;

    constructor() {
        IMPLEMENTATION = address(new ProxyWallet(address(this)));
    }

    /// @notice The ProxyWallet every wallet of this factory delegates to.
    function getImplementation() external view returns (address) {
        return IMPLEMENTATION;
    }

    /// @notice The wallet of `owner`, deployed or not.
    /// @param owner The wallet's owner.
    function walletOf(address owner) public view returns (address) {
        return Clones.predictDeterministicAddress(IMPLEMENTATION, _salt(owner));
    }

    /// @notice Deploy the wallet of `owner` if it does not exist yet; returns its address either way.
    /// @param owner The wallet's owner.
    function createWallet(address owner) external returns (address wallet) {
        wallet = walletOf(owner);
        if (wallet.code.length != 0) return wallet;
        Clones.cloneDeterministic(IMPLEMENTATION, _salt(owner));
        ProxyWallet(payable(wallet)).initialize(owner);
        emit WalletCreated(owner, wallet);
    }

    function _salt(address owner) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(owner));
    }
}
