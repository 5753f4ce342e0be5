from __future__ import annotations

import pytest

from serviceflow.policy.durations import Clock, DurationSyntaxError, Span, parse_duration


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("4h", Span(clock=Clock.ELAPSED, seconds=4 * 3600)),
        ("1h30m", Span(clock=Clock.ELAPSED, seconds=5400)),
        ("90 minutes", Span(clock=Clock.ELAPSED, seconds=5400)),
        ("2 days", Span(clock=Clock.ELAPSED, seconds=2 * 86400)),
        ("1w", Span(clock=Clock.ELAPSED, seconds=7 * 86400)),
        ("1.5h", Span(clock=Clock.ELAPSED, seconds=5400)),
        ("8 business hours", Span(clock=Clock.BUSINESS_HOURS, seconds=8 * 3600)),
        ("30 business minutes", Span(clock=Clock.BUSINESS_HOURS, seconds=1800)),
        ("5 business days", Span(clock=Clock.BUSINESS_DAYS, days=5)),
        ("1 business day", Span(clock=Clock.BUSINESS_DAYS, days=1)),
        ("  5  Business   Days ", Span(clock=Clock.BUSINESS_DAYS, days=5)),
    ],
)
def test_accepted_forms(text: str, span: Span) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4 hourz", "unknown unit 'hourz'"),
        ("0h", "longer than zero"),
        ("1.5 business days", "whole number"),
        ("4", "is not a duration"),
        ("4h x", "unknown unit 'hx'"),
    ],
)
def test_refused_forms(text: str, message: str) -> None:
    with pytest.raises(DurationSyntaxError, match=message):
        parse_duration(text)


def test_spans_print_back_as_written() -> None:
    assert str(parse_duration("90 minutes")) == "1h30m"
    assert str(parse_duration("8 business hours")) == "8h business hours"
    assert str(parse_duration("5 business days")) == "5 business days"
