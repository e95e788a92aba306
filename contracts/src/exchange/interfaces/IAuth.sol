// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Errors and events of the admin/operator roles.
interface IAuthEE {
    error NotAdmin();
    error NotOperator();

    event NewAdmin(address indexed newAdminAddress, address indexed admin);
    event NewOperator(address indexed newOperatorAddress, address indexed admin);
    event RemovedAdmin(address indexed removedAdmin, address indexed admin);
    event RemovedOperator(address indexed removedOperator, address indexed admin);
}

/// @notice Admins manage roles, pausing and the token registry; operators settle trades.
interface IAuth is IAuthEE {
    function isAdmin(address usr) external view returns (bool);
    function isOperator(address usr) external view returns (bool);
    function addAdmin(address admin) external;
    function addOperator(address operator) external;
    function removeAdmin(address admin) external;
    function removeOperator(address operator) external;
    function renounceAdminRole() external;
    function renounceOperatorRole() external;
}
