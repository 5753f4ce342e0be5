"""The body of an automation rule's "Trigger webhook" call, validated into a typed model.

A rule's body is text an admin pasted (the README's template, Zulip's, or the "Simple" content
mode), with placeholders Freshdesk renders as strings (CONTRACTS.md §2.6). :func:`read` turns the
JSON into a :class:`RuleBody` or refuses it with :class:`BodyRejected`, a 400 that names the
field as the body spells it (``ticket_id``, ``ticket_status``) and never repeats its value (the
receiver logs refusals, and a delivery's words are not to be logged).

What each field may be:

- ``ticket_id`` (required) and ``requester_id`` / ``agent_id`` / ``group_id``: a canonical id
  (:mod:`.ids`), as a string or a JSON number; the three optional ones may also be empty (an
  unrendered or missing placeholder), and the parser falls back on the email or name.
- ``ticket_status``, ``ticket_priority``, ``ticket_source``: a display string (a name with at
  least one letter, at most 100 characters: accounts name their own statuses, and may show them
  in their own language) or a code of ASCII digits (at most nine). Anything else - ``"²"``, a
  5,000-digit number, ``"—"`` - is refused.
- ``serviceflow_event``: empty or one of :data:`RULE_EVENTS`.
- ``ticket_description``, ``latest_public_comment``, ``latest_private_comment``: text of at most
  :data:`MAX_BODY` characters (64 KiB, as the Zendesk plugin's comment bodies).
- every other field the parser reads (the subject, the tags, names, emails): text (a JSON string,
  or a number written as one) of at most :data:`MAX_TEXT` characters (as Zendesk's text fields).

A JSON ``null`` and a placeholder Freshdesk left unrendered (``{{ticket.agent.id}}``) count as
empty. Fields the parser does not read may hold any JSON; they still count for the event id.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from serviceflow.plugins.webhooks import WebhookRejected

from . import codes, ids

WRAPPER = "freshdesk_webhook"

#: ``serviceflow_event`` values, one per automation rule (see the README).
RULE_EVENTS = ("ticket_created", "ticket_updated", "agent_reply", "customer_reply")

MAX_NAME = 100
#: The longest text field read (a subject, the tags, a name); bodies get :data:`MAX_BODY`.
MAX_TEXT = 10_000
#: The longest description or comment read, in characters.
MAX_BODY = 65_536
_UNRENDERED = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


#: Where each body field goes in serviceflow's event, so a refusal names the field as the
#: receiver's own checks do (``ticket.id``, ``ticket.subject``); the detail names the body's.
MODEL_FIELDS = {
    "ticket_id": "ticket.id",
    "ticket_subject": "ticket.subject",
    "ticket_status": "ticket.status",
    "ticket_priority": "ticket.priority",
    "ticket_source": "ticket.channel",
    "ticket_tags": "ticket.tags",
    "ticket_description": "body",
    "requester_id": "ticket.requester.id",
    "requester_email": "ticket.requester.email",
    "requester_name": "ticket.requester.name",
    "agent_id": "ticket.assignee",
    "agent_email": "ticket.assignee",
    "group_id": "ticket.group",
    "group_name": "ticket.group",
    "latest_public_comment": "body",
    "latest_private_comment": "body",
}


class BodyRejected(WebhookRejected):
    """A body the parser refuses (400), naming the field.

    Attributes:
        field: The event's field the body field becomes (``ticket.status``), the body's own name
            for one that becomes none (``triggered_event``), or ``body`` for the whole.
    """

    def __init__(self, reason: str, body_field: str, problem: str) -> None:
        field = MODEL_FIELDS.get(body_field, body_field)
        where = body_field if field == body_field else f"{field} (the body's {body_field})"
        super().__init__(reason, f"{where}: {problem}")
        self.field = field


def _text(value: Any) -> str:
    """A rendered value as text: strings stripped, numbers as written, null and unrendered
    placeholders empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError("a boolean is not text")
    if isinstance(value, int | str):
        rendered = str(value).strip()
        return "" if _UNRENDERED.fullmatch(rendered) else rendered
    raise ValueError(f"a JSON {_kind(value)} is not text")


def _bounded(limit: int) -> Any:
    def check(value: Any) -> str:
        text = _text(value)
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return check


def _id(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    return ids.canonical(text)


def _required_id(value: Any) -> str:
    text = _id(value)
    if not text:
        raise ValueError("empty or unrendered: the rule's body needs {{ticket.id}}")
    return text


def _display(value: Any) -> str:
    text = _text(value)
    if not text or codes.is_code(text):
        return text
    if len(text) > MAX_NAME or _CONTROL.search(text) or not any(map(_is_letter, text)):
        raise ValueError(
            f"neither a name (a letter, at most {MAX_NAME} characters) nor a code (ASCII digits, "
            "at most nine)"
        )
    return text


def _is_letter(char: str) -> bool:
    """A letter of any script (``"²"`` is a digit to ``\\w`` and ``str.isalnum``, not a letter)."""
    return unicodedata.category(char).startswith("L")


def _rule(value: Any) -> str:
    text = _text(value)
    if text and text not in RULE_EVENTS:
        raise ValueError(f"not one of {', '.join(RULE_EVENTS)}")
    return text


Text = Annotated[str, BeforeValidator(_bounded(MAX_TEXT))]
Body = Annotated[str, BeforeValidator(_bounded(MAX_BODY))]
OptionalId = Annotated[str, BeforeValidator(_id)]
RequiredId = Annotated[str, BeforeValidator(_required_id)]
Display = Annotated[str, BeforeValidator(_display)]
RuleEvent = Annotated[str, BeforeValidator(_rule)]


class RuleBody(BaseModel):
    """The fields of one rule's body the parser reads (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: RequiredId
    serviceflow_event: RuleEvent = ""
    triggered_event: Text = ""
    ticket_url: Text = ""
    ticket_type: Text = ""
    ticket_subject: Text = ""
    ticket_description: Body = ""
    ticket_status: Display = ""
    ticket_priority: Display = ""
    ticket_source: Display = ""
    ticket_tags: Text = ""
    requester_id: OptionalId = ""
    requester_name: Text = ""
    requester_email: Text = ""
    agent_id: OptionalId = ""
    agent_email: Text = ""
    group_id: OptionalId = ""
    group_name: Text = ""
    latest_public_comment: Body = ""
    latest_private_comment: Body = ""
    serviceflow_change: Text = ""


def read(body: bytes) -> tuple[RuleBody, dict[str, str]]:
    """The body as a :class:`RuleBody`, and every field as text (for the event id).

    Raises:
        BodyRejected: ``not_json``, ``unknown_shape`` (not an object, no ``ticket_id``) or
            ``invalid_field`` (a field of the wrong kind), naming the field.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BodyRejected("not_json", "body", f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise BodyRejected("unknown_shape", "body", f"a JSON {_kind(data)}, not an object")
    fields = data.get(WRAPPER, data)
    if not isinstance(fields, dict):
        raise BodyRejected("unknown_shape", WRAPPER, f"a JSON {_kind(fields)}, not an object")
    if "ticket_id" not in fields:
        raise BodyRejected(
            "unknown_shape", "ticket_id", f"missing: neither a {WRAPPER!r} object nor a body with one"
        )
    try:
        model = RuleBody.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        field = str(error["loc"][0]) if error["loc"] else "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise BodyRejected("invalid_field", field, message) from None
    return model, digest_values(fields, model)


def digest_values(fields: Mapping[str, Any], model: RuleBody) -> dict[str, str]:
    """Every field of the body as text: the parser's own as validated, the others as JSON."""
    known = model.model_dump()
    values: dict[str, str] = {}
    for key, value in fields.items():
        name = str(key)
        if name in known:
            values[name] = known[name]
        elif isinstance(value, str):
            values[name] = "" if _UNRENDERED.fullmatch(value.strip()) else value.strip()
        elif value is None:
            values[name] = ""
        else:
            values[name] = _json(value)
    return values


def _json(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (ValueError, RecursionError):  # only a structure json.loads could read gets here
        return "<unreadable>"


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )
