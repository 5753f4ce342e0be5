"""The body of a trigger's webhook call (:data:`~.webhooks.TRIGGER_BODY_TEMPLATE`), validated into
a typed model.

A trigger sends whatever body the admin pasted, with Liquid placeholders Zendesk renders as
display strings (CONTRACTS.md §1.9). :func:`read` turns it into a :class:`TriggerBody` or refuses
it with :class:`~.envelope.EnvelopeRejected`, a 400 naming the field and never repeating its value:

- ``ticket_id`` (required), ``requester_id``, ``assignee_id``, ``group_id``, ``current_user_id``:
  canonical ids (:mod:`.ids`), as a string or a JSON number; the optional ones may be empty (an
  agent-less ticket renders ``{{ticket.assignee.id}}`` as nothing, UNVERIFIED) or null.
- ``updated_at``: ``{{ticket.updated_at_with_timestamp}}``, an ISO 8601 date and time (Zendesk's
  placeholders reference documents the ``_with_timestamp`` form as "an iso8601 format date/time.
  Example: 2013-12-12T05:35Z", support.zendesk.com/hc/en-us/articles/4408886858138, shown there
  for ``created_at_with_timestamp``; that ``updated_at_with_timestamp`` renders the same way is
  UNVERIFIED against a live account). Empty or absent: the receipt time, as before; anything
  else that is not an ISO 8601 time ("nan", "1e20", "December 04, 2026 19:00", a NUL) is
  refused naming ``updated_at``, never silently replaced by the receipt time.
- every other field the parser reads: text (a JSON string, or a number written as one), bounded.

Fields the parser does not read may hold any JSON.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from serviceflow.model.bounds import EARLIEST, LATEST

from . import ids
from .envelope import MAX_BODY, MAX_TEXT, EnvelopeRejected

_SURROGATE = re.compile("[\ud800-\udfff]")

MODEL_FIELDS = {
    "ticket_id": "ticket.id",
    "subject": "ticket.subject",
    "title": "ticket.subject",
    "status": "ticket.status",
    "priority": "ticket.priority",
    "tags": "ticket.tags",
    "via": "ticket.channel",
    "requester_id": "ticket.requester.id",
    "requester_email": "ticket.requester.email",
    "requester_name": "ticket.requester.name",
    "assignee_id": "ticket.assignee",
    "group_id": "ticket.group",
    "latest_comment": "body",
    "updated_at": "time",
    "current_user_id": "actor.id",
}


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", bool: "boolean"}.get(type(value), "number")


def _text(limit: int) -> Any:
    def check(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"a JSON {_kind(value)} is not text")
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        if _SURROGATE.search(text):
            raise ValueError("a lone surrogate is not Unicode text")
        return text

    return check


def _optional_id(value: Any) -> str:
    text = _text(64)(value)
    return ids.canonical(text) if text else ""


def _required_id(value: Any) -> str:
    text = _optional_id(value)
    if not text:
        raise ValueError("empty: the trigger's body needs {{ticket.id}}")
    return text


def _timestamp(value: Any) -> str:
    text: str = _text(64)(value)
    if text:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "not an ISO 8601 date and time, as {{ticket.updated_at_with_timestamp}} renders"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if not EARLIEST <= parsed < LATEST:
            raise ValueError(f"a time must lie from {EARLIEST:%Y-%m-%d} up to {LATEST:%Y-%m-%d}")
    return text


Text = Annotated[str, BeforeValidator(_text(MAX_TEXT))]
Timestamp = Annotated[str, BeforeValidator(_timestamp)]
Body = Annotated[str, BeforeValidator(_text(MAX_BODY))]
OptionalId = Annotated[str, BeforeValidator(_optional_id)]
RequiredId = Annotated[str, BeforeValidator(_required_id)]


class TriggerBody(BaseModel):
    """The fields of a trigger body the parser reads (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: RequiredId
    subject: Text = ""
    title: Text = ""
    status: Text = ""
    priority: Text = ""
    tags: Text = ""
    via: Text = ""
    requester_id: OptionalId = ""
    requester_email: Text = ""
    requester_name: Text = ""
    assignee_id: OptionalId = ""
    group_id: OptionalId = ""
    latest_comment: Body = ""
    latest_comment_public: Text = ""
    updated_at: Timestamp = ""
    current_user_id: OptionalId = ""
    current_user_role: Text = ""


def read(data: dict[str, Any]) -> TriggerBody:
    """The body as a :class:`TriggerBody`.

    Raises:
        EnvelopeRejected: ``invalid_field``, naming the field.
    """
    try:
        return TriggerBody.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        rejected = EnvelopeRejected("invalid_field", name, message)
        rejected.field = MODEL_FIELDS.get(name, name)
        raise rejected from None
