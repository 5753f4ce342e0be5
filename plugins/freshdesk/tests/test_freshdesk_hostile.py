"""Hostile and malformed input to the Freshdesk parser and verifier (issues 12 G and 15).

Ids are canonical or refused; a status no account can have is refused; nothing but
``WebhookRejected`` leaves the parser, whatever JSON the body holds (bounded property tests); a
refusal names its field and never repeats the body's words; the secret and the account come
only from settings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serviceflow_freshdesk import ADAPTER, FreshdeskAdapter
from serviceflow_freshdesk.actions import InvalidActionTarget, numeric_id
from serviceflow_freshdesk.ids import NotAnId, canonical
from serviceflow_freshdesk.rule_body import MAX_BODY, MAX_TEXT, MODEL_FIELDS, RULE_EVENTS, RuleBody
from serviceflow_freshdesk.settings import FreshdeskSettings
from serviceflow_freshdesk.triggered import TriggeredEventError, parse
from serviceflow_freshdesk.webhooks import parse_delivery, verify_delivery

from serviceflow.adapters import WebhookRequest
from serviceflow.plugins.webhooks import WebhookRejected

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOSTILE = ["\ud800", "x\udfff", "٤", "²", "04", "", " ", "4\n", "9" * 5000, "\x00", "🎫", "{{ticket.id}}"]


def body(**fields: Any) -> dict[str, Any]:
    inner = {
        "serviceflow_event": "ticket_created", "triggered_event": "{ticket_action:created}",
        "ticket_id": "4", "ticket_subject": "Charged twice", "ticket_status": "Open",
        "ticket_priority": "Medium", "ticket_source": "Email", "requester_id": "77",
        "requester_email": "dana@customer.example", "requester_name": "Dana",
    }  # fmt: skip
    inner.update(fields)
    return {"freshdesk_webhook": inner}


def parsed(data: Any) -> list[Any]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return parse_delivery(raw, account="acme", identity=None, received_at=RECEIVED)


def refusal(data: Any) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        parsed(data)
    return caught.value


# ---------------------------------------------------------------------- ids


@pytest.mark.parametrize("good", ["4", 4, "1234567890", "999999999999999999"])
def test_canonical_ids_are_ascii_digits_without_a_leading_zero(good: Any) -> None:
    assert canonical(good) == str(good)
    (event,) = parsed(body(ticket_id=good))
    assert event.ticket.id == str(good)


@pytest.mark.parametrize("bad", ["٤", "04", "004", "0", "-4", "4.0", "4 4", "1e3", "9" * 19, "9" * 5000])
def test_every_other_spelling_of_an_id_is_a_400_naming_it(bad: str) -> None:
    with pytest.raises(NotAnId):
        canonical(bad)
    rejected = refusal(body(ticket_id=bad))
    assert (rejected.reason, rejected.field) == ("invalid_field", "ticket.id")  # type: ignore[attr-defined]
    assert bad not in rejected.detail or len(bad) < 2


@pytest.mark.parametrize("bad", [True, 4.0, [4], {"id": 4}, -4])
def test_an_id_of_another_json_type_is_a_400_naming_it(bad: Any) -> None:
    assert refusal(body(ticket_id=bad)).field == "ticket.id"  # type: ignore[attr-defined]


OTHER_IDS = [
    ("requester_id", "ticket.requester.id"),
    ("agent_id", "ticket.assignee"),
    ("group_id", "ticket.group"),
]


@pytest.mark.parametrize(("name", "field"), OTHER_IDS)
def test_the_other_ids_are_canonical_too_or_empty(name: str, field: str) -> None:
    assert refusal(body(**{name: "٤"})).field == field  # type: ignore[attr-defined]
    (event,) = parsed(body(**{name: "{{ticket.agent.id}}", "requester_email": "dana@customer.example"}))
    assert event.ticket.requester.id in ("77", "dana@customer.example")


def test_surrounding_whitespace_is_no_part_of_a_value() -> None:
    assert parsed(body(ticket_id=" 4\n"))[0].ticket.id == "4"


def test_action_ids_are_canonical() -> None:
    assert numeric_id("42", "ticket") == 42
    for bad in ("٤", "04", " 4", "4\n", ""):
        with pytest.raises(InvalidActionTarget, match="ticket id"):
            numeric_id(bad, "ticket")


# ---------------------------------------------------------------------- statuses and other fields


@pytest.mark.parametrize("bad", ["²", "٤", "9" * 5000, "9" * 10, "—", "\x00Open", "x" * 101])
def test_a_status_no_account_has_is_a_400_naming_it(bad: str) -> None:
    rejected = refusal(body(ticket_status=bad))
    assert (rejected.reason, rejected.field) == ("invalid_field", "ticket.status")  # type: ignore[attr-defined]
    assert "ticket_status" in rejected.detail and bad not in rejected.detail


@pytest.mark.parametrize("good", ["Open", "6", "Waiting on Third Party", "En attente du client", "二次対応"])
def test_names_in_any_language_and_codes_are_statuses(good: str) -> None:
    assert parsed(body(ticket_status=good, triggered_event="{status:{from:2,to:6}}"))


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("ticket_priority", "²", "ticket.priority"),
        ("ticket_source", ["Email"], "ticket.channel"),
        ("ticket_subject", {"a": 1}, "ticket.subject"),
        ("ticket_tags", True, "ticket.tags"),
        ("serviceflow_event", "ticket_deleted", "serviceflow_event"),
        ("triggered_event", "{status:{from:4}}", "triggered_event"),
        ("triggered_event", "{" + "k" * 600 + ":v}", "triggered_event"),
        ("requester_email", "not an id with spaces", "ticket.requester.email"),
    ],
)
def test_a_field_of_the_wrong_kind_is_a_400_naming_it(name: str, value: Any, field: str) -> None:
    fields: dict[str, Any] = {name: value}
    if name == "requester_email":
        fields["requester_id"] = ""
    rejected = refusal(body(**fields))
    assert (rejected.status, rejected.field) == (400, field)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "limit", "field"),
    [
        ("ticket_subject", MAX_TEXT, "ticket.subject"),
        ("ticket_tags", MAX_TEXT, "ticket.tags"),
        ("requester_name", MAX_TEXT, "ticket.requester.name"),
        ("ticket_description", MAX_BODY, "body"),
        ("latest_public_comment", MAX_BODY, "body"),
        ("latest_private_comment", MAX_BODY, "body"),
    ],
)
def test_each_text_field_has_its_limit_and_a_400_naming_it(name: str, limit: int, field: str) -> None:
    (event,) = parsed(body(**{name: "w" * limit}))
    assert event is not None
    problem = refusal(body(**{name: "w" * (limit + 1)}))
    assert problem.reason == "invalid_field" and getattr(problem, "field", None) == field
    assert f"longer than {limit} characters" in problem.detail and "www" not in problem.detail


def test_the_triggered_event_refusal_quotes_nothing_of_the_body() -> None:
    secret_words = "{status:confidential customer words here"
    rejected = refusal(body(triggered_event=secret_words))
    assert "confidential" not in rejected.detail and "confidential" not in str(rejected)
    for bad in ("ticket_action:created", "{status:{from:4}}", "{}", "{" + "a" * 600 + ":b}"):
        with pytest.raises(TriggeredEventError) as caught:
            parse(bad)
        assert bad not in str(caught.value)
    assert parse("{status:{from:4,to:6}}").new == "6"


def test_a_lone_surrogate_is_hashed_without_crashing() -> None:
    """JSON's ``"\\ud800"`` parses into text no UTF-8 encoder writes: the parser builds the
    event (the receiver then refuses it naming ``ticket.subject``, tests/durable)."""
    (event,) = parsed(body(ticket_subject="\ud800 lone"))
    assert event.ticket.subject == "\ud800 lone" and event.id.startswith("freshdesk:4:")
    assert parsed(body(ticket_url="x\udfff"))  # a field the event does not carry


def test_json_nested_beyond_the_parser_is_not_json() -> None:
    assert refusal(b"[" * 100_000 + b"]" * 100_000).reason == "not_json"


def test_every_field_the_parser_reads_has_its_place_in_the_event_or_its_own_name() -> None:
    read = set(RuleBody.model_fields)
    own = {"serviceflow_event", "triggered_event", "ticket_url", "ticket_type", "serviceflow_change"}
    assert read - own == set(MODEL_FIELDS)


# ---------------------------------------------------------------------- property: nothing else escapes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(HOSTILE),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
FIELDS = [*RuleBody.model_fields, "extra", "ticket_url"]


@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
    wrapped=st.booleans(),
    whole=st.none() | json_values,
    rule=st.sampled_from(["", *RULE_EVENTS]),
)
@EXAMPLES
def test_nothing_but_webhook_rejected_leaves_the_parser(
    changes: dict[str, Any], wrapped: bool, whole: Any, rule: str
) -> None:
    fields = {**body()["freshdesk_webhook"], "serviceflow_event": rule, **changes}
    data = whole if whole is not None else ({"freshdesk_webhook": fields} if wrapped else fields)
    try:
        events = parsed(data)
    except WebhookRejected as exc:
        assert exc.status == 400 and exc.reason in ("not_json", "unknown_shape", "invalid_field")
        assert getattr(exc, "field", None), exc
        assert len(exc.detail) < 400
        return
    for event in events:
        assert event.ticket.id.isascii() and event.ticket.id.isdigit() and event.ticket.id[0] != "0"
        assert event.ticket.account == "acme"


@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
@EXAMPLES
def test_any_bytes_are_parsed_or_rejected(raw: bytes) -> None:
    try:
        parsed(raw)
    except WebhookRejected:
        pass


@given(
    headers=st.dictionaries(
        st.sampled_from(["authorization", "x-serviceflow-secret", "date", "x-other"]),
        st.text(max_size=40) | st.sampled_from(["Basic !!!", "Basic Og==", "Basic " + "QQ==" * 3, "s3cret"]),
        max_size=4,
    ),
    method=st.sampled_from(["POST", "PUT", "PATCH", "GET", "DELETE", "post"]),
)
@EXAMPLES
def test_verification_only_answers_verdicts(headers: dict[str, str], method: str) -> None:
    configured = FreshdeskSettings(_env_file=None, domain="acme", webhook_secret="s3cret")  # type: ignore[call-arg]
    verdict = verify_delivery(configured, method, headers)
    if method.upper() == "POST" and headers.get("x-serviceflow-secret", "").strip() == "s3cret":
        assert verdict.accepted
    if verdict.accepted:
        assert method.upper() == "POST" and verdict.account == "acme"
    else:
        assert verdict.reason and "s3cret" not in verdict.reason


# ---------------------------------------------------------------------- settings


@pytest.mark.parametrize("secret", ["", " ", "\t\n "])
def test_a_whitespace_only_secret_is_not_configured(secret: str) -> None:
    configured = FreshdeskSettings(_env_file=None, domain="acme", webhook_secret=secret)  # type: ignore[call-arg]
    verdict = verify_delivery(configured, "POST", {"x-serviceflow-secret": secret})
    assert (verdict.accepted, verdict.reason) == (False, "not_configured")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "GET", "DELETE"])
def test_only_post_is_taken(method: str) -> None:
    configured = FreshdeskSettings(_env_file=None, domain="acme", webhook_secret="s3cret")  # type: ignore[call-arg]
    verdict = verify_delivery(configured, method, {"x-serviceflow-secret": "s3cret"})
    assert (verdict.accepted, verdict.reason) == (False, "method_not_allowed")


@pytest.mark.parametrize(
    ("domain", "base_url", "account"),
    [
        (None, None, None),
        ("  ", None, None),
        (None, "freshdesk", None),  # no host: never the URL's text, never "freshdesk"
        (None, "/api/v2", None),
        (None, "http://127.0.0.1:9000", "127.0.0.1"),
        ("acme", "http://127.0.0.1:9000", "acme"),
    ],
)
def test_the_account_comes_only_from_settings(
    domain: str | None, base_url: str | None, account: str | None
) -> None:
    configured = FreshdeskSettings(  # type: ignore[call-arg]
        _env_file=None, domain=domain, base_url=base_url, webhook_secret="s3cret", api_key="k"
    )
    adapter = FreshdeskAdapter(configured)
    assert tuple(adapter.accounts()) == ((account,) if account else ())
    verdict = adapter.verify_webhook(
        WebhookRequest("POST", {"x-serviceflow-secret": "s3cret", "x-freshdesk-account": "attacker"}, b"{}")
    )
    assert verdict.accepted and verdict.account == account


def test_the_registered_adapter_is_the_plugins() -> None:
    assert ADAPTER.vendor == "freshdesk"
