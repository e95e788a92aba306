// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TokenTransfers
/// @notice Minimal-overhead ERC20 and ERC1155 calls. The call data is written at the free memory pointer without
/// moving it (the memory is scratch, dead after the call). A failing call re-throws the token's revert data
/// unchanged; an ERC20 call that returns anything but `true`, or returns nothing from an address without code, is
/// rejected with `TransferFailed` (SafeERC20's acceptance rule). Callers skip zero amounts.
library TokenTransfers {
    /// @notice An ERC20 call returned false, or the token address has no code.
    error TransferFailed();

    /// @notice `token.transferFrom(from, to, amount)`, requiring success.
    function erc20TransferFrom(address token, address from, address to, uint256 amount) internal {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(ptr, 0x23b872dd00000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), from)
            mstore(add(ptr, 0x24), to)
            mstore(add(ptr, 0x44), amount)
        }
        _erc20Call(token, ptr, 0x64);
    }

    /// @notice `token.transfer(to, amount)` from this contract, requiring success.
    function erc20Transfer(address token, address to, uint256 amount) internal {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(ptr, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), to)
            mstore(add(ptr, 0x24), amount)
        }
        _erc20Call(token, ptr, 0x44);
    }

    /// @notice `token.approve(spender, amount)` from this contract, requiring success.
    function erc20Approve(address token, address spender, uint256 amount) internal {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(ptr, 0x095ea7b300000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), spender)
            mstore(add(ptr, 0x24), amount)
        }
        _erc20Call(token, ptr, 0x44);
    }

    /// @notice `ctf.safeTransferFrom(from, to, id, amount, "")`; reverts if the call fails.
    function erc1155Transfer(address ctf, address from, address to, uint256 id, uint256 amount) internal {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0xf242432a00000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), from)
            mstore(add(ptr, 0x24), to)
            mstore(add(ptr, 0x44), id)
            mstore(add(ptr, 0x64), amount)
            mstore(add(ptr, 0x84), 0xa0) // offset of `data`
            mstore(add(ptr, 0xa4), 0) // data.length
            if iszero(call(gas(), ctf, 0, ptr, 0xc4, 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev Call `token` with the `size` bytes at `ptr`; bubble a revert; apply the acceptance rule.
    function _erc20Call(address token, uint256 ptr, uint256 size) private {
        assembly ("memory-safe") {
            if iszero(call(gas(), token, 0, ptr, size, ptr, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            let accepted
            switch returndatasize()
            case 0 {
                accepted := gt(extcodesize(token), 0)
            }
            default {
                accepted := and(gt(returndatasize(), 0x1f), eq(mload(ptr), 1))
            }
            if iszero(accepted) {
                mstore(0x00, 0x90b8ec18) // TransferFailed()
                revert(0x1c, 0x04)
            }
        }
    }
}
