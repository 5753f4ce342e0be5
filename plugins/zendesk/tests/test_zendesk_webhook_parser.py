"""The webhook parser on hostile input (issues 12 G, 15): canonical ids, a 400 naming the field of a
wrong-typed value, and no input that makes it raise anything else (hypothesis, bounded)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serviceflow_zendesk import ids
from serviceflow_zendesk.actions import InvalidActionTarget, numeric_id
from serviceflow_zendesk.webhooks import parse_delivery

from serviceflow.adapters.records import Identity
from serviceflow.plugins.webhooks import WebhookRejected

ME = Identity(vendor="zendesk", account="acme", id="900", name="serviceflow")
NOW = "2026-11-30T10:00:00Z"


def envelope(kind: str = "ticket.created", *, event: Any = None, **detail: Any) -> dict[str, Any]:
    return {
        "type": f"zen:event-type:{kind}",
        "account_id": 22129848,
        "id": "a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
        "time": NOW,
        "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:5158",
        "detail": {
            "id": "5158",
            "subject": "Cannot login",
            "status": "OPEN",
            "priority": "HIGH",
            "requester_id": "77",
            "assignee_id": None,
            "tags": ["vip"],
            "created_at": NOW,
            "updated_at": NOW,
            "via": {"channel": "web"},
            **detail,
        },
        "event": {} if event is None else event,
    }


def parse(body: Any) -> list[Any]:
    return parse_delivery(json.dumps(body).encode(), account="acme", identity=ME)


def refused(body: Any) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        parse(body)
    return caught.value


@pytest.mark.parametrize("spelling", ["5158", 5158])
def test_a_ticket_id_as_string_or_number_is_one_ticket(spelling: object) -> None:
    [event] = parse(envelope(id=spelling))
    assert event.ticket.id == "5158" and event.ticket.key == "zendesk:acme:5158"


@pytest.mark.parametrize(
    "spelling",
    ["04", "٤", "٥١٥٨", " 4", "4\n", "4.0", "0", "-4", "", True, 4.5, [4], {"id": 4}, 2**63, "9" * 20],
)
def test_a_ticket_id_in_any_other_form_is_a_400_naming_it(spelling: object) -> None:
    problem = refused(envelope(id=spelling))
    assert problem.status == 400 and getattr(problem, "field", None) == "ticket.id", problem
    if isinstance(spelling, str) and spelling.strip():
        assert spelling.strip() not in problem.detail  # the value itself is never repeated


@pytest.mark.parametrize(
    ("kind", "path", "value", "field"),
    [
        ("ticket.created", ("detail", "status"), 5, "ticket.status"),
        ("ticket.created", ("detail", "priority"), ["high"], "ticket.priority"),
        ("ticket.created", ("detail", "tags"), 5, "ticket.tags"),
        ("ticket.created", ("detail", "tags"), [1, 2], "ticket.tags"),
        ("ticket.created", ("detail", "requester_id"), "٧٧", "ticket.requester.id"),
        ("ticket.created", ("detail", "assignee_id"), "01", "ticket.assignee"),
        ("ticket.created", ("detail", "subject"), {"text": "x"}, "ticket.subject"),
        ("ticket.created", ("detail", "subject"), "\ud800", "ticket.subject"),
        ("ticket.created", ("detail", "created_at"), 17, "ticket.created_at"),
        ("ticket.created", ("detail", "updated_at"), "yesterday", "ticket.updated_at"),
        ("ticket.created", ("detail", "via"), "web", "ticket.channel"),
        ("ticket.created", ("detail", "actor_id"), "x", "actor.id"),
        ("ticket.created", ("time",), ["now"], "time"),
        ("ticket.comment_added", ("event", "comment"), "a string", "body"),
        ("ticket.comment_added", ("event", "comment", "author"), "Ada", "actor"),
        ("ticket.comment_added", ("event", "comment", "author", "name"), 5, "actor.name"),
        ("ticket.comment_added", ("event", "comment", "is_public"), "yes", "event.comment.is_public"),
        ("ticket.tags_changed", ("event", "tags_added"), 5, "event.tags_added"),
        ("ticket.tags_changed", ("event", "tags_removed"), [None], "event.tags_removed"),
        ("ticket.status_changed", ("event", "previous"), 3, "event.previous"),
        ("ticket.agent_assignment_changed", ("event", "previous"), "0x1", "event.previous"),
    ],
)
def test_a_field_of_the_wrong_kind_is_a_400_naming_it(
    kind: str, path: tuple[str, ...], value: object, field: str
) -> None:
    body = envelope(kind, event={"comment": {"body": "hi", "is_public": True, "author": {"id": "77"}}})
    target: dict[str, Any] = body
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    problem = refused(body)
    assert problem.status == 400 and getattr(problem, "field", None) == field, problem


def test_the_documented_envelope_parses_with_nanoseconds_and_zero_ids() -> None:
    # CONTRACTS.md §5: dust-tt's sample writes nanoseconds; user events write "0" for none.
    body = envelope("ticket.status_changed", event={"current": "SOLVED", "previous": "OPEN"}, group_id="0")
    body["time"] = "2025-01-08T16:45:20.987654321Z"
    [event] = parse(body)
    assert event.time.microsecond == 987654 and event.ticket.group is None
    assert event.changes == {"status": "open"}


@pytest.mark.parametrize("spelling", ["04", "٤", " 4", "4 ", "0", "-1", ""])
def test_actions_refuse_non_canonical_ids(spelling: str) -> None:
    with pytest.raises(InvalidActionTarget, match="ticket"):
        numeric_id(spelling, "ticket")
    with pytest.raises(ids.NotAnId):
        ids.canonical(spelling)


def test_trigger_bodies_are_typed_too() -> None:
    good = {"serviceflow": "zendesk-trigger/1", "ticket_id": "35436", "status": "Open", "tags": "a b"}
    [event] = parse(good)
    assert event.ticket.id == "35436" and event.ticket.tags == ("a", "b")
    for name, value, field in [
        ("ticket_id", "٣٥", "ticket.id"),
        ("ticket_id", "", "ticket.id"),
        ("ticket_id", ["1"], "ticket.id"),
        ("status", {"a": 1}, "ticket.status"),
        ("requester_id", "007", "ticket.requester.id"),
        ("latest_comment", "\udfff", "body"),
    ]:
        problem = refused({**good, name: value})
        assert getattr(problem, "field", None) == field, (name, value, problem)


@pytest.mark.parametrize(
    "value", ["\x00", "nan", "1e20", "December 04, 2026 19:00", "1969-12-31T00:00Z", 1e20]
)
def test_a_trigger_updated_at_that_is_no_iso_time_is_refused_naming_it(value: object) -> None:
    good = {"serviceflow": "zendesk-trigger/1", "ticket_id": "35436"}
    problem = refused({**good, "updated_at": value})
    assert problem.reason == "invalid_field"
    assert getattr(problem, "field", None) == "time" and problem.detail.startswith("updated_at: ")
    assert "December" not in problem.detail and "1e20" not in problem.detail


@pytest.mark.parametrize(
    "value", ["2013-12-12T05:35Z", "2026-12-04T19:00:00+01:00", "2026-12-04T19:00:00.123Z"]
)
def test_the_documented_timestamp_forms_set_the_event_time(value: str) -> None:
    [event] = parse({"serviceflow": "zendesk-trigger/1", "ticket_id": "35436", "updated_at": value})
    assert event.time.year in (2013, 2026) and event.time.tzinfo is not None


texts = st.text(max_size=8) | st.sampled_from(["\ud800", "٤", "04", "", " 4 ", "9" * 40, "OPEN", "5158"])
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)
PATHS = [
    ("type",), ("id",), ("time",), ("detail",), ("event",), ("detail", "id"), ("detail", "status"),
    ("detail", "priority"), ("detail", "tags"), ("detail", "created_at"), ("detail", "requester_id"),
    ("detail", "actor_id"), ("detail", "via"), ("detail", "subject"), ("event", "comment"),
    ("event", "comment", "author"), ("event", "previous"), ("event", "current"), ("event", "tags_added"),
    ("ticket_id",), ("current_user_id",), ("latest_comment",),
]  # fmt: skip
KINDS = st.sampled_from(
    ["ticket.created", "ticket.comment_added", "ticket.status_changed", "ticket.tags_changed",
     "ticket.agent_assignment_changed", "ticket.custom_field_changed", "ticket.merged",
     "ticket.soft_deleted", "ticket.custom_status_changed", "ticket.no_such_type", "user.created"]
)  # fmt: skip


def put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """``value`` at ``path`` in ``body``, making (or replacing with) objects on the way."""
    target = body
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


@given(
    kind=KINDS,
    changes=st.lists(st.tuples(st.sampled_from(PATHS), values), max_size=3),
    whole=st.none() | values,
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_input_makes_the_parser_raise_anything_but_a_refusal(
    kind: str, changes: list[tuple[tuple[str, ...], Any]], whole: Any
) -> None:
    body: Any = envelope(kind, event={"comment": {"body": "x", "author": {"id": "77"}}})
    for path, value in changes:
        put(body, path, value)
    raw = json.dumps(body if whole is None else whole).encode("utf-8", "surrogatepass")
    try:
        events = parse_delivery(raw, account="acme", identity=ME)
    except WebhookRejected as exc:
        assert 400 <= exc.status < 500
        return
    except pydantic.ValidationError:
        return  # the domain model's bounds (a time past 2100): the receiver answers 400 naming it
    for event in events:
        assert event.ticket.id.isascii() and event.ticket.id.isdigit() and not event.ticket.id.startswith("0")


@pytest.mark.parametrize("depth", [50, 5000, 100_000])
def test_json_nested_deep_is_not_json_not_a_crash(depth: int) -> None:
    raw = b"[" * depth + b"]" * depth
    try:
        parse_delivery(raw, account="acme", identity=ME)
    except WebhookRejected as exc:
        assert exc.reason in ("not_json", "unknown_shape")


@pytest.mark.parametrize(("subdomain", "base_url", "account"), [("acme", None, "acme"), (None, None, None)])
def test_the_account_is_the_configured_one_never_the_unsigned_header(
    subdomain: str | None, base_url: str | None, account: str | None
) -> None:
    """Issue 15 point 8: x-zendesk-account-id is not covered by the signature (CONTRACTS.md §1.9),
    so it never names the account; without a configured one the verdict names none (the receiver
    then refuses with account_not_configured)."""
    from datetime import UTC, datetime

    from serviceflow_zendesk.settings import ZendeskSettings
    from serviceflow_zendesk.signature import sign
    from serviceflow_zendesk.webhooks import verify_delivery

    settings = ZendeskSettings(
        _env_file=None,  # type: ignore[call-arg]
        subdomain=subdomain,
        base_url=base_url,
        webhook_secret="s3cret",
    )
    body = json.dumps(envelope()).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-signature": sign("s3cret", stamp, body),
        "x-zendesk-account-id": "attacker",
    }
    verdict = verify_delivery(settings, headers, body)
    assert verdict.accepted and verdict.account == account
