"""Slack incoming webhooks.

Contract (Slack's documentation):

- The message is a JSON POST with ``text`` (mrkdwn, the fallback shown in notifications) and
  optional ``blocks`` (Block Kit): https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
- Answers: ``200 ok``; ``400 invalid_payload`` / ``user_not_found``, ``403 action_prohibited``,
  ``404 channel_not_found``, ``410 channel_is_archived``, ``500 rollup_error``
  (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks). Any
  4xx but 429 is a refusal; 5xx may pass.
- Rate limit: "no more than one message per second", short bursts allowed; over it, ``429 Too
  Many Requests`` with ``Retry-After`` in seconds (https://api.slack.com/docs/rate-limits).
  Hence ``min_interval`` 1 s by default and the pacer holds for ``Retry-After``.
- Escaping: ``&``, ``<`` and ``>`` in text become ``&amp;``, ``&lt;``, ``&gt;``; links are
  ``<url|text>`` (https://docs.slack.dev/messaging/formatting-message-text).
- Limits: a header block's text is at most 150 characters, a section's 3,000
  (https://docs.slack.dev/reference/block-kit/blocks/header-block, .../section-block).

Idempotency: an incoming webhook has none (no key, no de-duplication), so a notification whose
activity is retried after Slack took it can appear twice: delivery is at least once.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from serviceflow.channels import texts
from serviceflow.channels.http import WebhookChannel, WebhookSpec
from serviceflow.channels.model import Notification
from serviceflow.channels.protocol import ChannelSpec, ChannelType

HEADER_CHARS = 150
SECTION_CHARS = 3_000


class SlackSpec(WebhookSpec):
    """``{"url": "https://hooks.slack.com/services/..."}``."""

    min_interval: float = Field(default=1.0, ge=0, le=60, description="Slack: one message per second.")
    blocks: bool = Field(default=True, description="Send Block Kit blocks beside the text.")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel(WebhookChannel):
    spec: SlackSpec

    def payload(self, notification: Notification) -> dict[str, Any]:
        title = texts.title(notification)
        details = "\n".join(f"*{label}:* {escape(value)}" for label, value in texts.facts(notification))
        ticket = notification.ticket
        if ticket is not None and ticket.url:
            link = escape(texts.ticket_line(notification) or ticket.id)
            details += f"\n<{ticket.url}|Open {link}>"
        body = f"{escape(notification.body)}\n\n{details}" if notification.body else details
        fallback = f"{escape(title)}\nFor: {escape(texts.people(notification))}"
        payload: dict[str, Any] = {"text": texts.cut(fallback, SECTION_CHARS)}
        if self.spec.blocks:
            payload["blocks"] = [
                {"type": "header", "text": {"type": "plain_text", "text": texts.cut(title, HEADER_CHARS)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": texts.cut(body, SECTION_CHARS)}},
            ]
        return payload


def _build(name: str, spec: ChannelSpec) -> SlackChannel:
    assert isinstance(spec, SlackSpec)
    return SlackChannel(name, spec)


SLACK = ChannelType(kind="slack", spec=SlackSpec, build=_build, description="Slack incoming webhook")
