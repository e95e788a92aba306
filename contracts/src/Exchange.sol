// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Trading} from "./exchange/mixins/Trading.sol";
import {TokenReceiver} from "./exchange/mixins/TokenReceiver.sol";
import {Signatures} from "./exchange/mixins/Signatures.sol";

/// @title Exchange
/// @notice Settlement of Polymarket V1 orders (CTF Exchange semantics, same order hash, same events) in a
/// collateral ERC20 and Gnosis Conditional Tokens, with fewer token hops and one split/merge per match.
/// The deployer becomes admin and operator. See docs/contracts.md.
contract Exchange is Trading, TokenReceiver {
    /// @param collateral The collateral ERC20 (6 decimals, e.g. USDC).
    /// @param ctf The Gnosis ConditionalTokens contract.
    /// @param proxyFactory The proxy-wallet factory of POLY_PROXY makers (address(0): none; `setProxyFactory`).
    /// @param safeFactory The Safe factory of POLY_GNOSIS_SAFE makers (address(0): none; `setSafeFactory`).
    constructor(
        address collateral,
        address ctf,
        address proxyFactory,
        address safeFactory
    ) Trading(collateral, ctf) Signatures(proxyFactory, safeFactory) {}
}
