// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title WrappedCollateral
/// @notice The ERC20 that the neg-risk adapter's conditions are collateralized in. One unit stands for one unit of
/// the real collateral, which the adapter (the owner) holds.
/// @dev The owner's balance is implicit: a transfer out of the owner mints, a transfer into the owner burns, and
/// `balanceOf(owner)` is 0. So the Conditional Tokens can pull what the adapter splits (it approves them once),
/// and what they pay the adapter on a merge or a redemption disappears, without balance writes for the adapter.
/// Only the owner moves the owner's units, either itself or through an allowance it gave; the Conditional Tokens
/// only ever pull from the caller of `splitPosition`, so they pull from the owner only when the adapter splits.
/// `totalSupply` is what everyone but the owner holds.
contract WrappedCollateral {
    /// @notice The neg-risk adapter.
    address public immutable owner;
    /// @notice The real collateral's decimals.
    uint8 public immutable decimals;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The caller is not the owner.
    error NotOwner();
    /// @notice The sender's balance or the spender's allowance is too small.
    error InsufficientBalance();
    /// @notice Transfers to the zero address are refused.
    error InvalidReceiver();

    constructor(uint8 decimals_) {
        owner = msg.sender;
        decimals = decimals_;
    }

    /// @notice "Wrapped Collateral".
    function name() external pure returns (string memory) {
        return "Wrapped Collateral";
    }

    /// @notice "WCOL".
    function symbol() external pure returns (string memory) {
        return "WCOL";
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    /// @notice A maximal allowance is never decreased.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (msg.sender != from) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed != type(uint256).max) {
                if (allowed < value) revert InsufficientBalance();
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _move(from, to, value);
        return true;
    }

    /// @notice Destroy `value` of `from`'s units (the adapter unwraps them for `from`). Owner only.
    function burn(address from, uint256 value) external {
        if (msg.sender != owner) revert NotOwner();
        _move(from, owner, value);
    }

    function _move(address from, address to, uint256 value) private {
        if (to == address(0)) revert InvalidReceiver();
        address owner_ = owner;
        if (from == owner_) {
            totalSupply += value;
        } else {
            uint256 held = balanceOf[from];
            if (held < value) revert InsufficientBalance();
            // held >= value
            unchecked {
                balanceOf[from] = held - value;
            }
        }
        if (to == owner_) {
            // What is burned was counted in the supply when it left the owner.
            unchecked {
                totalSupply -= value;
            }
        } else {
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
