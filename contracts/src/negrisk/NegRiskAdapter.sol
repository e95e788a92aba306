// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {TokenTransfers} from "../exchange/libraries/TokenTransfers.sol";
import {IConditionalTokensFull} from "./interfaces/IConditionalTokensFull.sol";
import {INegRiskAdapter} from "./interfaces/INegRiskAdapter.sol";
import {WrappedCollateral} from "./WrappedCollateral.sol";

/// @title NegRiskAdapter
/// @notice Multi-outcome ("neg-risk") events over Gnosis Conditional Tokens: an event of N outcomes, each outcome
/// an ordinary binary condition (YES = index set 1, NO = index set 2) whose oracle is this adapter, and at most one
/// outcome resolving YES. Because only one outcome can win, NO tokens of k outcomes are worth k - 1 units of
/// collateral plus the YES of every other outcome, and `convertPositions` makes that exchange.
///
/// Collateral: the conditions are collateralized in a WrappedCollateral token owned by this adapter; the adapter
/// holds the real collateral. Splitting, merging and redeeming go through the adapter, which wraps and unwraps on
/// the way, so users only ever hold the real collateral and the outcome tokens. A conversion splits the other
/// outcomes' full sets from freshly minted wrapped units and pays k - 1 units of real collateral out of the pool;
/// the k NO tokens given up and the minted NO tokens go to a burn address. The pool stays solvent: everything
/// burned is worth, whatever the winner, at least what was minted and paid out.
///
/// Ids: an event's id is keccak256(oracle, data) with its last byte cleared; its i-th outcome's question id is the
/// event id with i in the last byte, so one id names the event and each outcome. The condition id is the
/// Conditional Tokens' keccak256(adapter, questionId, 2).
///
/// Roles: whoever prepares an event is its oracle. Only the oracle adds outcomes (also after trading started: a
/// placeholder outcome created now can be named later off chain; an outcome added after a conversion was not part
/// of it, so convertors get no YES of it) and reports them. Reporting an outcome YES resolves every other outcome
/// of the event NO in the same call and determines the event: no second winner, no further outcomes. An outcome
/// may also be reported NO alone before the winner is known (a candidate withdraws). The oracle may be an EOA or a
/// contract (an oracle adapter that relays an optimistic oracle's answer).
/// @dev The adapter holds no outcome tokens between calls (the Conditional Tokens redeem a holder's whole balance,
/// so stray tokens would be paid to the next redeemer); it accepts ERC1155 transfers only of its own making.
contract NegRiskAdapter is INegRiskAdapter, IERC1155Receiver, ReentrancyGuardTransient {
    /// @notice Where converted NO tokens go: an address without a key.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @notice Outcomes per event: the last byte of the question id.
    uint256 public constant MAX_OUTCOMES = 256;

    struct EventData {
        address oracle;
        uint16 outcomeCount;
        bool determined;
        uint8 winner;
    }

    struct Positions {
        uint256 yes;
        uint256 no;
    }

    address internal immutable COLLATERAL;
    IConditionalTokensFull internal immutable CTF;
    WrappedCollateral internal immutable WCOL;

    mapping(bytes32 eventId => EventData) internal _events;
    mapping(bytes32 conditionId => Positions) internal _positions;

    /// @param collateral The real collateral ERC20 (e.g. USDC).
    /// @param ctf The Gnosis ConditionalTokens contract.
    /// @param decimals The collateral's decimals, which the wrapped collateral reports too.
    constructor(address collateral, address ctf, uint8 decimals) {
        if (collateral.code.length == 0 || ctf.code.length == 0) revert NotAContract();
        COLLATERAL = collateral;
        CTF = IConditionalTokensFull(ctf);
        WrappedCollateral wcol = new WrappedCollateral(decimals);
        WCOL = wcol;
        // The Conditional Tokens pull the wrapped units the adapter splits.
        wcol.approve(ctf, type(uint256).max);
    }

    // ---- events and outcomes --------------------------------------------------------------------------------

    /// @notice Create an event whose oracle is the caller. `data` is free-form (e.g. the event's title); the same
    /// caller cannot prepare the same data twice.
    /// @param data The event's description.
    /// @return eventId keccak256(caller, data) with the last byte cleared.
    function prepareEvent(bytes calldata data) external returns (bytes32 eventId) {
        eventId = keccak256(abi.encode(msg.sender, data)) & ~bytes32(uint256(0xff));
        if (_events[eventId].oracle != address(0)) revert EventAlreadyPrepared();
        _events[eventId].oracle = msg.sender;
        emit EventPrepared(eventId, msg.sender, data);
    }

    /// @notice Add an outcome to an event and prepare its binary condition. Oracle only; not after the winner is
    /// reported. A condition someone prepared ahead of the adapter (same oracle, question id and slot count, so
    /// the very same condition) is adopted rather than refused.
    /// @param eventId The event.
    /// @param data The outcome's description (may be empty for a placeholder).
    /// @return questionId The event id with the outcome's index in the last byte.
    function addOutcome(bytes32 eventId, bytes calldata data) external returns (bytes32 questionId) {
        EventData storage e = _events[eventId];
        if (e.oracle == address(0)) revert UnknownEvent();
        if (e.oracle != msg.sender) revert NotOracle();
        if (e.determined) revert EventAlreadyDetermined();
        uint256 index = e.outcomeCount;
        if (index == MAX_OUTCOMES) revert TooManyOutcomes();
        e.outcomeCount = uint16(index + 1);
        questionId = eventId | bytes32(index);
        bytes32 conditionId = _conditionId(questionId);
        if (CTF.getOutcomeSlotCount(conditionId) == 0) CTF.prepareCondition(address(this), questionId, 2);
        address wcol = address(WCOL);
        uint256 yes = CTF.getPositionId(wcol, CTF.getCollectionId(bytes32(0), conditionId, 1));
        uint256 no = CTF.getPositionId(wcol, CTF.getCollectionId(bytes32(0), conditionId, 2));
        _positions[conditionId] = Positions(yes, no);
        emit OutcomePrepared(eventId, questionId, index, conditionId, yes, no, data);
    }

    /// @notice Report an outcome. YES: the outcome wins, every other outcome of the event not yet reported
    /// resolves NO, and the event is determined. NO: only this outcome resolves NO. Oracle only.
    /// @param questionId The outcome.
    /// @param outcome True if the outcome happened.
    function reportOutcome(bytes32 questionId, bool outcome) external {
        bytes32 eventId = questionId & ~bytes32(uint256(0xff));
        EventData storage e = _events[eventId];
        if (e.oracle == address(0)) revert UnknownEvent();
        if (e.oracle != msg.sender) revert NotOracle();
        uint256 index = uint256(questionId) & 0xff;
        uint256 count = e.outcomeCount;
        if (index >= count) revert UnknownOutcome();
        if (e.determined) revert EventAlreadyDetermined();
        if (_reported(questionId)) revert OutcomeAlreadyReported();
        if (!outcome) {
            _report(eventId, questionId, false);
            return;
        }
        e.determined = true;
        e.winner = uint8(index);
        _report(eventId, questionId, true);
        for (uint256 i; i < count; ++i) {
            if (i == index) continue;
            bytes32 other = eventId | bytes32(i);
            if (!_reported(other)) _report(eventId, other, false);
        }
    }

    // ---- positions ------------------------------------------------------------------------------------------

    /// @notice Split `amount` collateral of the caller into `amount` YES and `amount` NO of an outcome's condition,
    /// delivered to the caller. The Conditional Tokens' signature, so that the exchange can use the adapter as
    /// its "ctf": `collateral` must be the adapter's collateral, the parent collection 0 and the partition [1, 2].
    function splitPosition(
        address collateral,
        bytes32 parentCollectionId,
        bytes32 conditionId,
        uint256[] calldata partition,
        uint256 amount
    ) external {
        _checkPosition(collateral, parentCollectionId, partition);
        _split(conditionId, amount);
    }

    /// @notice `splitPosition` of the adapter's collateral into the binary partition.
    /// @param conditionId An outcome's condition.
    /// @param amount Collateral to split (the caller must have approved the adapter for it).
    function splitPosition(bytes32 conditionId, uint256 amount) external {
        _split(conditionId, amount);
    }

    /// @notice Merge `amount` YES and `amount` NO of the caller back into `amount` collateral. The Conditional
    /// Tokens' signature (see `splitPosition`). The caller must have approved the adapter on the Conditional Tokens.
    function mergePositions(
        address collateral,
        bytes32 parentCollectionId,
        bytes32 conditionId,
        uint256[] calldata partition,
        uint256 amount
    ) external {
        _checkPosition(collateral, parentCollectionId, partition);
        _merge(conditionId, amount);
    }

    /// @notice `mergePositions` of the binary partition into the adapter's collateral.
    /// @param conditionId An outcome's condition.
    /// @param amount Full sets to merge.
    function mergePositions(bytes32 conditionId, uint256 amount) external {
        _merge(conditionId, amount);
    }

    /// @notice Give `amount` NO of each outcome in `indexSet` (bit i = outcome i) and receive (k - 1) * `amount`
    /// collateral plus `amount` YES of every outcome of the event not in `indexSet` (k = the outcomes in
    /// `indexSet`). The caller must have approved the adapter on the Conditional Tokens.
    /// @param eventId The event.
    /// @param indexSet The outcomes whose NO tokens are converted; not empty, only existing outcomes.
    /// @param amount NO tokens of each.
    function convertPositions(bytes32 eventId, uint256 indexSet, uint256 amount) external nonReentrant {
        EventData storage e = _events[eventId];
        if (e.oracle == address(0)) revert UnknownEvent();
        uint256 count = e.outcomeCount;
        if (indexSet == 0 || (count < MAX_OUTCOMES && indexSet >> count != 0)) revert InvalidIndexSet();
        if (amount != 0) {
            uint256 k = _popCount(indexSet);
            uint256[] memory given = new uint256[](k);
            uint256[] memory yesOut = new uint256[](count - k);
            uint256[] memory noBurned = new uint256[](count - k);
            uint256 g;
            uint256 y;
            uint256[] memory partition = _binaryPartition();
            for (uint256 i; i < count; ++i) {
                bytes32 conditionId = _conditionId(eventId | bytes32(i));
                Positions storage p = _positions[conditionId];
                if ((indexSet >> i) & 1 == 1) {
                    given[g++] = p.no;
                } else {
                    // A full set from `amount` freshly minted wrapped units: YES for the caller, NO burned.
                    CTF.splitPosition(address(WCOL), bytes32(0), conditionId, partition, amount);
                    yesOut[y] = p.yes;
                    noBurned[y++] = p.no;
                }
            }
            CTF.safeBatchTransferFrom(msg.sender, BURN_ADDRESS, given, _filled(k, amount), "");
            if (y != 0) {
                uint256[] memory amounts = _filled(y, amount);
                CTF.safeBatchTransferFrom(address(this), BURN_ADDRESS, noBurned, amounts, "");
                CTF.safeBatchTransferFrom(address(this), msg.sender, yesOut, amounts, "");
            }
            if (k > 1) TokenTransfers.erc20Transfer(COLLATERAL, msg.sender, (k - 1) * amount);
        }
        emit PositionsConverted(msg.sender, eventId, indexSet, amount);
    }

    /// @notice Redeem `amounts[0]` YES and `amounts[1]` NO of a resolved outcome for their payout in collateral.
    /// The caller must have approved the adapter on the Conditional Tokens.
    /// @param conditionId The outcome's condition.
    /// @param amounts (YES, NO) to redeem.
    function redeemPositions(bytes32 conditionId, uint256[] calldata amounts) external nonReentrant {
        if (amounts.length != 2) revert InvalidAmounts();
        Positions storage p = _positions[conditionId];
        uint256 yes = p.yes;
        if (yes == 0) revert UnknownCondition();
        uint256[] memory ids = new uint256[](2);
        ids[0] = yes;
        ids[1] = p.no;
        CTF.safeBatchTransferFrom(msg.sender, address(this), ids, amounts, "");
        uint256 before = WCOL.totalSupply();
        // Pays this adapter in wrapped units, which burns them (see WrappedCollateral).
        CTF.redeemPositions(address(WCOL), bytes32(0), conditionId, _binaryPartition());
        uint256 payout = before - WCOL.totalSupply();
        if (payout != 0) TokenTransfers.erc20Transfer(COLLATERAL, msg.sender, payout);
        emit PayoutRedemption(msg.sender, conditionId, amounts, payout);
    }

    /// @notice Exchange wrapped units (e.g. from redeeming on the Conditional Tokens directly) for collateral.
    /// @param amount Wrapped units of the caller.
    function unwrap(uint256 amount) external nonReentrant {
        WCOL.burn(msg.sender, amount);
        TokenTransfers.erc20Transfer(COLLATERAL, msg.sender, amount);
    }

    // ---- views ----------------------------------------------------------------------------------------------

    /// @notice The real collateral.
    function getCollateral() external view returns (address) {
        return COLLATERAL;
    }

    /// @notice The Conditional Tokens.
    function getCtf() external view returns (address) {
        return address(CTF);
    }

    /// @notice The wrapped collateral the conditions are collateralized in.
    function getWrappedCollateral() external view returns (address) {
        return address(WCOL);
    }

    /// @notice An event's oracle (0 if none), outcome count, whether its winner is known, and the winner's index.
    function getEvent(bytes32 eventId)
        external
        view
        returns (address oracle, uint256 outcomeCount, bool determined, uint256 winner)
    {
        EventData storage e = _events[eventId];
        return (e.oracle, e.outcomeCount, e.determined, e.winner);
    }

    /// @notice The question id of outcome `index` of `eventId`.
    function getQuestionId(bytes32 eventId, uint256 index) external pure returns (bytes32) {
        return eventId | bytes32(index & 0xff);
    }

    /// @notice The event a question id belongs to.
    function getEventId(bytes32 questionId) external pure returns (bytes32) {
        return questionId & ~bytes32(uint256(0xff));
    }

    /// @notice The condition id of an outcome.
    function getConditionId(bytes32 questionId) external view returns (bytes32) {
        return _conditionId(questionId);
    }

    /// @notice The YES and NO position ids (the outcome token ids) of an outcome's condition; 0 if unknown.
    function getPositionIds(bytes32 conditionId) external view returns (uint256 yes, uint256 no) {
        Positions storage p = _positions[conditionId];
        return (p.yes, p.no);
    }

    /// @notice The YES (`outcome` true) or NO position id of an outcome, by question id (Polymarket's adapter
    /// view); 0 if unknown.
    function getPositionId(bytes32 questionId, bool outcome) external view returns (uint256) {
        Positions storage p = _positions[_conditionId(questionId)];
        return outcome ? p.yes : p.no;
    }

    // ---- ERC1155 receiver -----------------------------------------------------------------------------------

    /// @notice Accepts only the adapter's own transfers and mints on its Conditional Tokens.
    function onERC1155Received(address operator, address, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (msg.sender != address(CTF) || operator != address(this)) revert UnexpectedTransfer();
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice Accepts only the adapter's own transfers and mints on its Conditional Tokens.
    function onERC1155BatchReceived(address operator, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (msg.sender != address(CTF) || operator != address(this)) revert UnexpectedTransfer();
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    /// @notice ERC165: the adapter is an ERC1155 receiver.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    // ---- internals ------------------------------------------------------------------------------------------

    function _split(bytes32 conditionId, uint256 amount) private nonReentrant {
        Positions storage p = _positions[conditionId];
        uint256 yes = p.yes;
        if (yes == 0) revert UnknownCondition();
        if (amount != 0) {
            TokenTransfers.erc20TransferFrom(COLLATERAL, msg.sender, address(this), amount);
            // The Conditional Tokens pull `amount` wrapped units from the adapter, minting them.
            CTF.splitPosition(address(WCOL), bytes32(0), conditionId, _binaryPartition(), amount);
            uint256[] memory ids = new uint256[](2);
            ids[0] = yes;
            ids[1] = p.no;
            CTF.safeBatchTransferFrom(address(this), msg.sender, ids, _filled(2, amount), "");
        }
        emit PositionSplit(msg.sender, conditionId, amount);
    }

    function _merge(bytes32 conditionId, uint256 amount) private nonReentrant {
        Positions storage p = _positions[conditionId];
        uint256 yes = p.yes;
        if (yes == 0) revert UnknownCondition();
        if (amount != 0) {
            uint256[] memory ids = new uint256[](2);
            ids[0] = yes;
            ids[1] = p.no;
            CTF.safeBatchTransferFrom(msg.sender, address(this), ids, _filled(2, amount), "");
            // The Conditional Tokens pay the adapter `amount` wrapped units, burning them.
            CTF.mergePositions(address(WCOL), bytes32(0), conditionId, _binaryPartition(), amount);
            TokenTransfers.erc20Transfer(COLLATERAL, msg.sender, amount);
        }
        emit PositionsMerge(msg.sender, conditionId, amount);
    }

    function _report(bytes32 eventId, bytes32 questionId, bool outcome) private {
        uint256[] memory payouts = new uint256[](2);
        payouts[outcome ? 0 : 1] = 1;
        CTF.reportPayouts(questionId, payouts);
        emit OutcomeReported(eventId, questionId, outcome);
    }

    function _reported(bytes32 questionId) private view returns (bool) {
        return CTF.payoutDenominator(_conditionId(questionId)) != 0;
    }

    function _conditionId(bytes32 questionId) private view returns (bytes32) {
        return keccak256(abi.encodePacked(address(this), questionId, uint256(2)));
    }

    function _checkPosition(address collateral, bytes32 parentCollectionId, uint256[] calldata partition)
        private
        view
    {
        if (
            collateral != COLLATERAL || parentCollectionId != bytes32(0) || partition.length != 2 || partition[0] != 1
                || partition[1] != 2
        ) revert UnsupportedPosition();
    }

    function _binaryPartition() private pure returns (uint256[] memory partition) {
        partition = new uint256[](2);
        partition[0] = 1;
        partition[1] = 2;
    }

    function _filled(uint256 n, uint256 value) private pure returns (uint256[] memory out) {
        out = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            out[i] = value;
        }
    }

    function _popCount(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }
}
