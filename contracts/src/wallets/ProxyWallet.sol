// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ProxyWallet
/// @notice The logic of a trader's proxy wallet (signature type POLY_PROXY): a contract account owned by one EOA
/// that holds the trader's collateral and outcome tokens and runs calls for its owner (approve the exchange and
/// the CTF, transfer, cancel orders). Wallets are EIP-1167 clones of one instance of this contract, deployed by
/// `ProxyWalletFactory` at a CREATE2 address derived from the owner; each clone is initialised once, by the factory.
contract ProxyWallet {
    /// @notice One call the wallet makes: `to.call{value}(data)`.
    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    /// @notice The caller is not the wallet's owner.
    error NotOwner();
    /// @notice `initialize` was called again, or by someone other than the factory.
    error AlreadyInitialized();

    event Initialized(address indexed owner);

    /// @notice The factory allowed to initialise clones (immutable: part of the code every clone runs).
    address public immutable FACTORY;
    /// @notice The EOA that controls this wallet (clone storage).
    address public owner;

    constructor(address factory) {
        FACTORY = factory;
    }

    /// @notice Set the owner of a fresh clone. Factory only, once.
    /// @param owner_ The wallet's owner.
    function initialize(address owner_) external {
        if (msg.sender != FACTORY || owner != address(0)) revert AlreadyInitialized();
        owner = owner_;
        emit Initialized(owner_);
    }

    /// @notice Run `calls` in order from this wallet; any failing call reverts all, with its revert data. Owner
    /// only.
    /// @param calls The calls to make.
    /// @return results The return data of each call.
    function execute(Call[] calldata calls) external payable returns (bytes[] memory results) {
        if (msg.sender != owner) revert NotOwner();
        uint256 n = calls.length;
        results = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            Call calldata c = calls[i];
            (bool ok, bytes memory ret) = c.to.call{value: c.value}(c.data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            results[i] = ret;
        }
    }

    /// @notice Accept ERC1155 tokens (the CTF's outcome tokens) sent to this wallet.
    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC1155Received.selector;
    }

    /// @notice Accept batches of ERC1155 tokens sent to this wallet.
    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external pure returns (bytes4) {
        return this.onERC1155BatchReceived.selector;
    }

    /// @notice ERC-165: ERC1155 receiver and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x4e2312e0 || interfaceId == 0x01ffc9a7;
    }

    receive() external payable {}
}
