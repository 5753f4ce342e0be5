"""The receiver's Prometheus metrics, in a registry of their own (one per app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class ReceiverMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.received = Counter(
            "serviceflow_webhook_deliveries_total", "Webhook deliveries received.", ["vendor"],
            registry=self.registry,
        )  # fmt: skip
        self.rejected = Counter(
            "serviceflow_webhook_rejected_total", "Deliveries refused, by reason.",
            ["vendor", "reason"], registry=self.registry,
        )  # fmt: skip
        self.signalled = Counter(
            "serviceflow_events_signalled_total", "Ticket events signalled to their cases.",
            ["vendor"], registry=self.registry,
        )  # fmt: skip
        self.duplicates = Counter(
            "serviceflow_events_duplicate_total", "Events already taken, accepted and ignored.",
            ["vendor"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "serviceflow_webhook_seconds", "From delivery received to answer sent.", ["vendor"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
