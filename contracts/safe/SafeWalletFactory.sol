// SPDX-License-Identifier: MIT
pragma solidity 0.7.6;

import {Safe} from "@safe-global/safe-smart-account/contracts/Safe.sol";
import {SafeProxy} from "@safe-global/safe-smart-account/contracts/proxies/SafeProxy.sol";
// Compiled alongside so the build has the fallback handler that lets Safes receive ERC1155 tokens.
import {CompatibilityFallbackHandler} from "@safe-global/safe-smart-account/contracts/handler/CompatibilityFallbackHandler.sol";

/// @title SafeWalletFactory
/// @notice Deploys traders' Safes (signature type POLY_GNOSIS_SAFE): one per owner EOA, a `SafeProxy` of
/// `masterCopy` at the CREATE2 address with this factory as deployer, salt keccak256(abi.encode(owner)) and init
/// code `proxyCreationCode() ‖ abi.encode(masterCopy)`, set up with the owner as its only owner (threshold 1) and
/// `fallbackHandler` (CompatibilityFallbackHandler: ERC1155/721 receipt, EIP-1271). The exchange derives the same
/// address from the owner (its `getSafeAddress`). Anyone may deploy anyone's Safe: the set-up is fixed by this
/// factory, so it gains nothing.
contract SafeWalletFactory {
    event SafeCreated(address indexed owner, address safe);

    /// @notice The Safe singleton every Safe of this factory delegates to.
    address public immutable masterCopy;
    /// @notice The fallback handler every Safe of this factory is set up with.
    address public immutable fallbackHandler;

    constructor(address masterCopy_, address fallbackHandler_) {
        masterCopy = masterCopy_;
        fallbackHandler = fallbackHandler_;
    }

    /// @notice The creation code of the Safe proxy (the init code without the singleton argument).
    function proxyCreationCode() public pure returns (bytes memory) {
        return type(SafeProxy).creationCode;
    }

    /// @notice The Safe of `owner`, deployed or not.
    /// @param owner The Safe's owner.
    function computeProxyAddress(address owner) public view returns (address) {
        bytes32 initCodeHash = keccak256(_initCode());
        bytes32 digest = keccak256(abi.encodePacked(bytes1(0xff), address(this), _salt(owner), initCodeHash));
        return address(uint160(uint256(digest)));
    }

    /// @notice Deploy and set up the Safe of `owner` if it does not exist yet; returns its address either way.
    /// @param owner The Safe's owner.
    function createSafe(address owner) external returns (address safe) {
        safe = computeProxyAddress(owner);
        uint256 size;
        assembly {
            size := extcodesize(safe)
        }
        if (size != 0) return safe;
        bytes memory initCode = _initCode();
        bytes32 salt = _salt(owner);
        address deployed;
        assembly {
            deployed := create2(0, add(initCode, 0x20), mload(initCode), salt)
        }
        require(deployed == safe, "SafeWalletFactory: deployment failed");
        address[] memory owners = new address[](1);
        owners[0] = owner;
        Safe(payable(safe)).setup(owners, 1, address(0), "", fallbackHandler, address(0), 0, address(0));
        emit SafeCreated(owner, safe);
    }

    function _initCode() private view returns (bytes memory) {
        return abi.encodePacked(type(SafeProxy).creationCode, uint256(uint160(masterCopy)));
    }

    function _salt(address owner) private pure returns (bytes32) {
        return keccak256(abi.encode(owner));
    }
}
