"""Test helpers for the Help Scout plugin tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from typing import Any

from serviceflow_helpscout.adapter import HelpScoutAdapter
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.settings import HelpScoutSettings
from serviceflow_helpscout.signature import sign

from serviceflow.adapters import WebhookRequest
from serviceflow.testing import SleepRecorder as SleepRecorder

#: The webhook secret the tests configure (at most 40 characters, as Help Scout requires).
SECRET = "hs-test-webhook-secret"
ACCOUNT = "127.0.0.1"


def settings_for(fake: FakeHelpScout, **overrides: Any) -> HelpScoutSettings:
    """The plugin's settings pointing at the fake (not read from the environment)."""
    fields: dict[str, Any] = {
        "base_url": fake.base_url,
        "app_id": fake.app_id,
        "app_secret": fake.app_secret,
        "webhook_secret": SECRET,
        **overrides,
    }
    return HelpScoutSettings(_env_file=None, **fields)  # type: ignore[call-arg]


def adapter_for_fake(
    fake: FakeHelpScout, sleeps: SleepRecorder | None = None, **overrides: Any
) -> HelpScoutAdapter:
    options: dict[str, Any] = {"sleep": sleeps if sleeps is not None else SleepRecorder()}
    return HelpScoutAdapter(settings_for(fake, **overrides), client_options=options)


def delivery(event: str, body: bytes, secret: str = SECRET) -> WebhookRequest:
    """A delivery as Help Scout sends it: the event in a header, the body signed."""
    headers = {
        "content-type": "application/json",
        "x-helpscout-event": event,
        "x-helpscout-signature": sign(secret, body),
    }
    return WebhookRequest("POST", headers, body)


def action(cls: type, key: str = "k1", **fields: Any) -> Any:
    """An engine action of type ``cls`` with the bookkeeping fields filled in."""
    return cls(key=key, reason="test", policy="p", rule="r", **fields)
