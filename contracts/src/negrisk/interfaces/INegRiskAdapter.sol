// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Events and errors of the neg-risk adapter.
interface INegRiskAdapterEE {
    /// @notice A new event; `oracle` (its creator) alone adds its outcomes and reports it.
    event EventPrepared(bytes32 indexed eventId, address indexed oracle, bytes data);
    /// @notice A new outcome of `eventId`: a binary condition whose oracle is the adapter.
    event OutcomePrepared(
        bytes32 indexed eventId,
        bytes32 indexed questionId,
        uint256 index,
        bytes32 conditionId,
        uint256 yesPositionId,
        uint256 noPositionId,
        bytes data
    );
    /// @notice `amount` collateral of `stakeholder` became `amount` YES and `amount` NO of `conditionId`.
    event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount);
    /// @notice `amount` YES and `amount` NO of `stakeholder` became `amount` collateral.
    event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount);
    /// @notice `amount` NO of each outcome in `indexSet` became (k - 1) * `amount` collateral plus `amount` YES of
    /// every other outcome of the event (k = the number of outcomes in `indexSet`).
    event PositionsConverted(
        address indexed stakeholder, bytes32 indexed eventId, uint256 indexed indexSet, uint256 amount
    );
    /// @notice The outcome `questionId` resolved YES (`outcome` true) or NO.
    event OutcomeReported(bytes32 indexed eventId, bytes32 indexed questionId, bool outcome);
    /// @notice `redeemer` gave `amounts` (YES, NO) of a resolved `conditionId` and received `payout` collateral.
    event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout);

    /// @notice The event id is taken (the same oracle prepared the same data before).
    error EventAlreadyPrepared();
    /// @notice No event with this id.
    error UnknownEvent();
    /// @notice The caller is not the event's oracle.
    error NotOracle();
    /// @notice The event has its winner: no more outcomes, no second winner.
    error EventAlreadyDetermined();
    /// @notice The event already has the maximum number of outcomes (256).
    error TooManyOutcomes();
    /// @notice No outcome with this question id.
    error UnknownOutcome();
    /// @notice The outcome was reported before.
    error OutcomeAlreadyReported();
    /// @notice The condition is not an outcome of an event of this adapter.
    error UnknownCondition();
    /// @notice Only the collateral, the root collection and the binary partition [1, 2] are supported.
    error UnsupportedPosition();
    /// @notice The index set is empty or names outcomes the event does not have.
    error InvalidIndexSet();
    /// @notice `redeemPositions` takes exactly two amounts (YES, NO).
    error InvalidAmounts();
    /// @notice An ERC1155 transfer into the adapter that the adapter did not make.
    error UnexpectedTransfer();
    /// @notice The collateral or the conditional tokens address has no code.
    error NotAContract();
}

/// @notice Multi-outcome ("neg-risk") events over the Conditional Tokens, one binary condition per outcome, with
/// at most one outcome resolving YES. See NegRiskAdapter.
interface INegRiskAdapter is INegRiskAdapterEE {
    function prepareEvent(bytes calldata data) external returns (bytes32 eventId);

    function addOutcome(bytes32 eventId, bytes calldata data) external returns (bytes32 questionId);

    function reportOutcome(bytes32 questionId, bool outcome) external;

    function splitPosition(
        address collateral,
        bytes32 parentCollectionId,
        bytes32 conditionId,
        uint256[] calldata partition,
        uint256 amount
    ) external;

    function mergePositions(
        address collateral,
        bytes32 parentCollectionId,
        bytes32 conditionId,
        uint256[] calldata partition,
        uint256 amount
    ) external;

    function convertPositions(bytes32 eventId, uint256 indexSet, uint256 amount) external;

    function redeemPositions(bytes32 conditionId, uint256[] calldata amounts) external;

    function getCollateral() external view returns (address);

    function getCtf() external view returns (address);

    function getWrappedCollateral() external view returns (address);
}
