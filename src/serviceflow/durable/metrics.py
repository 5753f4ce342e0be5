"""The worker's Prometheus metrics: what the engine decided, by policy and rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from serviceflow.model import Action, CaseState, Notify, TicketKind

NOT_FOR_THE_HELPDESK = "skipped: not for the helpdesk"
"""carry_out's outcome for a notification whose channels are others (the workflow delivers it)."""
_SENT = frozenset({"done", "shadow"})


@dataclass
class WorkerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.breaches = Counter(
            "serviceflow_breaches_total", "Deadlines breached, by policy and rule.",
            ["policy", "rule"], registry=self.registry,
        )  # fmt: skip
        self.escalations = Counter(
            "serviceflow_escalations_total", "Escalation notifications carried out, by level.",
            ["policy", "rule", "level"], registry=self.registry,
        )  # fmt: skip
        self.warnings = Counter(
            "serviceflow_at_risk_warnings_total", "At-risk warnings to owners.", ["policy", "rule"],
            registry=self.registry,
        )  # fmt: skip
        self.actions = Counter(
            "serviceflow_actions_total", "Actions carried out, by type and outcome.",
            ["type", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.in_quarantine = Gauge(
            "serviceflow_quarantine_messages", "Messages in a helpdesk's quarantine at the last poll.",
            ["vendor", "account"], registry=self.registry,
        )  # fmt: skip
        self.quarantined = Counter(
            "serviceflow_quarantined_total", "Quarantined messages triaged, by verdict.",
            ["vendor", "verdict"], registry=self.registry,
        )  # fmt: skip
        self.left_quarantine = Counter(
            "serviceflow_quarantine_left_total",
            "Quarantined messages that left the queue: recovered, dismissed (by serviceflow) or left.",
            ["vendor", "how"], registry=self.registry,
        )  # fmt: skip
        self.review_breaches = Counter(
            "serviceflow_review_breaches_total", "Review cases of quarantined mail that breached a target.",
            ["rule"], registry=self.registry,
        )  # fmt: skip
        self.notifications = Counter(
            "serviceflow_notification_deliveries_total",
            "Notifications delivered through each channel (the helpdesk included), by outcome: "
            "delivered, skipped, refused, retryable (given up), retrying (an attempt to come), shadow.",
            ["channel", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.ticket_reads = Counter(
            "serviceflow_ticket_reads_total",
            "Full-ticket reads from the helpdesk (a case opening, an event lacking a field), by outcome.",
            ["vendor", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.rule_errors = Counter(
            "serviceflow_rule_errors_total", "CEL rule errors (the safe default was applied).",
            registry=self.registry,
        )  # fmt: skip

    def decided(self, before: CaseState | None, after: CaseState, errors: int) -> None:
        breached_before = {t.id for t in before.targets if t.breached_at} if before else set()
        for target in after.targets:
            if target.breached_at and target.id not in breached_before:
                self.breaches.labels(target.policy, target.name).inc()
                if after.ticket.kind is TicketKind.QUARANTINED:
                    self.review_breaches.labels(target.name).inc()
        if errors:
            self.rule_errors.inc(errors)

    def delivered(self, channel: str, outcome: str) -> None:
        """One delivery's outcome through one channel, by its first word (``done`` is delivered)."""
        word = outcome.split(":")[0][:40]
        self.notifications.labels(channel[:100], "delivered" if word == "done" else word).inc()

    def carried_out(self, action: Action, outcome: str) -> None:
        """One action's outcome; an escalation or warning counts as sent only when it was: written
        (``done``), would have been (``shadow``), or left to its other channels (not the
        helpdesk's). A retried attempt that finds it written (``skipped: already done``), a
        refusal and a gone ticket are no second or false escalation."""
        word = outcome.split(":")[0]
        self.actions.labels(action.type, word).inc()
        if word not in _SENT and outcome != NOT_FOR_THE_HELPDESK:
            return
        if isinstance(action, Notify) and action.escalation_level:
            self.escalations.labels(action.policy, action.rule, str(action.escalation_level)).inc()
        elif isinstance(action, Notify) and "/warn/" in action.key:
            self.warnings.labels(action.policy, action.rule).inc()
