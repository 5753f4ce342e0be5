"""Notifications that have no ticket to live on: review cases of quarantined mail.

A helpdesk plugin delivers a ticket's warnings and escalations on the ticket itself (an internal
note addressed to the people). A review case has no ticket yet, so its notifications go to an
incoming-webhook URL (``SERVICEFLOW_NOTIFY_URL``: Slack, Mattermost, Teams or any endpoint that
takes a JSON POST with a ``text`` field), and are always logged. Delivery is at least once: the
action's key is in the payload for receivers that de-duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from serviceflow.errors import ServiceflowError
from serviceflow.model import Notify

log = logging.getLogger(__name__)


class NotificationFailed(ServiceflowError):
    """The notification endpoint did not take the notification."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Notifier:
    url: str | None = None
    timeout: float = 10.0

    async def send(self, case_id: str, action: Notify) -> str:
        """Deliver one notification; "done: ..." or raises :class:`NotificationFailed`."""
        level = f" (escalation level {action.escalation_level})" if action.escalation_level else ""
        to = ", ".join(action.recipients) or "(no recipients)"
        text = f"{action.subject}{level}\nTo: {to}\nCase: {case_id}\n\n{action.body}"
        log.warning("notification for %s on %s: %s%s", to, case_id, action.subject, level)
        if not self.url:
            return "done: logged (set SERVICEFLOW_NOTIFY_URL to send it)"
        payload = {
            "text": text,
            "case": case_id,
            "recipients": list(action.recipients),
            "subject": action.subject,
            "escalation_level": action.escalation_level,
            "policy": action.policy,
            "rule": action.rule,
            "key": action.key,
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"notification endpoint unreachable: {exc}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise NotificationFailed(f"notification endpoint answered {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise NotificationFailed(
                f"notification endpoint refused it with {response.status_code}: {response.text[:200]}",
                retryable=False,
            )
        return "done: sent"
