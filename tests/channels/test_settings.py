"""SERVICEFLOW_CHANNELS: every problem named by channel and field, secrets never shown, the old
SERVICEFLOW_NOTIFY_URL as the channel 'default'; and, property-based, that no input makes the
parser fail any other way or accept a bad name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channel_support import ROUTING_KEY
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.channels import ChannelRegistry, ChannelSettingsError, parse_channels
from serviceflow.channels.settings import MAX_CHANNELS, NAME

REGISTRY = ChannelRegistry.from_plugins()


def problems(raw: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(ChannelSettingsError) as failed:
        parse_channels(raw, REGISTRY, **kwargs)
    return failed.value.problems


def test_a_documented_example_parses_into_typed_channels() -> None:
    configs = parse_channels(
        {
            "slack:support-leads": {"url": "https://hooks.slack.com/services/T0/B0/XXXX"},
            "email": {
                "host": "smtp.example.com",
                "from": "sf@example.com",
                "username": "sf",
                "password": "pw",
            },
            "pagerduty:oncall": {"routing_key": ROUTING_KEY},
            "teams:support": {"url": "https://prod-00.westeurope.logic.azure.com/workflows/x"},
            "mattermost": {"url": "https://chat.example.com/hooks/abc", "channel": "leads"},
            "ops": {"type": "webhook", "url": "https://alerts.example.com/in"},
        },
        REGISTRY,
    )
    assert {name: c.type.kind for name, c in configs.items()} == {
        "slack:support-leads": "slack",
        "email": "email",
        "pagerduty:oncall": "pagerduty",
        "teams:support": "teams",
        "mattermost": "mattermost",
        "ops": "webhook",
    }
    email = configs["email"].spec
    assert "pw" not in repr(email) and "pw" not in str(email)  # SecretStr
    assert "XXXX" not in repr(configs["slack:support-leads"].spec)
    assert ROUTING_KEY not in repr(configs["pagerduty:oncall"].spec)


def test_every_problem_names_its_channel_and_field() -> None:
    found = problems(
        {
            "slack:leads": {},
            "email": {"host": "smtp.example.com", "from": "not an address", "security": "tls"},
            "pagerduty": {"routing_key": "short"},
            "sms:oncall": {"to": "+31"},
            "Bad Name": {"url": "https://x"},
            "helpdesk": {},
            "teams": {"url": "ftp://example.com/x", "colour": "blue"},
            "mattermost": "https://chat.example.com/hooks/x",
            "webhook:a": {"url": "http://["},
            "webhook:b": {"url": "https://x.example:99999/h"},
            "email:b": {"host": "smtp example.com", "from": "a@b.example"},
        }
    )
    text = "\n".join(found)
    assert "'slack:leads'.url: Field required" in text
    assert "'email'.from: Value error, must be an email address" in text
    assert "'email'.security: Input should be 'starttls', 'ssl' or 'none'" in text
    assert "'pagerduty'.routing_key: Value error, must be the 32-character integration key" in text
    assert "'sms:oncall': unknown channel type 'sms'; installed types: email, mattermost, pagerduty" in text
    assert "'Bad Name': a channel name is 'kind' or 'kind:label'" in text
    assert "'helpdesk': the name is reserved for the helpdesk itself" in text
    assert "'teams'.url: Value error, must be an http(s) URL" in text
    assert "'teams'.colour: Extra inputs are not permitted" in text
    assert "'mattermost': its settings must be a JSON object, not str" in text
    assert "'webhook:a'.url: Value error, must be an http(s) URL" in text
    assert "'webhook:b'.url: Value error, must be an http(s) URL" in text
    assert "'email:b'.host: Value error, must be a host name or an IP address" in text
    assert "short" not in text  # a value, perhaps a secret, is never echoed


def test_email_logins_need_tls_and_both_halves() -> None:
    base = {"host": "smtp.example.com", "from": "sf@example.com"}
    assert any("without TLS the password" in p for p in problems(
        {"email": {**base, "security": "none", "username": "u", "password": "p"}}
    ))  # fmt: skip
    assert any("both username and password" in p for p in problems({"email": {**base, "username": "u"}}))
    assert any(
        "must name at least one address" in p for p in problems({"email": {**base, "to_recipients": False}})
    )
    assert any("not an email address" in p for p in problems({"email": {**base, "to": ["a@b", "x\r\ny@z"]}}))


def test_the_old_notify_url_is_the_default_webhook_channel() -> None:
    configs = parse_channels(None, REGISTRY, notify_url="https://hooks.example.com/notify")
    assert list(configs) == ["default"] and configs["default"].type.kind == "webhook"
    own = parse_channels(
        {"default": {"type": "slack", "url": "https://hooks.slack.com/services/T/B/C"}},
        REGISTRY,
        notify_url="https://hooks.example.com/notify",
    )
    assert own["default"].type.kind == "slack"  # SERVICEFLOW_CHANNELS wins over the old setting
    assert parse_channels({}, REGISTRY) == {}


def test_limits_are_explicit() -> None:
    many = {f"webhook:n{i}": {"url": "https://x.example/h"} for i in range(MAX_CHANNELS + 1)}
    assert problems(many) == [f"{MAX_CHANNELS + 1} channels configured; at most {MAX_CHANNELS} are allowed"]
    assert problems(["slack"]) == ["must be a JSON object of channel name -> settings, not list"]
    long_label = "slack:" + "x" * 65
    assert "a channel name is" in problems({long_label: {"url": "https://x.example"}})[0]


def test_the_worker_settings_read_channels_as_json_and_hide_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from serviceflow.durable.settings import Settings

    raw = {"slack:leads": {"url": "https://hooks.slack.com/services/T/B/SECRET"}}
    monkeypatch.setenv("SERVICEFLOW_CHANNELS", json.dumps(raw))
    monkeypatch.setenv("SERVICEFLOW_REVIEW_VIA", '["slack:leads"]')
    loaded = Settings()
    assert loaded.channels == raw and loaded.review_via == ["slack:leads"]
    assert "SECRET" not in repr(loaded)


# -- property-based --------------------------------------------------------------------------

urlish = st.builds(
    lambda scheme, rest: f"{scheme}{rest}",
    st.sampled_from(["https://", "http://", "ftp://", ""]),
    st.text(max_size=30),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | urlish,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
names = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["slack", "email", "pagerduty", "teams", "mattermost", "webhook", "sms", "helpdesk"]
    ).flatmap(
        lambda kind: st.text(
            alphabet=st.characters(codec="ascii", categories=["L", "N"], include_characters="-_.@"),
            max_size=70,
        ).map(lambda label: f"{kind}:{label}" if label else kind)
    ),
)
specs = st.dictionaries(
    st.sampled_from(
        [
            "url",
            "host",
            "from",
            "routing_key",
            "type",
            "security",
            "port",
            "timeout",
            "to",
            "username",
            "password",
        ]
    )
    | st.text(max_size=8),
    json_values,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(names, specs | json_values, max_size=6) | json_values)
def test_any_input_parses_or_fails_with_named_problems(raw: Any) -> None:
    try:
        configs = parse_channels(raw, REGISTRY)
    except ChannelSettingsError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    for name, config in configs.items():
        match = NAME.fullmatch(name)
        assert match is not None and name != "helpdesk"
        assert config.type.kind in REGISTRY.kinds


@settings(max_examples=100, deadline=None)
@given(
    st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,20}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
)
def test_a_valid_webhook_channel_always_parses_and_keeps_its_url_secret(
    kind: str, label: str, token: str
) -> None:
    name = f"{kind}:{label}"
    url = f"https://hooks.example.com/{token}"
    configs = parse_channels({name: {"type": "webhook", "url": url}}, REGISTRY)
    spec = configs[name].spec
    assert spec.url.get_secret_value() == url and url not in repr(spec)
