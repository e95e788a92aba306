"""The neg-risk adapter on a real anvil chain: split, merge, convert, add an outcome, resolve one winner, redeem.

Every test starts from one event of three outcomes (Alice, Bob, Carol) created by the deployer (its oracle) and
traders holding 1,000 USDC with the adapter approved.
"""

from __future__ import annotations

from web3.logs import DISCARD

from chain.markets import add_outcome, event_id_of
from tests.integration.negrisk.negrisk_support import BURN, USDC, NegRiskEnv

ZERO32 = b"\x00" * 32


def test_event_ids_and_outcomes(nr: NegRiskEnv) -> None:
    assert nr.event.event_id == event_id_of(nr.admin.address, "Who wins the test election?")
    oracle, count, determined, _winner = nr.adapter.functions.getEvent(nr.event_id).call()
    assert (oracle, count, determined) == (nr.admin.address, 3, False)
    for i, market in enumerate(nr.event.markets):
        question = nr.question(i)
        assert question[:31] == nr.event_id[:31]
        assert question[31] == i
        assert nr.adapter.functions.getEventId(question).call() == nr.event_id
        condition = nr.ctf.functions.getConditionId(nr.adapter.address, question, 2).call()
        assert "0x" + bytes(condition).hex() == market.condition_id
        # The outcome tokens are positions over the wrapped collateral, registered as complements.
        wcol = nr.wcol.address
        collection = nr.ctf.functions.getCollectionId(ZERO32, condition, 1).call()
        assert nr.ctf.functions.getPositionId(wcol, collection).call() == market.yes_token
        assert nr.exchange.functions.getComplement(market.yes_token).call() == market.no_token
        assert bytes(nr.exchange.functions.getConditionId(market.no_token).call()) == bytes(condition)


def test_split_and_merge_through_the_adapter(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    nr.split(t, 1, 40 * USDC)
    assert nr.usdc_of(t.address) == 960 * USDC
    assert nr.tokens_of(t.address, [nr.yes(1), nr.no(1)]) == [40 * USDC, 40 * USDC]
    assert nr.usdc_of(nr.adapter.address) == 40 * USDC  # the adapter holds the real collateral
    assert nr.wcol.functions.balanceOf(nr.ctf.address).call() == 40 * USDC  # the CTF holds wrapped units
    assert nr.tokens_of(nr.adapter.address, [nr.yes(1), nr.no(1)]) == [0, 0]
    nr.merge(t, 1, 15 * USDC)
    assert nr.usdc_of(t.address) == 975 * USDC
    assert nr.tokens_of(t.address, [nr.yes(1), nr.no(1)]) == [25 * USDC, 25 * USDC]
    assert nr.usdc_of(nr.adapter.address) == 25 * USDC
    assert nr.wcol.functions.totalSupply().call() == 25 * USDC


def test_split_refuses_other_collateral_and_unknown_conditions(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    split = nr.adapter.get_function_by_signature("splitPosition(address,bytes32,bytes32,uint256[],uint256)")
    c = nr.condition(0)
    assert nr.revert_name(split(nr.wcol.address, ZERO32, c, [1, 2], 1), t) == "UnsupportedPosition"
    assert nr.revert_name(split(nr.usdc.address, ZERO32, c, [2, 1], 1), t) == "UnsupportedPosition"
    assert nr.revert_name(split(nr.usdc.address, c, c, [1, 2], 1), t) == "UnsupportedPosition"
    short = nr.adapter.get_function_by_signature("splitPosition(bytes32,uint256)")
    assert nr.revert_name(short(b"\x01" * 32, 1), t) == "UnknownCondition"
    # The CTF signature with the right arguments works like the short form.
    t.transact(split(nr.usdc.address, ZERO32, c, [1, 2], 3 * USDC))
    assert nr.tokens_of(t.address, [nr.yes(0), nr.no(0)]) == [3 * USDC, 3 * USDC]


def test_convert_two_nos_into_one_dollar_and_the_other_yes(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    for i in range(3):
        nr.split(t, i, 10 * USDC)
    usdc_before = nr.usdc_of(t.address)
    # NO Alice + NO Bob (10 each) -> 10 USDC + 10 YES Carol.
    receipt = nr.convert(t, 0b011, 10 * USDC)
    assert nr.usdc_of(t.address) == usdc_before + 10 * USDC
    assert nr.tokens_of(t.address, [nr.no(0), nr.no(1), nr.no(2)]) == [0, 0, 10 * USDC]
    assert nr.tokens_of(t.address, [nr.yes(0), nr.yes(1), nr.yes(2)]) == [10 * USDC, 10 * USDC, 20 * USDC]
    # The NOs given up and the NO minted beside the YES Carol are burned; the adapter keeps no tokens.
    assert nr.tokens_of(BURN, [nr.no(0), nr.no(1), nr.no(2)]) == [10 * USDC] * 3
    ids = [nr.yes(i) for i in range(3)] + [nr.no(i) for i in range(3)]
    assert nr.tokens_of(nr.adapter.address, ids) == [0] * 6
    (log,) = nr.adapter.events.PositionsConverted().process_receipt(receipt, errors=DISCARD)
    assert (log["args"]["indexSet"], log["args"]["amount"]) == (0b011, 10 * USDC)


def test_convert_every_no_pays_n_minus_one(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    for i in range(3):
        nr.split(t, i, 5 * USDC)
    before = nr.usdc_of(t.address)
    nr.convert(t, 0b111, 5 * USDC)
    assert nr.usdc_of(t.address) == before + 2 * 5 * USDC
    assert nr.tokens_of(t.address, [nr.no(i) for i in range(3)]) == [0, 0, 0]


def test_convert_one_no_gives_the_other_yeses(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    nr.split(t, 2, 7 * USDC)
    before = nr.usdc_of(t.address)
    nr.convert(t, 0b100, 7 * USDC)
    assert nr.usdc_of(t.address) == before
    assert nr.tokens_of(t.address, [nr.yes(0), nr.yes(1), nr.yes(2), nr.no(2)]) == [7 * USDC, 7 * USDC, 7 * USDC, 0]


def test_convert_refuses_bad_index_sets_and_missing_tokens(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    conv = nr.adapter.functions.convertPositions
    assert nr.revert_name(conv(nr.event_id, 0, 1), t) == "InvalidIndexSet"
    assert nr.revert_name(conv(nr.event_id, 0b1000, 1), t) == "InvalidIndexSet"
    assert nr.revert_name(conv(b"\x07" * 32, 1, 1), t) == "UnknownEvent"
    # Without the NO tokens the CTF refuses the transfer (a require message).
    assert nr.revert_name(conv(nr.event_id, 0b001, USDC), t) == "Error"


def test_outcome_added_later_joins_conversions_and_resolution(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    placeholder = add_outcome(nr.admin, nr.manifest, nr.event.event_id, "")
    assert nr.outcome_count() == 4
    assert placeholder.question_id == "0x" + (nr.event_id[:31] + b"\x03").hex()
    assert nr.exchange.functions.getComplement(placeholder.yes_token).call() == placeholder.no_token
    nr.split(t, 0, 10 * USDC)
    before = nr.usdc_of(t.address)
    nr.convert(t, 0b0001, 10 * USDC)  # NO Alice -> YES Bob, Carol and the new outcome
    assert nr.usdc_of(t.address) == before
    ids = [nr.yes(1), nr.yes(2), placeholder.yes_token]
    assert nr.tokens_of(t.address, ids) == [10 * USDC] * 3
    # The new outcome wins: it pays its YES, Alice's YES pays nothing.
    nr.admin.transact(nr.adapter.functions.reportOutcome(bytes.fromhex(placeholder.question_id[2:]), True))
    cond = bytes.fromhex(placeholder.condition_id[2:])
    before = nr.usdc_of(t.address)
    t.transact(nr.adapter.functions.redeemPositions(cond, [10 * USDC, 0]))
    nr.redeem(t, 0, 10 * USDC, 0)
    assert nr.usdc_of(t.address) == before + 10 * USDC


def test_only_the_oracle_adds_and_reports(nr: NegRiskEnv) -> None:
    o = nr.outsider
    assert nr.revert_name(nr.adapter.functions.addOutcome(nr.event_id, b"Dave"), o) == "NotOracle"
    assert nr.revert_name(nr.adapter.functions.reportOutcome(nr.question(0), True), o) == "NotOracle"
    assert nr.revert_name(nr.adapter.functions.reportOutcome(nr.question(0), False), o) == "NotOracle"
    assert nr.revert_name(nr.adapter.functions.addOutcome(b"\x05" * 32, b"x"), o) == "UnknownEvent"
    assert int(nr.ctf.functions.payoutDenominator(nr.condition(0)).call()) == 0
    # An outsider may create its own event, and is the oracle of that one only.
    receipt = o.transact(nr.adapter.functions.prepareEvent(b"outsider event"))
    (log,) = nr.adapter.events.EventPrepared().process_receipt(receipt, errors=DISCARD)
    assert log["args"]["oracle"] == o.address
    assert nr.revert_name(nr.adapter.functions.prepareEvent(b"outsider event"), o) == "EventAlreadyPrepared"


def test_one_winner_resolves_the_event_and_redeems_exactly(nr: NegRiskEnv) -> None:
    a, b = nr.traders[0], nr.traders[1]
    for i in range(3):
        nr.split(a, i, 10 * USDC)
    nr.split(b, 1, 4 * USDC)
    receipt = nr.admin.transact(nr.adapter.functions.reportOutcome(nr.question(1), True))  # Bob wins
    reported = nr.adapter.events.OutcomeReported().process_receipt(receipt, errors=DISCARD)
    assert sorted((bytes(e["args"]["questionId"])[31], e["args"]["outcome"]) for e in reported) == [
        (0, False),
        (1, True),
        (2, False),
    ]
    for i in range(3):
        c = nr.condition(i)
        assert nr.ctf.functions.payoutDenominator(c).call() == 1
        assert nr.ctf.functions.payoutNumerators(c, 0).call() == (1 if i == 1 else 0)
        assert nr.ctf.functions.payoutNumerators(c, 1).call() == (0 if i == 1 else 1)
    assert nr.adapter.functions.getEvent(nr.event_id).call()[2:] == [True, 1]
    # a holds YES and NO of each (10): Bob YES pays 10, the others' NO pay 10 each, the rest nothing.
    before = nr.usdc_of(a.address)
    nr.redeem(a, 0, 10 * USDC, 10 * USDC)
    assert nr.usdc_of(a.address) == before + 10 * USDC
    nr.redeem(a, 1, 10 * USDC, 10 * USDC)
    assert nr.usdc_of(a.address) == before + 20 * USDC
    nr.redeem(a, 2, 0, 10 * USDC)
    assert nr.usdc_of(a.address) == before + 30 * USDC
    nr.redeem(a, 2, 10 * USDC, 0)  # a losing YES pays nothing
    assert nr.usdc_of(a.address) == before + 30 * USDC
    # b redeems only its YES Bob (4) and keeps its NO Bob, worth nothing.
    before_b = nr.usdc_of(b.address)
    receipt = nr.redeem(b, 1, 4 * USDC, 0)
    assert nr.usdc_of(b.address) == before_b + 4 * USDC
    (log,) = nr.adapter.events.PayoutRedemption().process_receipt(receipt, errors=DISCARD)
    assert log["args"]["payout"] == 4 * USDC
    assert nr.tokens_of(b.address, [nr.yes(1), nr.no(1)]) == [0, 4 * USDC]
    # Every wrapped unit still redeemable is backed: the pool holds exactly b's remaining claim (zero).
    assert nr.usdc_of(nr.adapter.address) == 0


def test_second_winner_and_late_outcome_refused(nr: NegRiskEnv) -> None:
    nr.admin.transact(nr.adapter.functions.reportOutcome(nr.question(2), True))
    report = nr.adapter.functions.reportOutcome
    assert nr.revert_name(report(nr.question(0), True), nr.admin) == "EventAlreadyDetermined"
    assert nr.revert_name(report(nr.question(2), True), nr.admin) == "EventAlreadyDetermined"
    assert nr.revert_name(report(nr.question(1), False), nr.admin) == "EventAlreadyDetermined"
    assert nr.revert_name(nr.adapter.functions.addOutcome(nr.event_id, b"late"), nr.admin) == "EventAlreadyDetermined"
    assert nr.revert_name(report(nr.event_id[:31] + b"\x05", True), nr.admin) == "UnknownOutcome"


def test_a_withdrawn_outcome_reports_no_then_another_wins(nr: NegRiskEnv) -> None:
    report = nr.adapter.functions.reportOutcome
    nr.admin.transact(report(nr.question(0), False))
    assert nr.ctf.functions.payoutNumerators(nr.condition(0), 1).call() == 1
    assert nr.adapter.functions.getEvent(nr.event_id).call()[2] is False
    assert nr.revert_name(report(nr.question(0), True), nr.admin) == "OutcomeAlreadyReported"
    nr.admin.transact(report(nr.question(2), True))  # skips the already reported outcome 0
    assert nr.ctf.functions.payoutNumerators(nr.condition(2), 0).call() == 1
    assert nr.ctf.functions.payoutNumerators(nr.condition(1), 1).call() == 1


def test_condition_prepared_ahead_is_adopted(nr: NegRiskEnv) -> None:
    """Someone prepares the next outcome's condition on the CTF first (same oracle, question, slots): the adapter
    adopts it instead of failing, so adding outcomes cannot be blocked."""
    question = nr.event_id[:31] + b"\x03"
    nr.outsider.transact(nr.ctf.functions.prepareCondition(nr.adapter.address, question, 2))
    market = add_outcome(nr.admin, nr.manifest, nr.event.event_id, "Dave")
    assert market.question_id == "0x" + question.hex()
    assert nr.outcome_count() == 4


def test_direct_ctf_redemption_unwraps_through_the_adapter(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    nr.split(t, 0, 6 * USDC)
    nr.admin.transact(nr.adapter.functions.reportOutcome(nr.question(0), True))
    t.transact(nr.ctf.functions.redeemPositions(nr.wcol.address, ZERO32, nr.condition(0), [1, 2]))
    assert nr.wcol.functions.balanceOf(t.address).call() == 6 * USDC
    before = nr.usdc_of(t.address)
    t.transact(nr.adapter.functions.unwrap(6 * USDC))
    assert nr.usdc_of(t.address) == before + 6 * USDC
    assert nr.wcol.functions.balanceOf(t.address).call() == 0
    assert nr.wcol.functions.totalSupply().call() == 0


def test_stray_tokens_cannot_be_sent_to_the_adapter(nr: NegRiskEnv) -> None:
    t = nr.traders[0]
    nr.split(t, 0, USDC)
    transfer = nr.ctf.functions.safeTransferFrom(t.address, nr.adapter.address, nr.yes(0), USDC, b"")
    assert nr.revert_name(transfer, t) == "UnexpectedTransfer"
    # Nor can anyone but the adapter spend the adapter's implicit wrapped balance.
    steal = nr.wcol.functions.transferFrom(nr.adapter.address, t.address, 1)
    assert nr.revert_name(steal, t) == "InsufficientBalance"
    assert nr.revert_name(nr.wcol.functions.burn(t.address, 1), t) == "NotOwner"


def test_every_outcome_reported_no_still_pays_every_no(nr: NegRiskEnv) -> None:
    """No winner at all (each outcome reported NO): every NO pays 1 and the pool covers it, conversions included."""
    a, b = nr.traders[0], nr.traders[1]
    for i in range(3):
        nr.split(a, i, 10 * USDC)
    nr.convert(a, 0b011, 10 * USDC)  # a: 10 USDC + YES Carol; NO Alice and NO Bob burned
    nr.split(b, 1, 5 * USDC)
    for i in range(3):
        nr.admin.transact(nr.adapter.functions.reportOutcome(nr.question(i), False))
    assert nr.adapter.functions.getEvent(nr.event_id).call()[2] is False
    before_a, before_b = nr.usdc_of(a.address), nr.usdc_of(b.address)
    for i in range(3):
        yes, no = nr.tokens_of(a.address, [nr.yes(i), nr.no(i)])
        nr.redeem(a, i, yes, no)
    nr.redeem(b, 1, 5 * USDC, 5 * USDC)
    assert nr.usdc_of(a.address) == before_a + 10 * USDC  # its one live NO (Carol)
    assert nr.usdc_of(b.address) == before_b + 5 * USDC
    # 35 in, 10 converted out, 15 redeemed: the burned NO Alice and NO Bob leave 10 in the pool.
    assert nr.usdc_of(nr.adapter.address) == 10 * USDC


def test_position_ids_by_question(nr: NegRiskEnv) -> None:
    for i in range(3):
        assert nr.adapter.functions.getPositionId(nr.question(i), True).call() == nr.yes(i)
        assert nr.adapter.functions.getPositionId(nr.question(i), False).call() == nr.no(i)
        assert nr.adapter.functions.getConditionId(nr.question(i)).call() == nr.condition(i)
    assert nr.adapter.functions.getPositionId(nr.event_id[:31] + b"\x09", True).call() == 0
