"""The report's parsers never fail in any other way than a clear error: ``--since`` and the store's
URL (hypothesis, bounded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.cli.boundary import EXIT_USAGE, CliError
from serviceflow.cli.report import MAX_SINCE, parse_since
from serviceflow.outcomes.store import OutcomeStoreError, database_url

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("90m", NOW - timedelta(minutes=90)),
        ("1.5 h", NOW - timedelta(hours=1.5)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T09:00+01:00", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.from_regex(r"\d{1,9}(\.\d{1,4})?\s?(m|min|h|d|w|s|y)", fullmatch=True))
def test_any_since_is_a_time_or_a_usage_error(text: str) -> None:
    try:
        since = parse_since(text, NOW)
    except CliError as error:
        assert error.code == EXIT_USAGE and str(error).startswith("--since: ")
    else:
        assert since.tzinfo is not None
        if since <= NOW and not any(c in text for c in "-:T"):
            assert NOW - since <= MAX_SINCE


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=80) | st.builds(lambda s, r: f"{s}://{r}", st.text(max_size=12), st.text(max_size=40))
)
def test_any_store_url_is_a_url_or_a_clear_error(text: str) -> None:
    try:
        url = database_url(text)
    except OutcomeStoreError as error:
        assert "SERVICEFLOW_OUTCOMES_URL" in str(error)
    else:
        assert url.startswith(("sqlite://", "postgresql+psycopg://"))
