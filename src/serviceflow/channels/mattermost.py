"""Mattermost incoming webhooks.

Contract (https://developers.mattermost.com/integrate/webhooks/incoming/):

- A JSON POST with ``text`` (Markdown) and optional ``channel`` (a channel *name*, or
  ``@username`` for a direct message), ``username``, ``icon_url`` (both overrides work only when
  the server allows integrations to override them) and ``props`` (a property bag for extra
  data; ``from_webhook``, ``override_username``, ``override_icon_url``, ``override_icon_emoji``,
  ``webhook_display_name``, ``card`` and ``attachments`` are reserved).
- Success is ``200`` with the body ``ok``. Posts up to 16,383 characters; a longer ``text`` is
  split into several posts, so we cut it to one.
- Error answers: the page names messages ("Couldn't find the channel", "Unable to parse incoming
  data") but not their status codes; the server's code does (mattermost/mattermost,
  server/channels/app/webhook.go ``HandleIncomingWebhook``, commit 013f83cd94d50f786bbabf4997052f702f90327a):
  ``400`` for a body it cannot parse, no ``text``, an unknown hook or ``@user``; ``404`` for a
  channel not found; ``403`` for a locked channel or missing permission; ``501`` when incoming
  webhooks are turned off; ``500`` when its store fails. So any 4xx but 429, and 501, is a
  refusal (the transport retries no 501); 429 and other 5xx are retryable.

Idempotency: none; the action's key travels in ``props`` for whoever reads posts through the
REST API, but Mattermost does not de-duplicate on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from serviceflow.channels import texts
from serviceflow.channels.http import WebhookChannel, WebhookSpec
from serviceflow.channels.model import Notification
from serviceflow.channels.protocol import ChannelSpec, ChannelType

POST_CHARS = 16_383


class MattermostSpec(WebhookSpec):
    """``{"url": "https://chat.example.com/hooks/xxx", "channel": "support-leads"}``."""

    channel: str | None = Field(default=None, max_length=128, description="Override the webhook's channel.")
    username: str | None = Field(default=None, max_length=64, description="Post as this name.")
    icon_url: str | None = Field(default=None, max_length=2_000, description="Post with this picture.")


class MattermostChannel(WebhookChannel):
    spec: MattermostSpec

    def payload(self, notification: Notification) -> dict[str, Any]:
        lines = [f"#### {texts.title(notification)}", ""]
        if notification.body:
            lines += [notification.body, ""]
        for label, value in texts.facts(notification):
            lines.append(f"**{label}:** {value}  ")
        ticket = notification.ticket
        if ticket is not None and ticket.url:
            lines.append(f"[Open {texts.ticket_line(notification)}]({ticket.url})")
        payload: dict[str, Any] = {
            "text": texts.cut("\n".join(lines), POST_CHARS),
            "props": {"serviceflow_key": notification.key, "serviceflow_case": notification.case_id},
        }
        for field in ("channel", "username", "icon_url"):
            value = getattr(self.spec, field)
            if value:
                payload[field] = value
        return payload


def _build(name: str, spec: ChannelSpec) -> MattermostChannel:
    assert isinstance(spec, MattermostSpec)
    return MattermostChannel(name, spec)


MATTERMOST = ChannelType(
    kind="mattermost", spec=MattermostSpec, build=_build, description="Mattermost incoming webhook"
)
