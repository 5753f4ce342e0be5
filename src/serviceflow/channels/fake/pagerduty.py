"""A fake PagerDuty Events API v2: ``POST /v2/enqueue``, alerts kept by ``dedup_key``.

It follows PagerDuty/developer-docs (docs/events-API-v2/02-Trigger-Events.md, 01-Overview.md)
and the OpenAPI document (PagerDuty/api-schema, reference/events-v2/openapiv3.json):

- ``202 {"status": "success", "message": "Event processed", "dedup_key": ...}``;
- ``400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``
  for a missing or wrong field (the documented example: "Length of 'routing_key' is incorrect
  (should be 32 characters)"), and ``"Unrecognized object"`` for a body that is not JSON;
- a queued 429 or 5xx (``fail``);
- alerts: a trigger opens one or is added to the open one with its ``dedup_key``; a resolve
  closes it; events for a resolved or unknown key are dropped (acknowledge/resolve) or open a
  new alert (trigger); events via another ``routing_key`` than the trigger's are dropped.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from serviceflow.channels.fake.base import Answer, FakeReceiver, parse_json
from serviceflow.fakes.faults import Fault

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class Alert:
    """One alert as PagerDuty keeps it."""

    dedup_key: str
    routing_key: str
    status: str = "triggered"  # triggered, acknowledged, resolved
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return str(self.events[0].get("payload", {}).get("summary", "")) if self.events else ""


class FakePagerDuty(FakeReceiver):
    name = "pagerduty"

    def __init__(self) -> None:
        super().__init__()
        self._alerts: list[Alert] = []
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        return "/v2/enqueue"

    @property
    def alerts(self) -> list[Alert]:
        """Every alert so far, oldest first (a resolved key triggered again is a new alert)."""
        with self._lock:
            return list(self._alerts)

    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.status != "resolved"]

    def rate_limited(self, fault: Fault) -> Answer:
        if fault.status == 400:  # a queued refusal: what PagerDuty says of an unknown key (UNVERIFIED)
            errors = ["Invalid routing key"]
            return Answer(
                400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
            )
        if fault.status == 429:  # documented without a body ("Too many API calls at a time.")
            return Answer(429, "", tuple(fault.headers().items()))
        return Answer(fault.status, {"status": "error", "message": "Internal Server Error"})

    def answer(self, body: bytes, headers: dict[str, str]) -> Answer:
        event = parse_json(body)
        if not isinstance(event, dict):
            return Answer(
                400,
                {
                    "status": "Unrecognized object",
                    "message": "Event object format is unrecognized",
                    "errors": ["JSON parse error"],
                },
            )
        errors = _problems(event)
        if errors:
            return Answer(
                400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
            )
        dedup_key = event.get("dedup_key") or str(uuid.uuid4())
        self._apply(event, dedup_key)
        return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})

    def _apply(self, event: dict[str, Any], dedup_key: str) -> None:
        with self._lock:
            alert = next(
                (a for a in reversed(self._alerts) if a.dedup_key == dedup_key and a.status != "resolved"),
                None,
            )
            if alert is not None and alert.routing_key != event["routing_key"]:
                return  # "sent via a different routing_key from the original will be dropped"
            action = event["event_action"]
            if action == "trigger":
                if alert is None:
                    alert = Alert(dedup_key=dedup_key, routing_key=event["routing_key"])
                    self._alerts.append(alert)
                alert.events.append(event)
            elif alert is not None:
                alert.events.append(event)
                alert.status = "resolved" if action == "resolve" else "acknowledged"


def _problems(event: dict[str, Any]) -> list[str]:
    errors = []
    routing_key = event.get("routing_key")
    if not isinstance(routing_key, str) or len(routing_key) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action != "trigger" and dedup_key is None and action in ACTIONS:
        errors.append("'dedup_key' is required for acknowledge and resolve events")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary or len(summary) > 1024:
                errors.append("'payload.summary' is required, at most 1024 characters")
            if not isinstance(payload.get("source"), str) or not payload.get("source"):
                errors.append("'payload.source' is required")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
    return errors
