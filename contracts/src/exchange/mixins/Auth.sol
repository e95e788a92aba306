// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAuth} from "../interfaces/IAuth.sol";

/// @title Auth
/// @notice Two roles. Admins add and remove admins and operators, pause trading and register tokens; operators
/// call the settlement functions. The deployer starts with both roles. An admin can remove any admin, itself
/// included, so keep at least one.
abstract contract Auth is IAuth {
    /// @notice 1 if the address is an admin.
    mapping(address => uint256) public admins;
    /// @notice 1 if the address is an operator.
    mapping(address => uint256) public operators;

    modifier onlyAdmin() {
        if (admins[msg.sender] != 1) revert NotAdmin();
        _;
    }

    modifier onlyOperator() {
        if (operators[msg.sender] != 1) revert NotOperator();
        _;
    }

    constructor() {
        admins[msg.sender] = 1;
        operators[msg.sender] = 1;
        emit NewAdmin(msg.sender, msg.sender);
        emit NewOperator(msg.sender, msg.sender);
    }

    /// @notice Whether `usr` is an admin.
    /// @param usr The address to check.
    function isAdmin(address usr) external view returns (bool) {
        return admins[usr] == 1;
    }

    /// @notice Whether `usr` is an operator.
    /// @param usr The address to check.
    function isOperator(address usr) external view returns (bool) {
        return operators[usr] == 1;
    }

    /// @notice Grant the admin role. Admin only.
    /// @param admin_ The new admin.
    function addAdmin(address admin_) external onlyAdmin {
        admins[admin_] = 1;
        emit NewAdmin(admin_, msg.sender);
    }

    /// @notice Grant the operator role. Admin only.
    /// @param operator_ The new operator.
    function addOperator(address operator_) external onlyAdmin {
        operators[operator_] = 1;
        emit NewOperator(operator_, msg.sender);
    }

    /// @notice Revoke the admin role. Admin only.
    /// @param admin_ The admin to remove.
    function removeAdmin(address admin_) external onlyAdmin {
        admins[admin_] = 0;
        emit RemovedAdmin(admin_, msg.sender);
    }

    /// @notice Revoke the operator role. Admin only.
    /// @param operator_ The operator to remove.
    function removeOperator(address operator_) external onlyAdmin {
        operators[operator_] = 0;
        emit RemovedOperator(operator_, msg.sender);
    }

    /// @notice Give up the caller's admin role.
    function renounceAdminRole() external onlyAdmin {
        admins[msg.sender] = 0;
        emit RemovedAdmin(msg.sender, msg.sender);
    }

    /// @notice Give up the caller's operator role.
    function renounceOperatorRole() external onlyOperator {
        operators[msg.sender] = 0;
        emit RemovedOperator(msg.sender, msg.sender);
    }
}
