"""What `serviceflow case show` prints per target and per action, as a person reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from serviceflow.cli.cases import action_line, time_left
from serviceflow.cli.names import Names
from serviceflow.model import Notify, NotifyPurpose

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (59, "59s"),
        (1, "1s"),
        (0, "0s"),
        (-45, "-45s"),
        (60, "0h01m"),
        (3 * 3600 + 125, "3h02m"),
        (-1800, "-0h30m"),
    ],
)
def test_time_left_never_reads_as_nothing_left(seconds: int, shown: str) -> None:
    assert time_left(NOW + timedelta(seconds=seconds), NOW) == shown


def test_a_paused_target_has_no_time_left() -> None:
    assert time_left(None, NOW) == "paused"


def test_a_notifications_people_come_before_its_reason() -> None:
    warning = Notify(
        key="zendesk:acme:1/warn/t",
        reason="first-response reached 75 % of its time; only the owner is warned before a breach",
        policy="standard",
        rule="first-response",
        recipients=("a17",),
        subject="At risk: first-response on ticket 1",
        body="due soon",
        purpose=NotifyPurpose.AT_RISK,
    )
    line = action_line(warning, Names(people={"a17": "Ada Agent"}))
    assert line == (
        "notify to Ada Agent (standard/first-response): first-response reached 75 % of its time; "
        "only the owner is warned before a breach"
    )
