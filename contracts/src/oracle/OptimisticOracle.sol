// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice The part of Gnosis ConditionalTokens the oracle uses.
interface IConditionalTokensOracle {
    function prepareCondition(address oracle, bytes32 questionId, uint256 outcomeSlotCount) external;

    function reportPayouts(bytes32 questionId, uint256[] calldata payouts) external;
}

/// @title OptimisticOracle
/// @notice Resolves binary markets on ConditionalTokens optimistically. Anyone may propose an outcome by posting a
/// bond; if nobody disputes it (with an equal bond) within the liveness window, anyone can settle it and the
/// outcome is reported to ConditionalTokens. A dispute sends the question to the arbitrator, whose ruling is final;
/// the side the ruling agrees with receives both bonds.
/// @dev Outcomes: 0 = YES wins (payouts [1,0]), 1 = NO wins ([0,1]), 2 = invalid / 50-50 ([1,1]). This contract is
/// the condition's oracle: ConditionalTokens accepts `reportPayouts` only from it.
contract OptimisticOracle {
    using SafeERC20 for IERC20;

    enum State {
        None,
        Open,
        Proposed,
        Disputed,
        Resolved
    }

    struct Question {
        State state;
        uint8 proposedOutcome;
        uint8 outcome;
        uint64 proposedAt;
        uint64 liveness;
        address proposer;
        address disputer;
        uint256 bond;
    }

    /// @notice The question is unknown, or not in the state the call needs.
    error WrongState(bytes32 questionId, State state);
    /// @notice Outcome must be 0 (YES), 1 (NO) or 2 (invalid).
    error InvalidOutcome(uint8 outcome);
    /// @notice The liveness window has not ended yet (settle) or has ended (dispute).
    error Liveness(bytes32 questionId);
    /// @notice Only the arbitrator may rule on disputes.
    error NotArbitrator();
    /// @notice The question was already initialized.
    error AlreadyInitialized(bytes32 questionId);

    event QuestionInitialized(bytes32 indexed questionId, address indexed creator, uint256 bond, uint64 liveness);
    event OutcomeProposed(bytes32 indexed questionId, address indexed proposer, uint8 outcome);
    event OutcomeDisputed(bytes32 indexed questionId, address indexed disputer);
    event QuestionResolved(bytes32 indexed questionId, uint8 outcome, bool disputed);

    IERC20 public immutable bondToken;
    IConditionalTokensOracle public immutable ctf;
    address public immutable arbitrator;

    mapping(bytes32 => Question) internal _questions;

    constructor(IERC20 bondToken_, IConditionalTokensOracle ctf_, address arbitrator_) {
        bondToken = bondToken_;
        ctf = ctf_;
        arbitrator = arbitrator_;
    }

    /// @notice The stored state of a question.
    function getQuestion(bytes32 questionId) external view returns (Question memory) {
        return _questions[questionId];
    }

    /// @notice Create the question and its 2-outcome condition on ConditionalTokens with this contract as oracle.
    /// @param bond What a proposer and a disputer each post (bondToken base units).
    /// @param liveness Seconds a proposal can be disputed.
    function initialize(bytes32 questionId, uint256 bond, uint64 liveness) external {
        if (_questions[questionId].state != State.None) revert AlreadyInitialized(questionId);
        _questions[questionId] = Question(State.Open, 0, 0, 0, liveness, address(0), address(0), bond);
        ctf.prepareCondition(address(this), questionId, 2);
        emit QuestionInitialized(questionId, msg.sender, bond, liveness);
    }

    /// @notice Propose `outcome`, posting the bond (needs an allowance on bondToken).
    function propose(bytes32 questionId, uint8 outcome) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Open) revert WrongState(questionId, q.state);
        if (outcome > 2) revert InvalidOutcome(outcome);
        q.state = State.Proposed;
        q.proposedOutcome = outcome;
        q.proposer = msg.sender;
        q.proposedAt = uint64(block.timestamp);
        bondToken.safeTransferFrom(msg.sender, address(this), q.bond);
        emit OutcomeProposed(questionId, msg.sender, outcome);
    }

    /// @notice Dispute the proposal within the liveness window, posting an equal bond.
    function dispute(bytes32 questionId) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Proposed) revert WrongState(questionId, q.state);
        if (block.timestamp >= uint256(q.proposedAt) + q.liveness) revert Liveness(questionId);
        q.state = State.Disputed;
        q.disputer = msg.sender;
        bondToken.safeTransferFrom(msg.sender, address(this), q.bond);
        emit OutcomeDisputed(questionId, msg.sender);
    }

    /// @notice After an undisputed liveness window: report the proposal and return the proposer's bond.
    function settle(bytes32 questionId) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Proposed) revert WrongState(questionId, q.state);
        if (block.timestamp < uint256(q.proposedAt) + q.liveness) revert Liveness(questionId);
        _resolve(questionId, q, q.proposedOutcome, false);
        bondToken.safeTransfer(q.proposer, q.bond);
    }

    /// @notice The arbitrator's final ruling on a disputed question; the side it agrees with takes both bonds
    /// (an "invalid" ruling that matches neither returns each bond to its owner).
    function arbitrate(bytes32 questionId, uint8 outcome) external {
        if (msg.sender != arbitrator) revert NotArbitrator();
        Question storage q = _questions[questionId];
        if (q.state != State.Disputed) revert WrongState(questionId, q.state);
        if (outcome > 2) revert InvalidOutcome(outcome);
        _resolve(questionId, q, outcome, true);
        if (outcome == q.proposedOutcome) {
            bondToken.safeTransfer(q.proposer, 2 * q.bond);
        } else if (outcome == 2) {
            bondToken.safeTransfer(q.proposer, q.bond);
            bondToken.safeTransfer(q.disputer, q.bond);
        } else {
            bondToken.safeTransfer(q.disputer, 2 * q.bond);
        }
    }

    function _resolve(bytes32 questionId, Question storage q, uint8 outcome, bool disputed) internal {
        q.state = State.Resolved;
        q.outcome = outcome;
        uint256[] memory payouts = new uint256[](2);
        payouts[0] = outcome == 1 ? 0 : 1;
        payouts[1] = outcome == 0 ? 0 : 1;
        ctf.reportPayouts(questionId, payouts);
        emit QuestionResolved(questionId, outcome, disputed);
    }
}
