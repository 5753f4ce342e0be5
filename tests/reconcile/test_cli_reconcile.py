"""``serviceflow reconcile``: its arguments refused with a clear line and exit status 2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.cli.boundary import CliError
from serviceflow.cli.reconcile import parse_since

runner = CliRunner()


def test_the_help_names_backfill_since_and_the_checkpoint() -> None:
    result = runner.invoke(app, ["reconcile", "--help"])
    assert result.exit_code == 0
    assert "--backfill" in result.output and "--since" in result.output and "--checkpoint" in result.output


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["nocolon", "--backfill"], "is not VENDOR:ACCOUNT"),
        (["zendesk:acme", "--backfill", "--since", "ninety days"], "is not a duration"),
        (["zendesk:acme", "--backfill", "--since", "99999d"], "at most 3660d"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(arguments: list[str], words: str) -> None:
    result = runner.invoke(app, ["reconcile", *arguments])
    assert result.exit_code == 2 and words in result.output, result.output


def test_durations() -> None:
    assert parse_since("90d") == timedelta(days=90)
    assert parse_since(" 12h ") == timedelta(hours=12)
    assert parse_since("2w") == timedelta(weeks=2)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_any_text_is_a_duration_or_a_usage_error(text: str) -> None:
    try:
        span = parse_since(text)
    except CliError as exc:
        assert exc.code == 2
    else:
        assert timedelta(0) < span <= timedelta(days=3660)


def test_an_outcome_store_it_cannot_use_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backfill writes the past's outcomes to the worker's store: a URL that names no store
    serviceflow uses stops it before it reads or starts anything."""
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", "mysql://u:hunter2@db/x")
    result = runner.invoke(app, ["reconcile", "zendesk:acme", "--backfill"])
    assert result.exit_code == 2, result.output
    assert "SERVICEFLOW_OUTCOMES_URL" in result.output and "hunter2" not in result.output
