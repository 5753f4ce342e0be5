"""The one-pass reading of ``ticket.created`` and ``ticket.comment_added`` (onepass.py) gives
what the envelope's models give, and declines whatever they might answer otherwise; the keyed
HMAC signs as the one-shot HMAC did."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import to_json
from serviceflow_zendesk import envelope, onepass, signature, webhooks
from serviceflow_zendesk.webhooks import parse_delivery
from test_zendesk_envelope_json import NATIVE_PATHS, ids
from test_zendesk_ticket_events import DOCUMENTED, ME
from test_zendesk_ticket_events import envelope as body_of
from test_zendesk_webhook_parser import envelope as envelope_dict
from test_zendesk_webhook_parser import put, values

from serviceflow.adapters.records import Identity
from serviceflow.model import Requester, Ticket
from serviceflow.plugins.webhooks import WebhookRejected

#: The models' reading, the one that counts: json.loads, the envelope's validation, events_of.
Outcome = tuple[str, Any]


def outcome_of(read: Callable[[], list[Any]]) -> Outcome:
    try:
        events = read()
    except WebhookRejected as exc:
        return "refused", (exc.reason, exc.detail, getattr(exc, "field", None))
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        return "invalid", (exc.title, errors)
    return "events", [(event, to_json(event)) for event in events]


def the_models_way(body: bytes, identity: Identity | None) -> Outcome:
    return outcome_of(lambda: webhooks.parse_envelope(json.loads(body), account="acme", identity=identity))


def read_now(body: bytes, identity: Identity | None) -> Outcome:
    return outcome_of(lambda: parse_delivery(body, account="acme", identity=identity))


@pytest.mark.parametrize("identity", [ME, None])
@pytest.mark.parametrize(
    ("kind", "event", "detail"),
    [row[:3] for row in DOCUMENTED if row[0] in ("ticket.created", "ticket.comment_added")],
)
def test_the_documented_envelopes_are_read_in_one_pass_as_the_models_read_them(
    kind: str, event: dict[str, Any], detail: dict[str, Any], identity: Identity | None
) -> None:
    body = body_of(kind, event, **detail)
    assert onepass.read(body) is not None  # taken
    assert read_now(body, identity) == the_models_way(body, identity)


@pytest.mark.parametrize("author", ["900", "77", None])
@pytest.mark.parametrize("public", [True, False, None])
def test_our_own_comment_is_serviceflows_in_one_pass_too(author: str | None, public: bool | None) -> None:
    comment: dict[str, Any] = {"body": "Noted.", "is_public": public}
    if author is not None:
        comment["author"] = {"id": author, "is_staff": True, "name": "serviceflow"}
    body = json.dumps(envelope_dict("ticket.comment_added", event={"comment": comment})).encode()
    assert onepass.read(body) is not None
    assert read_now(body, ME) == the_models_way(body, ME)
    [event] = parse_delivery(body, account="acme", identity=ME)
    assert (event.actor.role == "serviceflow") == (author == "900")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"zen:event-type:ticket.created","id":"\\ud800"}',  # a lone surrogate escape
        b'{"type":"zen:event-type:ticket.created","id":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"type":"zen:event-type:ticket.created","id":"\xff"}',  # not UTF-8
        b'\xef\xbb\xbf{"type":"zen:event-type:ticket.created"}',  # a byte order mark
        b'{"type":"zen:event-type:ticket.created","n":NaN}',
    ],
)
def test_orjson_refuses_what_the_models_way_must_read(raw: bytes) -> None:
    """What onepass relies on: orjson's strict UTF-8 and JSON (a change of orjson fails here)."""
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    assert onepass.read(raw) is None


def test_duplicate_keys_the_last_counts_as_with_json_loads() -> None:
    raw = b'{"a":"first","a":"last","b":{"c":1,"c":2}}'
    assert orjson.loads(raw) == json.loads(raw) == {"a": "last", "b": {"c": 2}}


@pytest.mark.parametrize(
    "change",
    [
        {"id": 5158},  # a number for an id: the models take it, onepass declines
        {"requester_id": "0"},
        {"group_id": ""},
        {"id": "9" * 19},
        {"tags": None},
        {"created_at": "not a time"},
        {"via": "email"},
        {"subject": "s" * (envelope.MAX_TEXT + 1)},
    ],
)
def test_what_onepass_declines_is_read_by_the_models_as_before(change: dict[str, Any]) -> None:
    body = json.dumps(envelope_dict("ticket.created", **change)).encode()
    assert onepass.read(body) is None
    assert read_now(body, ME) == the_models_way(body, ME)


@pytest.mark.parametrize("depth", [onepass.MAX_BRACKETS, 1_000])
def test_a_body_nested_deeper_than_the_models_parser_goes_is_theirs_to_answer(depth: int) -> None:
    """orjson nests to 1,023 levels and the models' parsers less (pydantic's to 200, json.loads to
    the recursion limit, less the caller's stack): a body with more brackets than the bound is
    read the models' way, so it gets their answer whatever the stack (review12's find)."""
    nested = json.dumps(envelope_dict("ticket.comment_added", event={"comment": {"body": "x"}}))
    body = (nested[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}").encode()
    assert onepass.read(body) is None


def test_a_webhooks_ticket_is_the_ticket_the_default_organization_made() -> None:
    body = body_of("ticket.created", {})
    [event] = parse_delivery(body, account="acme", identity=ME)
    ticket = event.ticket
    fields = {name: getattr(ticket, name) for name in ticket.model_fields_set - {"organization"}}
    before = Ticket(**fields)
    assert ticket == before and to_json(ticket) == to_json(before)
    assert isinstance(ticket.requester, Requester)


KINDS = st.sampled_from(["ticket.created", "ticket.comment_added", "ticket.status_changed"])


@given(
    kind=KINDS,
    changes=st.lists(st.tuples(st.sampled_from(NATIVE_PATHS), values | ids), max_size=4),
    identity=st.sampled_from([ME, None]),
    times=st.lists(
        st.tuples(
            st.sampled_from([("time",), ("detail", "created_at"), ("detail", "updated_at")]),
            st.sampled_from(
                [
                    "2026-12-04T21:00:00Z",
                    "2026-12-04T21:00:00.123456789Z",
                    "2013-12-12T05:35Z",
                    "2026-12-04T22:00:00+01:00",
                    "",
                    "2026-13-01T00:00:00Z",
                    "2200-01-01T00:00:00Z",
                    "1969-12-31T23:59:59Z",
                    "2026-12-04",
                ]
            ),
        ),  # fmt: skip
        max_size=2,
    ),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_onepass_and_the_models_agree_on_any_envelope(
    kind: str,
    changes: list[tuple[tuple[str, ...], Any]],
    identity: Identity | None,
    times: list[tuple[tuple[str, ...], str]],
) -> None:
    comment = {"body": "x", "is_public": True, "author": {"id": "77", "is_staff": True, "name": "A"}}
    body: Any = envelope_dict(kind, event={"comment": comment})
    for path, value in [*changes, *times]:
        put(body, path, value)
    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    if onepass.read(raw) is None:
        return  # declined: parse_delivery reads it as before (read_json, then json.loads)
    TAKEN.append(kind)
    outcome, models = read_now(raw, identity), the_models_way(raw, identity)
    if not body["detail"].get("created_at"):  # both read now's clock for it, moments apart
        outcome = at_the_models_now(outcome, models)
    assert outcome == models
    assert outcome[0] in ("events", "invalid")  # never a refusal the models would not make
    assert envelope.read(json.loads(raw)).event_type in ("ticket.created", "ticket.comment_added")


TAKEN: list[str] = []


def at_the_models_now(outcome: Outcome, models: Outcome) -> Outcome:
    """``outcome`` with the times that came from the clock (a ticket without ``created_at``) set
    to the models' reading's, when they are at most a minute apart."""
    if outcome[0] != "events" or models[0] != "events" or len(outcome[1]) != len(models[1]):
        return outcome
    events = []
    for (ours, _), (theirs, _) in zip(outcome[1], models[1], strict=True):
        ticket = ours.ticket
        assert abs(ticket.created_at - theirs.ticket.created_at).total_seconds() < 60
        times = {"created_at": theirs.ticket.created_at, "updated_at": theirs.ticket.updated_at}
        if ticket.updated_at != ticket.created_at:
            times.pop("updated_at")  # updated_at was given
        update: dict[str, Any] = {"ticket": ticket.model_copy(update=times)}
        if ours.time == ticket.updated_at:
            update["time"] = theirs.time
        event = ours.model_copy(update=update)
        events.append((event, to_json(event)))
    return "events", events


def test_the_property_above_took_envelopes_of_both_kinds() -> None:
    """Run after it (file order): a strategy that made onepass decline everything would prove
    nothing."""
    if not TAKEN:
        pytest.skip("run with the property test above")
    assert {"ticket.created", "ticket.comment_added"} <= set(TAKEN)


def one_shot(secret: str | bytes, timestamp: str, body: bytes | str) -> str:
    """The signature as sign() made it before (hmac.digest of the concatenation, b64encode)."""
    key = secret.encode() if isinstance(secret, str) else secret
    raw = body.encode() if isinstance(body, str) else body
    return base64.b64encode(hmac.digest(key, timestamp.encode() + raw, "sha256")).decode("ascii")


@given(
    secrets=st.lists(st.text(max_size=80) | st.binary(max_size=100), min_size=1, max_size=3),
    timestamp=st.text(max_size=40),
    body=st.binary(max_size=3000) | st.text(max_size=300),
)
@settings(max_examples=300, deadline=None)
def test_the_keyed_hmac_signs_as_the_one_shot_hmac(
    secrets: list[str | bytes], timestamp: str, body: bytes | str
) -> None:
    for secret in [*secrets, *reversed(secrets)]:  # a keyed state is never another secret's
        assert signature.sign(secret, timestamp, body) == one_shot(secret, timestamp, body)


def test_zendesks_vector_and_a_long_secret_still_verify() -> None:
    # Zendesk's test secret; and a key over SHA-256's 64-byte block, which RFC 2104 hashes first.
    for secret in (signature.ZENDESK_TEST_SECRET, "k" * 200):
        body = b'{"ticket":"1"}'
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        given_signature = one_shot(secret, stamp, body)
        headers = {signature.SIGNATURE_HEADER: given_signature, signature.TIMESTAMP_HEADER: stamp}
        assert signature.verify(secret, headers, body, now=datetime.now(UTC)).accepted
        headers[signature.SIGNATURE_HEADER] = one_shot(secret + "x", stamp, body)
        result = signature.verify(secret, headers, body, now=datetime.now(UTC))
        assert result.reason == signature.VerifyReason.BAD_SIGNATURE


DECLARED = [path for path in NATIVE_PATHS if path[0] in ("id", "time", "detail", "event") and len(path) > 1]


@pytest.mark.parametrize("kind", ["ticket.created", "ticket.comment_added"])
@pytest.mark.parametrize("path", [("id",), ("time",), *DECLARED])
@pytest.mark.parametrize("value", [1.5, 7, True, "x" * 70_000, [], {}, ["a", 1], "0"])
def test_a_declared_field_of_another_kind_is_read_as_the_models_read_it(
    kind: str, path: tuple[str, ...], value: Any
) -> None:
    comment = {"body": "x", "is_public": True, "author": {"id": "77", "is_staff": True, "name": "A"}}
    body: Any = envelope_dict(kind, event={"comment": comment})
    put(body, path, value)
    raw = json.dumps(body).encode()
    outcome, models = read_now(raw, ME), the_models_way(raw, ME)
    if onepass.read(raw) is not None and not body["detail"].get("created_at"):
        outcome = at_the_models_now(outcome, models)
    assert outcome == models
