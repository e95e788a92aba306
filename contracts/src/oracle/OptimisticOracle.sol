// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice The part of Gnosis ConditionalTokens the oracle uses.
interface IConditionalTokensOracle {
    function prepareCondition(address oracle, bytes32 questionId, uint256 outcomeSlotCount) external;

    function reportPayouts(bytes32 questionId, uint256[] calldata payouts) external;

    function getConditionId(address oracle, bytes32 questionId, uint256 outcomeSlotCount)
        external
        pure
        returns (bytes32);

    function getOutcomeSlotCount(bytes32 conditionId) external view returns (uint256);
}

/// @title OptimisticOracle
/// @notice Resolves binary markets on ConditionalTokens optimistically. A creator initializes a question from its
/// text (the ancillary data); the question id is bound to the creator, so nobody else can take or block it. Anyone
/// may then propose an outcome by posting the question's bond; if nobody else disputes it (with an equal bond)
/// within the liveness window, anyone can settle it and the outcome is reported to ConditionalTokens. A dispute
/// sends the question to the arbitrator, who must rule before the arbitration deadline: the side the ruling agrees
/// with gets its bond back plus the loser's bond minus the dispute fee. If the arbitrator does not rule in time,
/// anyone can expire the dispute: both bonds are refunded and the question is open for a new proposal.
/// @dev Outcomes: 0 = YES wins (payouts [1,0]), 1 = NO wins ([0,1]), 2 = invalid / 50-50 ([1,1]). This contract is
/// the condition's oracle: ConditionalTokens accepts `reportPayouts` only from it. Roles: the admin (the deployer)
/// sets the minimum bond and the fee recipient and replaces the arbitrator after `arbitratorDelay`.
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
        uint64 arbitrationDeadline;
        address proposer;
        address disputer;
        uint256 bond;
    }

    /// @notice The dispute fee's upper bound: a winner always gets at least half of the loser's bond.
    uint16 public constant MAX_DISPUTE_FEE_BPS = 5000;

    /// @notice The question is unknown, or not in the state the call needs.
    error WrongState(bytes32 questionId, State state);
    /// @notice Outcome must be 0 (YES), 1 (NO) or 2 (invalid).
    error InvalidOutcome(uint8 outcome);
    /// @notice The liveness window has not ended yet (settle) or has ended (dispute).
    error Liveness(bytes32 questionId);
    /// @notice Only the arbitrator may rule on disputes.
    error NotArbitrator();
    /// @notice Only the admin may call this.
    error NotAdmin();
    /// @notice The creator already initialized this question.
    error AlreadyInitialized(bytes32 questionId);
    /// @notice The bond is below the minimum bond.
    error BondTooLow(uint256 bond, uint256 minBond);
    /// @notice A bound that must be positive is zero (minimum bond, liveness, arbitration window).
    error ZeroValue();
    /// @notice The zero address where an account is needed.
    error ZeroAddress();
    /// @notice The dispute fee exceeds `MAX_DISPUTE_FEE_BPS`.
    error FeeTooHigh(uint16 feeBps);
    /// @notice The proposer cannot dispute its own proposal.
    error SelfDispute(bytes32 questionId);
    /// @notice The arbitration deadline has passed: the dispute can only be expired.
    error ArbitrationExpired(bytes32 questionId, uint64 deadline);
    /// @notice The arbitration deadline has not passed yet: the arbitrator may still rule.
    error ArbitrationPending(bytes32 questionId, uint64 deadline);
    /// @notice No arbitrator replacement is pending.
    error NoPendingArbitrator();
    /// @notice The arbitrator replacement is not effective before `effectiveAt`.
    error ArbitratorTimelock(uint64 effectiveAt);

    event QuestionInitialized(
        bytes32 indexed questionId, address indexed creator, uint256 bond, uint64 liveness, bytes ancillaryData
    );
    event OutcomeProposed(bytes32 indexed questionId, address indexed proposer, uint8 outcome);
    event OutcomeDisputed(bytes32 indexed questionId, address indexed disputer, uint64 arbitrationDeadline);
    /// @notice A ruling paid `winner` its own bond plus the loser's minus `fee` (sent to the fee recipient).
    event DisputeRuled(bytes32 indexed questionId, address indexed winner, uint256 paid, uint256 fee);
    /// @notice The arbitrator missed the deadline: both bonds were refunded and the question is open again.
    event DisputeExpired(bytes32 indexed questionId, address proposer, address disputer);
    event QuestionResolved(bytes32 indexed questionId, uint8 outcome, bool disputed);
    event MinBondSet(uint256 minBond);
    event FeeRecipientSet(address feeRecipient);
    event ArbitratorProposed(address indexed arbitrator, uint64 effectiveAt);
    event ArbitratorProposalCancelled(address indexed arbitrator);
    event ArbitratorChanged(address indexed previous, address indexed arbitrator);

    IERC20 public immutable bondToken;
    IConditionalTokensOracle public immutable ctf;
    address public immutable admin;
    /// @notice Seconds the arbitrator has to rule after a dispute.
    uint64 public immutable arbitrationWindow;
    /// @notice Seconds between proposing a new arbitrator and its taking office.
    uint64 public immutable arbitratorDelay;
    /// @notice Share of the loser's bond (basis points) that goes to the fee recipient instead of the winner.
    uint16 public immutable disputeFeeBps;

    address public arbitrator;
    address public pendingArbitrator;
    uint64 public pendingArbitratorAt;
    uint256 public minBond;
    address public feeRecipient;

    mapping(bytes32 => Question) internal _questions;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin();
        _;
    }

    constructor(
        IERC20 bondToken_,
        IConditionalTokensOracle ctf_,
        address arbitrator_,
        uint256 minBond_,
        uint64 arbitrationWindow_,
        uint64 arbitratorDelay_,
        uint16 disputeFeeBps_
    ) {
        if (arbitrator_ == address(0)) revert ZeroAddress();
        if (minBond_ == 0 || arbitrationWindow_ == 0) revert ZeroValue();
        if (disputeFeeBps_ > MAX_DISPUTE_FEE_BPS) revert FeeTooHigh(disputeFeeBps_);
        bondToken = bondToken_;
        ctf = ctf_;
        admin = msg.sender;
        arbitrator = arbitrator_;
        minBond = minBond_;
        arbitrationWindow = arbitrationWindow_;
        arbitratorDelay = arbitratorDelay_;
        disputeFeeBps = disputeFeeBps_;
        feeRecipient = msg.sender;
        emit ArbitratorChanged(address(0), arbitrator_);
        emit MinBondSet(minBond_);
        emit FeeRecipientSet(msg.sender);
    }

    // --- views ---------------------------------------------------------------------------------------------------

    /// @notice The stored state of a question.
    function getQuestion(bytes32 questionId) external view returns (Question memory) {
        return _questions[questionId];
    }

    /// @notice The question id `creator` gets for `ancillaryData`: another caller with the same text gets another id.
    function questionIdOf(address creator, bytes calldata ancillaryData) public pure returns (bytes32) {
        return keccak256(abi.encode(creator, keccak256(ancillaryData)));
    }

    // --- the question's life -------------------------------------------------------------------------------------

    /// @notice Create the caller's question for `ancillaryData` and its 2-outcome condition on ConditionalTokens
    /// with this contract as oracle. A condition somebody already prepared for that id is adopted: it is the same
    /// condition, and only this contract can report it.
    /// @param bond What a proposer and a disputer each post (bondToken base units), at least `minBond`.
    /// @param liveness Seconds a proposal can be disputed (> 0).
    /// @return questionId `questionIdOf(msg.sender, ancillaryData)`.
    function initialize(bytes calldata ancillaryData, uint256 bond, uint64 liveness)
        external
        returns (bytes32 questionId)
    {
        if (bond < minBond) revert BondTooLow(bond, minBond);
        if (liveness == 0) revert ZeroValue();
        questionId = questionIdOf(msg.sender, ancillaryData);
        if (_questions[questionId].state != State.None) revert AlreadyInitialized(questionId);
        _questions[questionId] = Question(State.Open, 0, 0, 0, liveness, 0, address(0), address(0), bond);
        if (ctf.getOutcomeSlotCount(ctf.getConditionId(address(this), questionId, 2)) == 0) {
            ctf.prepareCondition(address(this), questionId, 2);
        }
        emit QuestionInitialized(questionId, msg.sender, bond, liveness, ancillaryData);
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

    /// @notice Dispute the proposal within the liveness window, posting an equal bond; the arbitrator then has
    /// `arbitrationWindow` seconds to rule. The proposer cannot dispute itself.
    function dispute(bytes32 questionId) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Proposed) revert WrongState(questionId, q.state);
        if (block.timestamp >= uint256(q.proposedAt) + q.liveness) revert Liveness(questionId);
        if (msg.sender == q.proposer) revert SelfDispute(questionId);
        uint64 deadline = uint64(block.timestamp) + arbitrationWindow;
        q.state = State.Disputed;
        q.disputer = msg.sender;
        q.arbitrationDeadline = deadline;
        bondToken.safeTransferFrom(msg.sender, address(this), q.bond);
        emit OutcomeDisputed(questionId, msg.sender, deadline);
    }

    /// @notice After an undisputed liveness window: report the proposal and return the proposer's bond.
    function settle(bytes32 questionId) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Proposed) revert WrongState(questionId, q.state);
        if (block.timestamp < uint256(q.proposedAt) + q.liveness) revert Liveness(questionId);
        _resolve(questionId, q, q.proposedOutcome, false);
        bondToken.safeTransfer(q.proposer, q.bond);
    }

    /// @notice The arbitrator's final ruling on a disputed question, before the arbitration deadline. The proposer
    /// wins if the ruling is its proposal, the disputer otherwise (an "invalid" ruling on a YES or NO proposal is
    /// the disputer's win); the winner gets both bonds minus the dispute fee on the loser's bond.
    function arbitrate(bytes32 questionId, uint8 outcome) external {
        if (msg.sender != arbitrator) revert NotArbitrator();
        Question storage q = _questions[questionId];
        if (q.state != State.Disputed) revert WrongState(questionId, q.state);
        if (block.timestamp >= q.arbitrationDeadline) revert ArbitrationExpired(questionId, q.arbitrationDeadline);
        if (outcome > 2) revert InvalidOutcome(outcome);
        _resolve(questionId, q, outcome, true);
        address winner = outcome == q.proposedOutcome ? q.proposer : q.disputer;
        uint256 fee = q.bond * disputeFeeBps / 10_000;
        uint256 paid = 2 * q.bond - fee;
        bondToken.safeTransfer(winner, paid);
        if (fee != 0) bondToken.safeTransfer(feeRecipient, fee);
        emit DisputeRuled(questionId, winner, paid, fee);
    }

    /// @notice After the arbitration deadline without a ruling: refund both bonds and open the question again for
    /// a new proposal. Neither party caused the silence, so neither pays; resolving by a default outcome instead
    /// would pay out the market by a rule nobody ruled on, and cannot be undone.
    function expireDispute(bytes32 questionId) external {
        Question storage q = _questions[questionId];
        if (q.state != State.Disputed) revert WrongState(questionId, q.state);
        if (block.timestamp < q.arbitrationDeadline) revert ArbitrationPending(questionId, q.arbitrationDeadline);
        address proposer = q.proposer;
        address disputer = q.disputer;
        q.state = State.Open;
        q.proposedOutcome = 0;
        q.proposedAt = 0;
        q.arbitrationDeadline = 0;
        q.proposer = address(0);
        q.disputer = address(0);
        bondToken.safeTransfer(proposer, q.bond);
        bondToken.safeTransfer(disputer, q.bond);
        emit DisputeExpired(questionId, proposer, disputer);
    }

    // --- admin ---------------------------------------------------------------------------------------------------

    /// @notice The smallest bond a new question may have (> 0); existing questions keep theirs.
    function setMinBond(uint256 minBond_) external onlyAdmin {
        if (minBond_ == 0) revert ZeroValue();
        minBond = minBond_;
        emit MinBondSet(minBond_);
    }

    /// @notice Where dispute fees go.
    function setFeeRecipient(address feeRecipient_) external onlyAdmin {
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        feeRecipient = feeRecipient_;
        emit FeeRecipientSet(feeRecipient_);
    }

    /// @notice Start replacing the arbitrator: `next` can take office `arbitratorDelay` seconds from now
    /// (`activateArbitrator`). A new proposal replaces a pending one.
    function proposeArbitrator(address next) external onlyAdmin {
        if (next == address(0)) revert ZeroAddress();
        uint64 effectiveAt = uint64(block.timestamp) + arbitratorDelay;
        pendingArbitrator = next;
        pendingArbitratorAt = effectiveAt;
        emit ArbitratorProposed(next, effectiveAt);
    }

    /// @notice Drop the pending arbitrator.
    function cancelArbitrator() external onlyAdmin {
        address next = pendingArbitrator;
        if (next == address(0)) revert NoPendingArbitrator();
        pendingArbitrator = address(0);
        pendingArbitratorAt = 0;
        emit ArbitratorProposalCancelled(next);
    }

    /// @notice Make the pending arbitrator the arbitrator, once its delay has passed. It rules every dispute from
    /// then on, including those opened before.
    function activateArbitrator() external onlyAdmin {
        address next = pendingArbitrator;
        if (next == address(0)) revert NoPendingArbitrator();
        if (block.timestamp < pendingArbitratorAt) revert ArbitratorTimelock(pendingArbitratorAt);
        address previous = arbitrator;
        arbitrator = next;
        pendingArbitrator = address(0);
        pendingArbitratorAt = 0;
        emit ArbitratorChanged(previous, next);
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
