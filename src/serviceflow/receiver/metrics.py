"""The receiver's Prometheus metrics, in a registry of their own (one per app).

Every label value is bounded: the vendor is one of the installed vendors or ``unknown`` (a URL is
anyone's to choose, so a label taken from it would let any client grow the process and
``/metrics`` without end), and a refusal reason is a short snake_case word, at most
:data:`MAX_REASONS` of them per vendor, or ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

M = TypeVar("M", bound=MetricWrapperBase)

UNKNOWN_VENDOR = "unknown"
OTHER_REASON = "other"
MAX_REASONS = 32  # distinct reasons per vendor; the receiver and plugins use about a dozen
_REASON = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass
class ReceiverMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _reasons: dict[str, set[str]] = field(default_factory=dict)
    _children: dict[tuple[int, str], Any] = field(default_factory=dict)

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

    def of(self, metric: M, vendor_label: str) -> M:
        """``metric.labels(vendor_label)`` of one of these metrics, kept: every delivery touches
        three (the vendor label is bounded, so is this)."""
        key = (id(metric), vendor_label)
        child: M | None = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(vendor_label)
        return child

    @staticmethod
    def vendor_label(vendor: str, installed: Collection[str]) -> str:
        """The vendor as a label: an installed vendor's name, else ``unknown``."""
        return vendor if vendor in installed else UNKNOWN_VENDOR

    def reason_label(self, vendor_label: str, reason: str) -> str:
        """The reason as a label: a short snake_case word seen before or within the bound."""
        seen = self._reasons.setdefault(vendor_label, set())
        if reason in seen:
            return reason
        if not _REASON.fullmatch(reason) or len(seen) >= MAX_REASONS:
            return OTHER_REASON
        seen.add(reason)
        return reason

    def refused(self, vendor_label: str, reason: str) -> str:
        """Count one refusal; returns the reason label used."""
        label = self.reason_label(vendor_label, reason)
        self.rejected.labels(vendor_label, label).inc()
        return label
