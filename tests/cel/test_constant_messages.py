"""A constant call the checker runs once (``duration("30mins")``, ``days(99999999999)``) is told
what to write instead, never the CEL library's words ("return error for overflow", "Python int
too large to convert to C int"), and never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.cel import CelEnvironment
from serviceflow.cel.functions import DURATION_FORMAT, TOO_LONG

ENV = CelEnvironment()
#: Every message the constant checker may give about a duration (after ``<call>: ``).
OURS = (TOO_LONG, "not a duration; ")
INTERNAL = ("overflow", "Python int", "C int", "could not convert", "Invalid duration", "range error")


def problems(source: str) -> list[str]:
    return [p.message for p in ENV.check(source, {}).problems]


@pytest.mark.parametrize(
    ("source", "told"),
    [
        (
            'duration("30mins")',
            f'duration("30mins"): not a duration; write duration("30m") ({DURATION_FORMAT})',
        ),
        ('duration("1 hour 30 minutes")', 'write duration("1h30m")'),
        ('duration("5")', DURATION_FORMAT),
        ('duration(".s")', DURATION_FORMAT),
        ('duration("999999h")', TOO_LONG),
        ("days(99999999999)", f"days(99999999999): {TOO_LONG}"),
        ("days(-99999999999)", TOO_LONG),
        ("days(5000)", f"days(5000): {TOO_LONG}"),
        ("hours(99999999999999999999)", TOO_LONG),  # past int64
        ('timestamp("bad")', "not a timestamp; write e.g. 2026-03-02T09:00:00Z"),
    ],
)
def test_a_bad_constant_is_told_what_to_write(source: str, told: str) -> None:
    (message,) = problems(source)
    assert told in message and not any(word in message for word in INTERNAL), message


@pytest.mark.parametrize("source", ['duration("30m")', 'duration("1h30m")', 'duration("-5h")', "days(3660)"])
def test_a_good_constant_passes(source: str) -> None:
    assert problems(source) == []


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=24), st.from_regex(r"[-+]?[0-9.]{0,22}(ns|us|µs|ms|s|m|h|d|mins)?", fullmatch=True)
    )
)
def test_any_duration_string_is_taken_or_told_in_our_words(text: str) -> None:
    for message in problems(f"duration({json.dumps(text)})"):
        told = message.partition("): ")[2]
        assert told.startswith(OURS), message
        assert not any(word in told for word in INTERNAL), message


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["minutes", "hours", "days"]),
    st.one_of(st.integers(-(2**70), 2**70), st.integers(-(10**7), 10**7)),
)
def test_any_int_argument_is_taken_or_told_too_long(unit: str, n: int) -> None:
    for message in problems(f"{unit}({n})"):
        assert message == f"{unit}({n}): {TOO_LONG}", message
