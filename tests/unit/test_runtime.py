"""Interpreter settings of the API process (clob.runtime): parsed strictly, applied as given, refused when bad."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from clob.runtime import RuntimeSettingError, parse_gc_threshold, tune
from clob.settings import Settings


@pytest.fixture
def restore_interpreter() -> Iterator[None]:
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    yield
    gc.set_threshold(*threshold)
    sys.setswitchinterval(interval)


@pytest.mark.parametrize(("text", "parsed"), [("50000,50,100", (50000, 50, 100)), ("700", (700,)), ("0", (0,))])
def test_gc_threshold_parses(text: str, parsed: tuple[int, ...]) -> None:
    assert parse_gc_threshold(text) == parsed


@pytest.mark.parametrize("text", ["", "a,b", "1,2,3,4", "-1", "1.5", "1,,2"])
def test_malformed_gc_threshold_is_refused(text: str) -> None:
    with pytest.raises(RuntimeSettingError, match="gc_threshold"):
        parse_gc_threshold(text)


def test_tune_applies_both(restore_interpreter: None) -> None:
    tune("12345,6,7", 300)
    assert gc.get_threshold() == (12345, 6, 7)
    assert sys.getswitchinterval() == pytest.approx(300e-6)


def test_tune_with_empty_values_leaves_the_interpreter_alone(restore_interpreter: None) -> None:
    before = gc.get_threshold(), sys.getswitchinterval()
    tune("", 0)
    assert (gc.get_threshold(), sys.getswitchinterval()) == before


def test_settings_refuse_bad_values_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYCLOB_GC_THRESHOLD", "lots")
    with pytest.raises(ValidationError, match="gc_threshold"):
        Settings()
    monkeypatch.setenv("POLYCLOB_GC_THRESHOLD", "1000,10,10")
    monkeypatch.setenv("POLYCLOB_SWITCH_INTERVAL_US", "-5")
    with pytest.raises(ValidationError, match="switch_interval_us"):
        Settings()
    monkeypatch.setenv("POLYCLOB_SWITCH_INTERVAL_US", "250")
    assert (Settings().gc_threshold, Settings().switch_interval_us) == ("1000,10,10", 250)
