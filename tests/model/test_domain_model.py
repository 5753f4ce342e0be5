from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from serviceflow.model import Channel, Priority, Ticket, TicketStatus
from serviceflow.policy.samples import sample_ticket


def test_case_key_is_vendor_account_ticket() -> None:
    assert sample_ticket().key == "zendesk:example:1042"


def test_statuses_priorities_channels_are_closed_sets() -> None:
    assert [s.value for s in TicketStatus] == [
        "new",
        "open",
        "pending",
        "on_hold",
        "solved",
        "closed",
    ]
    assert [p.value for p in Priority] == ["low", "normal", "high", "urgent"]
    assert [c.value for c in Channel] == ["email", "web", "phone", "chat", "api", "social", "other"]
    with pytest.raises(ValidationError):
        sample_ticket().model_validate({**sample_ticket().model_dump(), "status": "hold"})


def test_times_must_be_timezone_aware() -> None:
    data = sample_ticket().model_dump()
    data["created_at"] = datetime(2026, 1, 1)
    with pytest.raises(ValidationError, match="timezone"):
        Ticket.model_validate(data)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Ticket.model_validate({**sample_ticket().model_dump(), "sla": 1})


def test_models_round_trip_through_json() -> None:
    ticket = sample_ticket()
    assert Ticket.model_validate_json(ticket.model_dump_json()) == ticket
