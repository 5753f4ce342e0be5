"""A scenario's ``advance`` of plain units is elapsed time across a DST change, as the engine
counts a policy's plain duration (``BusinessCalendar.deadline``: UTC plus the span), also after an
``at:`` step, which leaves the clock on a local time of the policy set's zone. Python adds a
timedelta to an aware datetime in wall time when both sides share its tzinfo, so ``advance: 24h``
from Saturday 09:00 in Amsterdam on the spring DST weekend reached Sunday 09:00 CEST, 23 real
hours later, and ended each deadline an hour early against the engine's."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.engine.rules import Rules
from serviceflow.policy import load_policy_set
from serviceflow.scenarios.clock import ScenarioError, SimulatedClock

REPO = Path(__file__).resolve().parents[2]
AT_LIKE = r"(next )?(mon|tue|wed|thu|fri|sat|sun|xyz)?[a-z]* ?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules(load_policy_set([REPO / "policies"]))  # the office calendar: Europe/Amsterdam


@pytest.mark.parametrize(
    ("start", "at", "advance", "reached"),
    [
        # spring: 2026-03-29 02:00 CET -> 03:00 CEST; Saturday 09:00 CET is 08:00Z
        ("2026-03-27T12:00:00+00:00", "Saturday 09:00", "24h", "2026-03-29T08:00:00+00:00"),
        # autumn: 2026-10-25 03:00 CEST -> 02:00 CET; Saturday 09:00 CEST is 07:00Z
        ("2026-10-23T12:00:00+00:00", "Saturday 09:00", "24h", "2026-10-25T07:00:00+00:00"),
        ("2026-10-23T12:00:00+00:00", "Saturday 09:00", "90 minutes", "2026-10-24T08:30:00+00:00"),
        ("2026-03-27T12:00:00+00:00", "Saturday 23:00", "1h30m", "2026-03-28T23:30:00+00:00"),
    ],
    ids=["spring-24h", "autumn-24h", "no-change-90m", "across-the-gap"],
)
def test_advance_after_at_is_elapsed_time(
    rules: Rules, start: str, at: str, advance: str, reached: str
) -> None:
    clock = SimulatedClock.starting(datetime.fromisoformat(start), rules)
    clock.now = clock.moment(at)  # what an ``at:`` step sets: a local time (simulate.advance_to)
    before = clock.now
    after = clock.after(advance, rules)
    assert after == datetime.fromisoformat(reached)
    span = {"24h": timedelta(hours=24), "90 minutes": timedelta(minutes=90), "1h30m": timedelta(minutes=90)}
    assert after.timestamp() - before.timestamp() == span[advance].total_seconds()


def test_an_at_in_the_spring_gap_is_the_steps_error_and_one_in_the_fold_is_the_first(rules: Rules) -> None:
    clock = SimulatedClock.starting(datetime.fromisoformat("2026-03-27T12:00:00+00:00"), rules)
    with pytest.raises(
        ScenarioError, match=r"at: 'Sunday 02:30' does not exist on 2026-03-29 in Europe/Amsterdam"
    ):
        clock.moment("Sunday 02:30")
    assert clock.moment("Sunday 03:00") == datetime.fromisoformat("2026-03-29T01:00:00+00:00")
    autumn = SimulatedClock.starting(datetime.fromisoformat("2026-10-23T12:00:00+00:00"), rules)
    # the first 02:30 (CEST); compared in UTC: an ambiguous time equals none of another zone (PEP 495)
    assert autumn.moment("Sunday 02:30").astimezone(UTC) == datetime.fromisoformat(
        "2026-10-25T00:30:00+00:00"
    )
    autumn.now = datetime.fromisoformat("2026-03-29T00:00:00+00:00")
    with pytest.raises(ScenarioError, match=r"expect\.at: '02:30' does not exist on 2026-03-29"):
        autumn.on_this_day("02:30", "expect.at")


def test_a_scenario_file_with_an_at_in_the_gap_names_the_step(tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("scenarios"))
    (tmp_path / "policies" / "scenarios").mkdir()
    path = tmp_path / "policies" / "scenarios" / "s.yaml"
    path.write_text(
        "apiVersion: serviceflow/v1\nkind: Scenario\nname: s\nstart: 2026-03-27T12:00:00+00:00\n"
        "steps:\n  - event: created\n  - at: Sunday 02:30\n"
    )
    result = CliRunner().invoke(app, ["policy", "test", str(path)])
    out = result.stdout + result.stderr
    assert result.exit_code == 1, out
    assert "step 2: error: at: 'Sunday 02:30' does not exist on 2026-03-29 in Europe/Amsterdam" in out, out
    assert "Traceback" not in out


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2098, 12, 1), timezones=st.just(UTC)
    ),
    text=st.one_of(
        st.from_regex(
            r"(next )?(mon|tue|wed|thu|fri|sat|sun|xyz)?[a-z]* ?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?",
            fullmatch=True,
        ),
        st.text(max_size=20),
    ),
)
def test_any_at_is_a_real_local_time_or_the_steps_error(rules: Rules, start: datetime, text: str) -> None:
    """Whatever an ``at:`` says: a moment not before now that exists in the zone (it reads back
    as the same wall time), or a ScenarioError naming the step; never another exception."""
    clock = SimulatedClock.starting(start, rules)
    try:
        moment = clock.moment(text)
    except ScenarioError as exc:
        assert str(exc).startswith("at: ")
        return
    assert moment.astimezone(UTC) >= start
    assert moment.astimezone(UTC).astimezone(clock.zone).replace(tzinfo=None) == moment.replace(tzinfo=None)
