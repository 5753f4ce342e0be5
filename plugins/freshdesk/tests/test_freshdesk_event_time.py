"""A Freshdesk event's time (``webhooks.sent_at``): the request's unsigned ``Date`` header is
believed only from two hours before the delivery's receipt (Freshdesk's retries span 95 minutes)
to five minutes after it (clock skew); otherwise, and without a readable one, the event is dated
at its receipt, ``WebhookRequest.received_at``: the receiver's clock, never the wall clock. A
header not believed is logged by its offset or its length, never its text.

Every receipt time here is far from the wall clock this suite runs under, so an adapter that read
the wall clock instead could not pass.
"""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freshdesk_testing import SECRET, SteppingClock
from hypothesis import given, settings
from hypothesis import strategies as st
from serviceflow_freshdesk import ADAPTER
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.webhooks import event_id, sent_at

from serviceflow.adapters import Identity, WebhookRequest
from serviceflow.model import TicketEvent
from serviceflow.testing import ContractReceiver

ACCOUNT = "127.0.0.1"
NOBODY = Identity(vendor="freshdesk", account=ACCOUNT, id="0", name="serviceflow integration")
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LOGGER = "serviceflow_freshdesk.webhooks"
FIELDS = {
    "triggered_event": "{ticket_action:created}", "ticket_id": "11", "ticket_subject": "Printer on fire",
    "ticket_status": "Open", "ticket_priority": "High", "requester_email": "bo@example.com",
}  # fmt: skip


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def delivered(date: str | None, received_at: datetime = RECEIVED, **fields: str) -> TicketEvent:
    """The one event of a new-ticket delivery with this ``Date`` header (None: none), received then."""
    body = json.dumps({"freshdesk_webhook": {**FIELDS, **fields}}).encode()
    headers = {} if date is None else {"date": date}
    request = WebhookRequest("POST", headers, body, received_at=received_at)
    [event] = ADAPTER.parse_webhook(request, account=ACCOUNT, identity=NOBODY)
    return event


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What the parser logs, from DEBUG up."""
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        yield caplog


def ours(lines: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in lines.records if r.name == LOGGER]


def only_line(lines: pytest.LogCaptureFixture) -> logging.LogRecord:
    [line] = ours(lines)
    return line


@pytest.mark.parametrize(
    ("date", "dated"),
    [
        ("Mon, 02 Mar 2026 09:00:00 GMT", at(9)),  # an hour old: a retry's
        ("Mon, 02 Mar 2026 08:25:00 GMT", at(8, 25)),  # 95 minutes: the last retry's
        ("Mon, 02 Mar 2026 08:00:00 GMT", at(8)),  # two hours to the second: still believed
        ("Mon, 02 Mar 2026 10:05:00 GMT", at(10, 5)),  # five minutes ahead: clock skew
        ("Mon, 02 Mar 2026 10:30:00 +0100", at(9, 30)),  # another zone, the same instant
        ("Mon Mar  2 09:30:00 2026", at(9, 30)),  # asctime, no zone: taken as UTC
    ],
)
def test_a_date_near_the_receipt_dates_the_event(
    date: str, dated: datetime, lines: pytest.LogCaptureFixture
) -> None:
    event = delivered(date)
    assert event.time == event.ticket.created_at == event.ticket.updated_at == dated
    assert not ours(lines), "a believed Date is not worth a line"


@pytest.mark.parametrize(
    ("date", "said"),
    [
        ("Thu, 01 Jan 1970 00:00:00 GMT", "1772445600 s before"),  # the attack: every target breached
        ("Mon, 02 Mar 2026 07:59:59 GMT", "7201 s before"),  # a second past two hours
        ("Sun, 01 Mar 2026 10:00:00 GMT", "86400 s before"),
        ("Mon, 02 Mar 2026 10:05:01 GMT", "301 s after"),  # a second past the skew
        ("Mon, 02 Mar 2099 10:00:00 GMT", "s after"),
        ("Sat, 01 Jan 2500 00:00:00 GMT", "s after"),  # beyond what the model holds, too
    ],
)
def test_a_date_far_from_the_receipt_is_not_believed(
    date: str, said: str, lines: pytest.LogCaptureFixture
) -> None:
    event = delivered(date)
    assert event.time == event.ticket.created_at == event.ticket.updated_at == RECEIVED
    line = only_line(lines)
    assert line.levelno == logging.WARNING and said in line.getMessage()
    assert "dated at its receipt" in line.getMessage() and date not in line.getMessage()


@pytest.mark.parametrize(
    "date",
    [
        None,
        "",
        "yesterday",
        "Mon, 32 Foo 2026 25:61:00 GMT",
        "Mon, 02 Mar 10000 09:00:00 GMT",
        "\x00\x00",
        "9" * 5000,
    ],
)
def test_a_missing_or_garbled_date_dates_the_event_at_its_receipt(
    date: str | None, lines: pytest.LogCaptureFixture
) -> None:
    event = delivered(date)
    assert event.time == event.ticket.created_at == RECEIVED
    line = only_line(lines)
    if not date:
        assert line.levelno == logging.DEBUG and "no Date header" in line.getMessage()
    else:
        assert line.levelno == logging.WARNING and f"({len(date)} characters)" in line.getMessage()
        assert date not in line.getMessage()


def test_the_receipt_time_not_the_wall_clock_decides() -> None:
    """A Date an hour before the wall clock's now, years after the receipt, is not believed; a
    delivery without one is dated years ago, at its receipt."""
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    recent = email.utils.format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert delivered(recent, received_at=long_ago).time == long_ago
    assert delivered(None, received_at=long_ago).time == long_ago
    assert delivered("Tue, 31 Dec 2019 23:30:00 GMT", received_at=long_ago).time == long_ago - timedelta(
        minutes=30
    )


def test_ids_depend_on_neither_the_date_nor_the_receipt() -> None:
    first = delivered("Mon, 02 Mar 2026 09:00:00 GMT")
    again = delivered("Mon, 02 Mar 2026 09:35:00 GMT", received_at=RECEIVED + timedelta(minutes=35))
    assert first.id == again.id and (first.time, again.time) == (at(9), at(9, 35))
    assert delivered(None, ticket_status="Pending").id != first.id
    spaced = {**FIELDS, "ticket_subject": "  Printer   on fire "}
    assert event_id(spaced) == first.id  # whitespace in values does not make a new event


@given(
    date=st.text(max_size=60)
    | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
        lambda d: email.utils.format_datetime(d.replace(tzinfo=UTC), usegmt=True)
    ),
    received_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
@settings(max_examples=300, deadline=None)
def test_no_date_moves_an_event_out_of_the_window(date: str, received_at: datetime) -> None:
    received = received_at.replace(tzinfo=UTC)
    dated = sent_at({"date": date}, received)
    assert received - timedelta(hours=2) <= dated <= received + timedelta(minutes=5)
    assert dated.utcoffset() == timedelta(0) or dated == received


# ---------------------------------------------------------------------- over HTTP, on simulated time


async def test_the_fakes_dates_are_believed_on_the_receivers_simulated_clock(freshdesk: Any) -> None:
    """The fake sends its rules' calls with a Date from its simulated clock; a receiver on the
    same clock dates the events by it, and one whose clock runs three hours ahead dates them at
    its own receipt (the wall clock, months later, plays no part in either)."""
    clock = SteppingClock(at(8))
    with FakeFreshdesk(clock=clock, webhook_retry_delays=(0.0,)) as fake:
        on_time, late = (
            ContractReceiver(clock=clock),
            ContractReceiver(clock=lambda: clock() + timedelta(hours=3)),
        )
        with on_time.server, late.server:
            fake.add_rule(on_time.url("freshdesk"), "ticket_created", secret=SECRET)
            fake.add_rule(late.url("freshdesk"), "ticket_created", secret=SECRET)
            fake.add_ticket("Charged twice", notify=True)
            fake.wait_for_deliveries(2)
            clock.advance(timedelta(minutes=30))  # the clock moves on; the receipts stay
            [sent], [kept] = on_time.take(), late.take()
    assert sent.headers["date"] == "Mon, 02 Mar 2026 08:00:00 GMT"
    assert (sent.received_at, kept.received_at) == (at(8), at(11))
    [event] = ADAPTER.parse_webhook(sent, account=ACCOUNT, identity=NOBODY)
    [later] = ADAPTER.parse_webhook(kept, account=ACCOUNT, identity=NOBODY)
    assert (event.time, later.time) == (at(8), at(11))
