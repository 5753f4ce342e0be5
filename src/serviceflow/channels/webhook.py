"""A generic JSON webhook: serviceflow's own payload, for any endpoint that takes a JSON POST.

This is what ``SERVICEFLOW_NOTIFY_URL`` always posted (it becomes the channel ``default``), and
its fields stay: ``text`` (so Slack-compatible receivers show something), ``case``,
``recipients`` (agent ids), ``subject``, ``escalation_level``, ``policy``, ``rule``, ``key``.
New beside them: ``kind`` (warning, breach, resolve), ``people`` (id, name, email of each
recipient), ``ticket`` (id, subject, url), ``target``, ``incident``. The contract is ours:

- any 2xx is delivered; 429 and 5xx (but 501, 505) are retryable, honouring ``Retry-After``;
  any other answer is a refusal, quoted in the delivery.
- ``key`` is the action's idempotency key and ``incident`` the breach's: a receiver that
  de-duplicates on ``key`` sees each notification once.
"""

from __future__ import annotations

from typing import Any

from serviceflow.channels import texts
from serviceflow.channels.http import WebhookChannel, WebhookSpec
from serviceflow.channels.model import Notification
from serviceflow.channels.protocol import ChannelSpec, ChannelType


class JsonWebhookSpec(WebhookSpec):
    """``{"type": "webhook", "url": "https://alerts.example.com/serviceflow"}``."""


class JsonWebhookChannel(WebhookChannel):
    def payload(self, notification: Notification) -> dict[str, Any]:
        ticket = notification.ticket
        return {
            "text": texts.plain(notification),
            "case": notification.case_id,
            "kind": notification.kind.value,
            "recipients": [r.id for r in notification.recipients],
            "people": [r.model_dump() for r in notification.recipients],
            "subject": notification.subject,
            "body": notification.body,
            "ticket": ticket.model_dump() if ticket is not None else None,
            "target": notification.target,
            "escalation_level": notification.level,
            "policy": notification.policy,
            "rule": notification.rule,
            "key": notification.key,
            "incident": notification.incident,
        }


def _build(name: str, spec: ChannelSpec) -> JsonWebhookChannel:
    assert isinstance(spec, JsonWebhookSpec)
    return JsonWebhookChannel(name, spec)


WEBHOOK = ChannelType(
    kind="webhook",
    spec=JsonWebhookSpec,
    build=_build,
    description="Generic JSON webhook (serviceflow's payload)",
)
