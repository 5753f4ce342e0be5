"""Calendars that could never be built are refused when the policy set is loaded, at their place
in the file: a calendar with no open hours passed `policy validate` and then raised a ValueError
wherever the rules were built (policy test, the worker, the receiver's /readyz, a reload:
attack11 F5); a holiday that does not exist read "the value cannot be read (ValueError)" beside
a "no PolicySet document" line that was not the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.errors import PolicySetError
from serviceflow.policy.loader import load_policy_set

SET = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: s
defaults:
  calendar: office
fallback:
  owner: group:triage
calendars:
  office:
    timezone: Europe/Amsterdam
{hours}
    holidays: [{holidays}]
"""
POLICY = """\
apiVersion: serviceflow/v1
kind: Policy
name: p
targets:
  - name: t
    type: resolution
    within: 8 business hours
"""
NO_HOURS = (
    "office: hours: no open hours; a business-time clock on this calendar would never run: "
    "give at least one day a range, e.g. mon-fri: 09:00-17:00"
)
runner = CliRunner()


def _folder(write: Callable[..., Path], hours: str, holidays: str = "") -> Path:
    return write(
        {"policyset.yaml": SET.format(hours=hours, holidays=holidays), "p.yaml": POLICY}, with_set=False
    )


@pytest.mark.parametrize(
    ("hours", "where"),
    [
        ("    hours: {}", "11:12"),
        ("    hours:\n      mon-fri: []", "12:7"),
        ("    hours:\n      mon: []\n      sat,sun: []", "12:7"),
    ],
    ids=["no days", "a day with no ranges", "days with no ranges"],
)
def test_a_calendar_with_no_open_hours_is_refused_at_load(
    write_policies: Callable[..., Path], hours: str, where: str
) -> None:
    folder = _folder(write_policies, hours)
    result = runner.invoke(app, ["policy", "validate", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'policyset.yaml'}:{where}: {NO_HOURS}" in result.stdout.splitlines()
    with pytest.raises(PolicySetError) as raised:  # what the worker, the receiver and a reload load
        load_policy_set([folder])
    assert [p.message for p in raised.value.problems] == [NO_HOURS.removeprefix("office: ")]
    tested = runner.invoke(app, ["policy", "test", str(folder)])
    assert tested.exit_code == 2, tested.output
    assert NO_HOURS in tested.output and "Traceback" not in tested.output


def test_a_calendar_with_one_open_minute_loads(write_policies: Callable[..., Path]) -> None:
    assert load_policy_set([_folder(write_policies, "    hours:\n      mon: []\n      tue: 09:00-09:01")])


def test_a_holiday_that_does_not_exist_names_its_field(write_policies: Callable[..., Path]) -> None:
    folder = _folder(write_policies, "    hours:\n      mon-fri: 09:00-17:00", "2026-12-24, 2026-02-29")
    result = runner.invoke(app, ["policy", "validate", str(folder)])
    assert result.exit_code == 1
    assert [line for line in result.stdout.splitlines() if ": " in line] == [
        f"{folder / 'policyset.yaml'}:13:28: yaml: holidays: '2026-02-29' is not a date that exists "
        "(day is out of range for month); write a real YYYY-MM-DD date"
    ]
