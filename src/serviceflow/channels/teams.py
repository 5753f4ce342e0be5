"""Microsoft Teams: a Workflows webhook (or a legacy incoming webhook) posting an Adaptive Card.

What we chose, and why. Microsoft is retiring Office 365 (Microsoft 365) connectors, and with
them the classic incoming webhook and its ``MessageCard``; what Microsoft documents now is a
workflow in the Teams Workflows app (Power Automate) started by the trigger "When a Teams webhook
request is received", which posts to a chat or channel, and "Workflows support Adaptive Cards
only" (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
"Known issues"). So this channel sends only the documented Adaptive Card envelope, which a
legacy incoming webhook takes as well:

    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                      "contentUrl": null,
                      "content": {"type": "AdaptiveCard", "version": "1.2", "body": [...]}}]}

(MicrosoftDocs/msteams-docs, msteams-platform/webhooks-and-connectors/how-to/connectors-using.md,
"Send adaptive cards using an incoming webhook": ``type`` must be ``message``, the card goes in
``attachments[].content``; the supported actions include ``Action.OpenUrl``.) Create the
workflow from the template "Post to a channel when a webhook request is received" and use its
URL.

Answers: a Workflows URL is a Power Automate request trigger, which answers ``202 Accepted`` when
it takes the request: "If your workflow doesn't include a Response action, your workflow
immediately returns the 202 ACCEPTED status to the caller" (Azure Logic Apps' Request trigger,
https://learn.microsoft.com/azure/connectors/connectors-native-reqres, MicrosoftDocs/azure-docs
articles/connectors/connectors-native-reqres.md; the Teams template's flow posts a card and has
no Response action). That the Teams webhook trigger behaves as the Logic Apps Request trigger is
DERIVED (no Teams page states its status), so any 2xx counts as delivered. A legacy connector
answers ``200`` with the body ``1`` even when Teams throttled it: "Connectors do not throw 429s",
the body says "Microsoft Teams endpoint returned HTTP error 429" (connectors-using.md, "Rate
limiting for connectors"), so that body is retryable. Rate limits: connectors allow 4 requests
per second (same section); for Workflows the limits are Power Automate's (UNVERIFIED), so
``min_interval`` defaults to 0.25 s.

Idempotency: none; delivery is at least once.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import Field

from serviceflow.channels import texts
from serviceflow.channels.http import WebhookChannel, WebhookSpec
from serviceflow.channels.model import Delivery, DeliveryOutcome, Notification
from serviceflow.channels.protocol import ChannelSpec, ChannelType

CARD_VERSION = "1.2"  # the version of Microsoft's own example; every element used here is 1.0
THROTTLED = "Microsoft Teams endpoint returned HTTP error 429"


class TeamsSpec(WebhookSpec):
    """``{"url": "https://prod-00.westeurope.logic.azure.com/workflows/..."}``."""

    min_interval: float = Field(default=0.25, ge=0, le=60, description="Connectors: 4 per second.")


class TeamsChannel(WebhookChannel):
    spec: TeamsSpec

    def payload(self, notification: Notification) -> dict[str, Any]:
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": texts.cut(texts.title(notification), 500),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            }
        ]
        if notification.body:
            body.append({"type": "TextBlock", "text": texts.cut(notification.body, 5_000), "wrap": True})
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in texts.facts(notification)],
            }
        )
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
        }
        ticket = notification.ticket
        if ticket is not None and ticket.url:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the ticket", "url": ticket.url}]
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }

    def read(self, notification: Notification, response: httpx.Response) -> Delivery:
        if response.is_success and THROTTLED in response.text:
            return self.result(notification, DeliveryOutcome.RETRYABLE, f"{response.status_code} {THROTTLED}")
        return self.by_status(notification, response)


def _build(name: str, spec: ChannelSpec) -> TeamsChannel:
    assert isinstance(spec, TeamsSpec)
    return TeamsChannel(name, spec)


TEAMS = ChannelType(
    kind="teams",
    spec=TeamsSpec,
    build=_build,
    description="Microsoft Teams Workflows webhook (Adaptive Card)",
)
