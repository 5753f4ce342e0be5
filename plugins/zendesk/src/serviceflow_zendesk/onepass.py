"""The two envelopes Zendesk sends most (``ticket.created``, ``ticket.comment_added``) read
without the envelope's models: orjson's dicts, each declared field checked in place.

This is a shortcut, never a second opinion. It answers only an envelope that the models of
:mod:`.envelope` take as they are, and then with the values they give; for anything else - any
other event type, a number for an id, ``""`` or ``"0"`` for none, a null list, a 19-digit id,
text over its bound, a time that does not parse, JSON orjson refuses - it answers None, and the
caller reads the body as before (:func:`.envelope.read_json`, then ``json.loads`` and
:func:`.envelope.read`), whose answer, the events or the refusal naming the field, is the one that
counts. What it takes, field by field, is what ``_NativeEnvelope`` takes (its strict strings,
lengths, id patterns and booleans; the times by the models' own ``_time``); the property test in
tests/test_zendesk_onepass.py holds the two to the same events on generated envelopes.

orjson "has strict UTF-8 conformance" (github.com/ijl/orjson, README): it refuses a lone surrogate
escape (``"\\ud800"``) and invalid UTF-8 (tested), where ``json.loads`` takes the first; such a
body is declined here and refused by :mod:`.envelope` naming the field, as before. Duplicate keys:
the last one counts, as with ``json.loads`` and pydantic's parser (tested).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from .envelope import EVENT_PREFIX, MAX_BODY, MAX_TEXT, read_time

CREATED = f"{EVENT_PREFIX}ticket.created"
COMMENT_ADDED = f"{EVENT_PREFIX}ticket.comment_added"
#: An id as ``_NativeEnvelope`` takes it: ASCII digits (``[0-9]`` of a str pattern is ASCII
#: only without re.UNICODE digits: ``\\d`` would take others), no leading zero, at most 18 of them.
_ID = re.compile(r"[1-9][0-9]{0,17}").fullmatch
_ACTOR_ID = re.compile(r"-1|[1-9][0-9]{0,17}").fullmatch
_TEXTS = ("subject", "status", "priority", "type")
_IDS = ("requester_id", "submitter_id", "assignee_id", "group_id", "organization_id")


class Reading(NamedTuple):
    """What :func:`.webhooks.events_of` reads of a ``ticket.created`` or ``ticket.comment_added``
    envelope, checked."""

    created: bool  # ticket.created; else ticket.comment_added
    id: str
    time: datetime | None
    detail: dict[str, Any]  # its declared fields checked; ids and texts as sent
    tags: tuple[str, ...]
    channel: str | None
    created_at: datetime | None
    updated_at: datetime | None
    comment: dict[str, Any] | None  # event.comment, its fields checked
    author: dict[str, Any]  # event.comment.author ({} when absent), its fields checked


#: At most this many brackets (a bound on the nesting depth) in a body read here. orjson nests to
#: 1,023 levels, pydantic's JSON parser to 200 (``read_json`` declines deeper) and ``json.loads``
#: to Python's recursion limit, less the caller's stack (review12 found a comment envelope with an
#: unread field 1,000 deep taken here and refused ``not_json`` on the models' path). A body with
#: more brackets, nested or not (a pasted stack trace), is read by the models' path instead.
MAX_BRACKETS = 200


def read(body: bytes) -> Reading | None:
    """The envelope's values, or None when :mod:`.envelope`'s models should read it."""
    if body.count(b"[") + body.count(b"{") > MAX_BRACKETS:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    kind = data.get("type")
    if kind != CREATED and kind != COMMENT_ADDED:
        return None
    event_id = data.get("id")
    detail = data.get("detail")
    event = data.get("event", _EMPTY)
    if type(event_id) is not str or not 0 < len(event_id) <= 512 or type(detail) is not dict:
        return None
    get = detail.get
    ticket_id = get("id")
    if type(ticket_id) is not str or not _ID(ticket_id) or type(event) is not dict:
        return None
    for name in _TEXTS:  # inline, as below: a call per field costs more than its check
        value = get(name)
        if value is not None and (type(value) is not str or len(value) > MAX_TEXT):
            return None
    for name in _IDS:
        value = get(name)
        if value is not None and (type(value) is not str or not _ID(value)):
            return None
    value = get("actor_id")
    if value is not None and (type(value) is not str or not _ACTOR_ID(value)):
        return None
    value = get("description")
    if value is not None and (type(value) is not str or len(value) > MAX_BODY):
        return None
    value = get("is_public")
    if value is not None and type(value) is not bool:
        return None
    channel = None
    via = get("via")
    if via is not None:
        if type(via) is not dict:
            return None
        channel = via.get("channel")
        if channel is not None and (type(channel) is not str or len(channel) > MAX_TEXT):
            return None
    tags = _tags(get("tags", ()))
    if tags is None or _tags(event.get("tags_added", ())) is None:
        return None
    if _tags(event.get("tags_removed", ())) is None:
        return None
    comment = event.get("comment")
    author: Any = _EMPTY
    if comment is not None:
        if type(comment) is not dict:
            return None
        author = comment.get("author", _EMPTY)
        if type(author) is not dict:
            return None
        for value, limit in ((comment.get("body"), MAX_BODY), (author.get("name"), MAX_TEXT)):
            if value is not None and (type(value) is not str or len(value) > limit):
                return None
        for value in (comment.get("is_public"), author.get("is_staff")):
            if value is not None and type(value) is not bool:
                return None
        value = author.get("id")
        if value is not None and (type(value) is not str or not _ID(value)):
            return None
    try:
        time, created_at = _time(data.get("time")), _time(get("created_at"))
        updated_at = _time(get("updated_at"))
    except ValueError:
        return None
    return Reading(
        kind == CREATED, event_id, time, detail, tags, channel, created_at, updated_at, comment, author
    )


_EMPTY: dict[str, Any] = {}  # never changed: read only


def _tags(value: Any) -> tuple[str, ...] | None:
    if type(value) is tuple:
        return value  # the default: absent
    if type(value) is not list:
        return None
    for tag in value:
        if type(tag) is not str or len(tag) > MAX_TEXT:
            return None
    return tuple(value)


def _time(value: Any) -> datetime | None:
    """A time as the models read it (:func:`.envelope.read_time`); ValueError where they refuse."""
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError("not text")
    return _read_time(value)


# A ticket's created_at comes again with each of its events, and an event's time is often its
# updated_at: parsed once (datetimes are immutable; a refusal is not kept and is raised again).
_read_time = functools.lru_cache(maxsize=1024)(read_time)
