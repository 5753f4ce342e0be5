"""PagerDuty Events API v2: a breach opens an incident, the target met resolves it.

Contract (PagerDuty/developer-docs, docs/events-API-v2/02-Trigger-Events.md and 01-Overview.md;
the OpenAPI document PagerDuty/api-schema, reference/events-v2/openapiv3.json):

- ``POST https://events.pagerduty.com/v2/enqueue`` with ``routing_key`` (the 32-character
  integration key of an Events API v2 integration), ``event_action`` (``trigger``,
  ``acknowledge``, ``resolve``), ``dedup_key`` (at most 255 characters) and, for a trigger,
  ``payload`` with ``summary`` (at most 1,024 characters), ``source`` and ``severity``
  (``critical``, ``error``, ``warning``, ``info``), optional ``component``, ``group``,
  ``class``, ``custom_details``; ``client``, ``client_url`` and ``links`` beside it.
- De-duplication: events with the same ``dedup_key`` apply to the open alert; "once the alert
  is resolved, any further events with the same dedup_key will create a new alert (for trigger
  events) or be dropped (for acknowledge and resolve events)". So the key is the case and the
  target (:attr:`Notification.incident`): every ladder level of one breach lands on one
  incident, a retried trigger is absorbed by it, and the resolve finds it.
- Answers: ``202`` ``{"status": "success", "message": "Event processed", "dedup_key": ...}``;
  ``400`` invalid event (``errors`` lists why; not retried); ``429`` too many calls ("retry ...
  preferably with a backoff of a few minutes"); ``5xx`` and network errors: retry later.
  UNVERIFIED: whether a 429 carries ``Retry-After`` (the OpenAPI document's 429 declares no
  header and no body, api-schema commit 5cd58ff2b5eebc209eaf19e0ff6ca8f40bdd5a94); we honour it
  when it does and otherwise wait ``rate_limit_backoff`` seconds (2 minutes).
- Payloads are limited to 512 KB; ours are a few hundred bytes.

An at-risk warning pages no one (escalation only on breach): it is skipped here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import httpx
from pydantic import Field, SecretStr, field_validator

from serviceflow.channels import texts
from serviceflow.channels.http import WebhookChannel, WebhookSpec, quote
from serviceflow.channels.model import Delivery, DeliveryOutcome, Notification, NotificationKind
from serviceflow.channels.protocol import ChannelSpec, ChannelType
from serviceflow.plugins.http import parse_retry_after

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
DEDUP_KEY_CHARS = 255
SUMMARY_CHARS = 1_024


class Severity(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class PagerDutySpec(WebhookSpec):
    """``{"routing_key": "<32 characters>"}``; ``url`` only for the EU service or a test."""

    routing_key: SecretStr = Field(description="The Events API v2 integration key (32 characters).")
    url: SecretStr = Field(default=SecretStr(EVENTS_URL), description="The Events API v2 enqueue URL.")
    severity: Severity = Field(default=Severity.ERROR, description="The severity of a breach's incident.")
    source: str = Field(default="serviceflow", min_length=1, max_length=255, description="payload.source.")
    rate_limit_backoff: float = Field(
        default=120.0, ge=0, le=3_600, description="Seconds to wait after a 429 without Retry-After."
    )

    @field_validator("routing_key")
    @classmethod
    def _thirty_two(cls, key: SecretStr) -> SecretStr:
        value = key.get_secret_value()
        if len(value) != 32 or not value.isalnum() or not value.isascii():
            raise ValueError(
                "must be the 32-character integration key of an Events API v2 integration "
                "(the service's Integrations tab)"
            )
        return key


class PagerDutyChannel(WebhookChannel):
    spec: PagerDutySpec

    async def send(self, notification: Notification) -> Delivery:
        if notification.kind is NotificationKind.WARNING:
            return self.result(
                notification, DeliveryOutcome.SKIPPED, "an at-risk warning pages no one; only a breach does"
            )
        return await super().send(notification)

    def payload(self, notification: Notification) -> dict[str, Any]:
        event: dict[str, Any] = {
            "routing_key": self.spec.routing_key.get_secret_value(),
            "dedup_key": notification.incident_key(DEDUP_KEY_CHARS),
        }
        if notification.kind is NotificationKind.RESOLVE:
            return event | {"event_action": "resolve"}
        details: dict[str, Any] = {
            "for": texts.people(notification),
            "case": notification.case_id,
            "level": notification.level,
            "policy": notification.policy,
            "rule": notification.rule,
            "reason": notification.reason,
            "key": notification.key,
        }
        if notification.body:
            details["message"] = notification.body
        ticket = notification.ticket
        if ticket is not None:
            details["ticket"] = texts.ticket_line(notification)
        payload: dict[str, Any] = {
            "summary": texts.cut(texts.title(notification), SUMMARY_CHARS),
            "source": self.spec.source,
            "severity": self.spec.severity.value,
            "class": "breach",
            "custom_details": details,
        }
        if notification.target:
            payload["component"] = notification.target
        if notification.policy:
            payload["group"] = notification.policy
        event |= {"event_action": "trigger", "payload": payload, "client": "serviceflow"}
        if ticket is not None and ticket.url:
            event["client_url"] = ticket.url
            event["links"] = [{"href": ticket.url, "text": texts.ticket_line(notification)}]
        return event

    def read(self, notification: Notification, response: httpx.Response) -> Delivery:
        status = response.status_code
        if status == 202:
            return self.result(notification, DeliveryOutcome.DELIVERED, f"202 {quote(response)}")
        if status == 400:
            return self.result(notification, DeliveryOutcome.REFUSED, f"400 invalid event: {quote(response)}")
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            wait = self.spec.rate_limit_backoff if retry_after is None else retry_after
            return self.result(
                notification, DeliveryOutcome.RETRYABLE, f"429 {quote(response)}".strip(), wait
            )
        return self.by_status(notification, response)


def _build(name: str, spec: ChannelSpec) -> PagerDutyChannel:
    assert isinstance(spec, PagerDutySpec)
    return PagerDutyChannel(name, spec)


PAGERDUTY = ChannelType(
    kind="pagerduty", spec=PagerDutySpec, build=_build, description="PagerDuty Events API v2"
)
