"""``python -m chain.markets create-event / add-outcome / report-no / resolve-event`` against anvil."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.markets import known_events, main
from tests.integration.negrisk.negrisk_support import NegRiskEnv


def _state(nr: NegRiskEnv, tmp_path: Path) -> list[str]:
    nr.manifest.save(tmp_path / "deployment.json")
    return ["--state-dir", str(tmp_path), "--rpc-url", nr.anvil.url]


def test_event_life_from_the_command_line(nr: NegRiskEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = _state(nr, tmp_path)
    assert main(["create-event", "--outcome", "Red", "--outcome", "Green", "--outcome", "Blue", *common]) == 0
    event = json.loads(capsys.readouterr().out)
    assert event["outcomes"] == ["Red", "Green", "Blue"]
    assert event["title"] == "Red / Green / Blue"
    assert len(event["markets"]) == 3
    event_id = bytes.fromhex(event["id"][2:])
    assert nr.adapter.functions.getEvent(event_id).call()[:2] == [nr.admin.address, 3]
    for market in event["markets"]:
        yes, no = (int(t) for t in market["token_ids"])
        assert nr.exchange.functions.getComplement(yes).call() == no
    assert known_events(tmp_path)[event["id"]]["outcomes"] == ["Red", "Green", "Blue"]

    assert main(["add-outcome", "--event-id", event["id"], *common]) == 0  # a placeholder
    placeholder = json.loads(capsys.readouterr().out)
    assert placeholder["question_id"] == event["id"][:-2] + "03"
    assert known_events(tmp_path)[event["id"]]["outcomes"] == ["Red", "Green", "Blue", ""]

    green, blue = event["markets"][1]["question_id"], event["markets"][2]["question_id"]
    assert main(["report-no", "--question-id", green, *common]) == 0
    assert json.loads(capsys.readouterr().out)["determined"] is False
    assert main(["resolve-event", "--question-id", blue, *common]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert (resolved["event_id"], resolved["determined"], resolved["winner"]) == (event["id"], True, 2)
    # A second winner is refused by the chain: a one-line error, exit status 1.
    assert main(["resolve-event", "--question-id", green, *common]) == 1
    assert "error" in capsys.readouterr().err


def test_create_event_needs_three_distinct_outcomes(
    nr: NegRiskEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = _state(nr, tmp_path)
    assert main(["create-event", "--outcome", "Yes", "--outcome", "No", *common]) == 2
    assert "at least 3 outcomes" in capsys.readouterr().err
    assert main(["create-event", "--outcome", "A", "--outcome", "A", "--outcome", "B", *common]) == 2
    assert "distinct" in capsys.readouterr().err
