"""The envelope read straight from the body's JSON (one pydantic pass) gives what ``json.loads``
and the dict's validation give, and declines whatever they might answer otherwise, so their
answer (the events, or the refusal naming the field) stays the one that counts."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serviceflow_zendesk import envelope, webhooks
from serviceflow_zendesk.envelope import EnvelopeRejected
from serviceflow_zendesk.webhooks import parse_delivery
from test_zendesk_ticket_events import DOCUMENTED, ME
from test_zendesk_ticket_events import envelope as body_of
from test_zendesk_webhook_parser import KINDS, PATHS, put, values
from test_zendesk_webhook_parser import envelope as envelope_dict

from serviceflow.adapters.records import Identity
from serviceflow.plugins.webhooks import WebhookRejected


def the_slow_way(body: bytes, identity: Identity | None) -> list[Any]:
    return webhooks.parse_envelope(json.loads(body), account="acme", identity=identity)


@pytest.mark.parametrize("identity", [ME, None])
@pytest.mark.parametrize(("kind", "event", "detail"), [row[:3] for row in DOCUMENTED])
def test_every_documented_type_reads_the_same_in_one_pass(
    kind: str, event: dict[str, Any], detail: dict[str, Any], identity: Identity | None
) -> None:
    body = body_of(kind, event, **detail)
    parsed = envelope.read_json(body)
    assert parsed is not None  # taken in one pass
    assert isinstance(parsed, envelope.Envelope)
    assert parsed.model_dump() == envelope.read(json.loads(body)).model_dump()
    fast = webhooks.events_of(parsed, account="acme", identity=identity)
    assert fast == the_slow_way(body, identity)
    assert parse_delivery(body, account="acme", identity=identity) == fast


def test_numbers_for_ids_read_the_same() -> None:
    body = body_of("ticket.created", {}, id=5158, requester_id=20978392, group_id=None)
    assert envelope.read_json(body) is not None
    assert parse_delivery(body, account="acme", identity=ME) == the_slow_way(body, ME)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # a lone surrogate escape: pydantic's parser refuses it, json.loads takes it and the
        # envelope's check refuses it naming the field
        (body_of("ticket.created", {}).replace(b'"I cannot log in."', b'"I \\ud800 log in."'), "body"),
        (body_of("ticket.created", {}, subject=5), "ticket.subject"),
        (body_of("ticket.created", {}, tags="enterprise"), "ticket.tags"),
        (body_of("ticket.created", {}).replace(b'"a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d"', b'""'), "id"),
        (body_of("ticket.created", {}, id="05158"), "ticket.id"),
    ],
)
def test_what_the_one_pass_refuses_is_refused_as_before_naming_the_field(body: bytes, field: str) -> None:
    assert envelope.read_json(body) is None
    with pytest.raises(WebhookRejected) as refused:
        parse_delivery(body, account="acme", identity=ME)
    with pytest.raises(WebhookRejected) as before:
        the_slow_way(body, ME)
    assert (refused.value.reason, refused.value.detail) == (before.value.reason, before.value.detail)
    if isinstance(refused.value, EnvelopeRejected):
        assert refused.value.field == field


def test_bodies_json_loads_reads_otherwise_go_its_way() -> None:
    plain = body_of("ticket.created", {})
    wide = json.loads(plain)
    utf16 = json.dumps(wide).encode("utf-16")  # json.loads detects UTF-16; pydantic reads UTF-8 only
    assert parse_delivery(utf16, account="acme", identity=ME) == the_slow_way(plain, ME)
    null_event = json.dumps({**wide, "event": None}).encode()  # read() takes a null event as {}
    assert envelope.read_json(null_event) is None
    assert parse_delivery(null_event, account="acme", identity=ME) == the_slow_way(null_event, ME)
    user_event = json.dumps({**wide, "type": "zen:event-type:user.created", "note": "zen:event-type:ticket."})
    assert parse_delivery(user_event.encode(), account="acme", identity=ME) == []


@pytest.mark.parametrize(
    "detail",
    [
        {"id": 5158},  # a number for an id
        {"requester_id": "0"},  # "0" and "" are none
        {"group_id": ""},
        {"id": "9" * 19},  # 19 digits: below 2**63 or not, the model above tells
        {"tags": None},
    ],
)
def test_what_the_native_checks_decline_the_model_reads_the_same(detail: dict[str, Any]) -> None:
    body = json.dumps(envelope_dict("ticket.created", **detail)).encode()
    with pytest.raises(pydantic.ValidationError):
        envelope._NativeEnvelope.model_validate_json(body)
    try:
        slow = the_slow_way(body, ME)
    except WebhookRejected as before:
        with pytest.raises(WebhookRejected) as refused:
            parse_delivery(body, account="acme", identity=ME)
        assert (refused.value.reason, refused.value.detail) == (before.reason, before.detail)
    else:
        assert parse_delivery(body, account="acme", identity=ME) == slow


#: Every field the one-pass models declare again, beyond the parser's own paths (a review of
#: 2026-12-03 found these thirteen never varied), with ids as the vendor may send them.
NATIVE_PATHS = [
    *PATHS, ("detail", "description"), ("detail", "type"), ("detail", "submitter_id"),
    ("detail", "assignee_id"), ("detail", "group_id"), ("detail", "organization_id"),
    ("detail", "is_public"), ("detail", "via", "channel"), ("event", "comment", "body"),
    ("event", "comment", "is_public"), ("event", "comment", "author", "name"),
    ("event", "comment", "author", "is_staff"), ("event", "tags_removed"),
]  # fmt: skip
ids = (
    st.integers(min_value=-3, max_value=2**64)
    | st.text(st.sampled_from("0123456789"), max_size=21)
    | st.sampled_from(
        ["", "0", "01", "-1", " 1", "1\n", "\u0664", "\uff11", "9223372036854775808", "1.0", "1e3"]
    )
)


@given(
    kind=KINDS,
    changes=st.lists(st.tuples(st.sampled_from(NATIVE_PATHS), values | ids), max_size=4),
)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_native_checks_take_only_what_the_model_takes_with_the_same_values(
    kind: str, changes: list[tuple[tuple[str, ...], Any]]
) -> None:
    comment = {"body": "x", "author": {"id": "77", "is_staff": True}}
    body: Any = envelope_dict(kind, event={"comment": comment})
    for path, value in changes:
        put(body, path, value)
    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    try:
        native = envelope._NativeEnvelope.model_validate_json(raw)
    except pydantic.ValidationError:
        return  # declined: the model above reads it (the tests above)
    assert envelope.Envelope.model_validate_json(raw).model_dump() == native.model_dump()
    if native.id and native.type.startswith(f"{envelope.EVENT_PREFIX}ticket."):
        assert envelope.read(json.loads(raw)).model_dump() == native.model_dump()
