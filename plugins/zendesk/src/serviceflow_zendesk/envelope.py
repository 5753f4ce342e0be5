"""An event-subscription envelope, validated into a typed model before anything reads it.

The envelope is Zendesk's (developer.zendesk.com/api-reference/webhooks/event-types/ticket-events:
"Detail object properties", "Event object common properties"; CONTRACTS.md §1.9): ``type``,
``id``, ``time``, a ticket snapshot in ``detail`` (ids as strings, enums upper-case) and the
change in ``event``. It is the outside world's JSON, so :func:`read` refuses with
:class:`EnvelopeRejected` - a 400 that names the field, never repeating its value - what is not
of the documented kind:

- ids (``detail.id`` required; ``requester_id``, ``assignee_id``, ``group_id``,
  ``submitter_id``, ``organization_id``, ``actor_id``, a comment author's ``id``): canonical
  (:mod:`.ids`), as a string or a JSON number. The optional ones may be null or empty, and
  ``"0"`` reads as none (Zendesk's user events write ``"organization_id": "0"`` for none,
  CONTRACTS.md §5); ``actor_id`` may also be ``"-1"``, Zendesk's system actor.
- ``detail.status``, ``priority``, ``type``, ``subject``, ``description``, ``via.channel``,
  the comment's ``body`` and author ``name``: text (JSON strings; null allowed), bounded.
- ``detail.tags``, ``event.tags_added``, ``event.tags_removed``: arrays of strings.
- ``time``, ``detail.created_at``, ``detail.updated_at``: ISO-8601 text (or null).
- ``event.comment`` and ``event.comment.author``: objects; ``is_public``/``is_staff``: booleans.

Other fields may hold any JSON; they are kept (``extra``) for the event handlers to read and
check themselves (``event.previous``/``current``, whose kind depends on the event type).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from serviceflow.plugins.webhooks import WebhookRejected

from . import ids

EVENT_PREFIX = "zen:event-type:"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: The longest text field read (a subject, a status name); comment bodies get :data:`MAX_BODY`.
MAX_TEXT = 10_000
#: A comment's body (Zendesk's own comment limit is 64 KB, support.zendesk.com 4408883152794).
MAX_BODY = 65_536

#: Where each envelope field goes in serviceflow's event, so a refusal names it as the
#: receiver's own checks do; the detail names the envelope's.
MODEL_FIELDS = {
    "detail.id": "ticket.id",
    "detail.subject": "ticket.subject",
    "detail.status": "ticket.status",
    "detail.priority": "ticket.priority",
    "detail.tags": "ticket.tags",
    "detail.requester_id": "ticket.requester.id",
    "detail.assignee_id": "ticket.assignee",
    "detail.group_id": "ticket.group",
    "detail.created_at": "ticket.created_at",
    "detail.updated_at": "ticket.updated_at",
    "detail.via": "ticket.channel",
    "detail.via.channel": "ticket.channel",
    "detail.actor_id": "actor.id",
    "detail.description": "body",
    "event.comment": "body",
    "event.comment.body": "body",
    "event.comment.author": "actor",
    "event.comment.author.id": "actor.id",
    "event.comment.author.name": "actor.name",
    "time": "time",
    "id": "id",
}


class EnvelopeRejected(WebhookRejected):
    """An envelope the parser refuses (400), naming the field.

    Attributes:
        field: The event's field the envelope field becomes (``ticket.status``), or the
            envelope's own path for one that becomes none (``event.tags_added``).
    """

    def __init__(self, reason: str, path: str, problem: str) -> None:
        field = MODEL_FIELDS.get(path, path)
        where = path if field == path else f"{field} (the envelope's {path})"
        super().__init__(reason, f"{where}: {problem}")
        self.field = field


def json_text(value: Any) -> str:
    """A value read from the body as JSON text (sorted keys), for a change's previous value and
    a trigger's event id."""
    try:
        return json.dumps(value, sort_keys=True)
    except (ValueError, TypeError, RecursionError):  # only what json.loads read gets here
        return "<unreadable>"


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (JSON's ``"\\ud800"``), which is no Unicode text
    (ASCII text holds none: answered without the search)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _text(limit: int) -> Any:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"a JSON {_kind(value)}, not a string")
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
        if has_surrogate(value):
            raise ValueError("a lone surrogate is not Unicode text")
        return value

    return check


def _required_id(value: Any) -> str:
    return ids.canonical(value)


def optional_id(value: Any) -> str | None:
    """An optional id: None for null, empty or ``"0"``; else canonical (:func:`.ids.canonical`)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a Zendesk id")
    if value is None or value in ("", "0", 0):
        return None
    return ids.canonical(value)


def _actor_id(value: Any) -> str | None:
    if not isinstance(value, bool) and value in ("-1", -1):
        return "-1"  # Zendesk's system actor (a trigger, an automation)
    return optional_id(value)


def read_time(value: Any) -> datetime | None:
    """An envelope's time (``time``, ``detail.created_at``, ``updated_at``): None for null or
    empty; ValueError for what is not ISO-8601 text."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"a JSON {_kind(value)}, not an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        # Zendesk writes nanoseconds ("2025-01-08T16:45:20.987654321Z", CONTRACTS.md §5), which
        # Python's parser takes only from 3.11 with at most 6 digits: cut to microseconds.
        parsed = _nanoseconds(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _nanoseconds(text: str) -> datetime:
    head, dot, rest = text.partition(".")
    digits = "".join(c for c in rest[:12] if c.isascii() and c.isdigit())
    zone = rest[len(digits) :] if rest.startswith(digits) else None
    if not dot or not digits or zone is None:
        raise ValueError("not an ISO-8601 time")
    try:
        return datetime.fromisoformat(f"{head}.{digits[:6]}{zone.replace('Z', '+00:00')}")
    except ValueError:
        raise ValueError("not an ISO-8601 time") from None


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError(f"a JSON {_kind(value)}, not an array of strings")
    if any(len(t) > MAX_TEXT for t in value):
        raise ValueError(f"a tag longer than {MAX_TEXT} characters")
    return tuple(value)


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"a JSON {_kind(value)}, not a boolean")


Text = Annotated[str | None, BeforeValidator(_text(MAX_TEXT))]
Body = Annotated[str | None, BeforeValidator(_text(MAX_BODY))]
RequiredId = Annotated[str, BeforeValidator(_required_id)]
OptionalId = Annotated[str | None, BeforeValidator(optional_id)]
ActorId = Annotated[str | None, BeforeValidator(_actor_id)]
Time = Annotated[datetime | None, BeforeValidator(read_time)]
Tags = Annotated[tuple[str, ...], BeforeValidator(_tags)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Via(_Part):
    channel: Text = None


class Detail(_Part):
    """The ticket snapshot (``detail``)."""

    id: RequiredId
    subject: Text = None
    description: Body = None
    status: Text = None
    priority: Text = None
    type: Text = None
    requester_id: OptionalId = None
    submitter_id: OptionalId = None
    assignee_id: OptionalId = None
    group_id: OptionalId = None
    organization_id: OptionalId = None
    actor_id: ActorId = None
    tags: Tags = ()
    is_public: Flag = None
    created_at: Time = None
    updated_at: Time = None
    via: Via | None = None


class Author(_Part):
    id: OptionalId = None
    name: Text = None
    is_staff: Flag = None


class Comment(_Part):
    """``event.comment`` of ``comment_added`` (and the comment events that name one)."""

    body: Body = None
    is_public: Flag = None
    author: Author = Field(default_factory=Author)


class Event(_Part):
    """The ``event`` object: what changed (its fields depend on the type)."""

    comment: Comment | None = None
    tags_added: Tags = ()
    tags_removed: Tags = ()


class Envelope(_Part):
    """One ticket event envelope."""

    type: str
    id: Annotated[str, BeforeValidator(_text(512))]
    time: Time = None
    detail: Detail
    event: Event = Field(default_factory=Event)

    @property
    def event_type(self) -> str:
        """``ticket.merged`` for ``zen:event-type:ticket.merged``."""
        return self.type.removeprefix(EVENT_PREFIX)


# The same models with their checks in pydantic-core where it can make them, for the envelopes
# Zendesk sends: ids as canonical strings of at most 18 digits (below 2**63 whatever they are),
# texts as strings, tags as arrays, flags as booleans or null. Each accepts only what the model
# above accepts and gives the same values: a string of at most ``limit`` characters is what
# ``_text`` keeps (pydantic's JSON parser refuses the lone surrogates ``_text`` checks for), a
# canonical id is its own string. Anything else - a number for an id, "" or "0" for none, a
# 19-digit id, a null tag list - is declined and read by the model above.
_NATIVE_ID = r"^[1-9][0-9]{0,17}$"
NativeText = Annotated[str | None, Field(strict=True, max_length=MAX_TEXT)]
NativeBody = Annotated[str | None, Field(strict=True, max_length=MAX_BODY)]
NativeRequiredId = Annotated[str, Field(strict=True, pattern=_NATIVE_ID)]
NativeOptionalId = Annotated[str | None, Field(strict=True, pattern=_NATIVE_ID)]
NativeActorId = Annotated[str | None, Field(strict=True, pattern=r"^(?:-1|[1-9][0-9]{0,17})$")]
NativeTags = tuple[Annotated[str, Field(strict=True, max_length=MAX_TEXT)], ...]
NativeFlag = Annotated[bool | None, Field(strict=True)]


class _NativeVia(Via):
    channel: NativeText = None


class _NativeDetail(Detail):
    id: NativeRequiredId
    subject: NativeText = None
    description: NativeBody = None
    status: NativeText = None
    priority: NativeText = None
    type: NativeText = None
    requester_id: NativeOptionalId = None
    submitter_id: NativeOptionalId = None
    assignee_id: NativeOptionalId = None
    group_id: NativeOptionalId = None
    organization_id: NativeOptionalId = None
    actor_id: NativeActorId = None
    tags: NativeTags = ()
    is_public: NativeFlag = None
    via: _NativeVia | None = None


class _NativeAuthor(Author):
    id: NativeOptionalId = None
    name: NativeText = None
    is_staff: NativeFlag = None


class _NativeComment(Comment):
    body: NativeBody = None
    is_public: NativeFlag = None
    author: _NativeAuthor = Field(default_factory=_NativeAuthor)


class _NativeEvent(Event):
    comment: _NativeComment | None = None
    tags_added: NativeTags = ()
    tags_removed: NativeTags = ()


class _NativeEnvelope(Envelope):
    id: Annotated[str, Field(strict=True, min_length=1, max_length=512)]
    detail: _NativeDetail
    event: _NativeEvent = Field(default_factory=_NativeEvent)


def read_json(body: bytes) -> Envelope | None:
    """A ticket event envelope straight from the body (pydantic parses the JSON and validates the
    models in one pass, about a fifth of the instructions of ``json.loads`` and :func:`read`),
    or None when it is anything else or anything about it is refused: the caller then reads it
    with ``json.loads`` and :func:`read`, whose answer (the events, or the refusal naming the
    field) is the one that counts. So this never accepts what they refuse: the same model and
    validators run on the same values; pydantic's JSON parser refuses what ``json.loads`` may
    take differently (a lone surrogate escape, UTF-16 or UTF-32 text), and takes the last of
    duplicate keys, as ``json.loads`` does. What it answers is an :class:`Envelope` (isinstance),
    of a private subclass when the one-pass check took it: compare envelopes by ``model_dump()``,
    not ``==`` (pydantic's equality wants the same class).
    """
    try:
        parsed: Envelope = _NativeEnvelope.model_validate_json(body)
    except ValidationError:
        try:
            parsed = Envelope.model_validate_json(body)
        except ValidationError:
            return None
    if not parsed.id or not parsed.type.startswith(f"{EVENT_PREFIX}ticket."):
        return None  # read() refuses an empty id; other event types are not read at all
    return parsed


def read(data: dict[str, Any]) -> Envelope:
    """The envelope as a typed :class:`Envelope`.

    Raises:
        EnvelopeRejected: ``unknown_shape`` (no id, no ticket detail) or ``invalid_field``,
            naming the field.
    """
    if not data.get("id"):
        raise EnvelopeRejected("unknown_shape", "id", "missing: an event envelope has an id")
    if not isinstance(data.get("detail"), dict) or "id" not in data["detail"]:
        raise EnvelopeRejected("unknown_shape", "detail.id", "missing: a ticket event has a ticket detail")
    if data.get("event") is None:
        data = {**data, "event": {}}
    try:
        return Envelope.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        path = ".".join(str(part) for part in error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
            message = "not an object"
        raise EnvelopeRejected("invalid_field", path, message) from None
