"""The worker's escalation and warning counters count what was sent, once: a retried decide
that finds its note written already (``skipped: already done``) is no second escalation, and a
refusal is none at all."""

from __future__ import annotations

import pytest

from serviceflow.durable.metrics import NOT_FOR_THE_HELPDESK, WorkerMetrics
from serviceflow.durable.shadow import would_have
from serviceflow.model import Notify

ESCALATION = Notify(
    key="c/esc/1", reason="breach", policy="standard", rule="refund", recipients=("group:leads",),
    subject="s", body="b", escalation_level=1,
)  # fmt: skip
WARNING = ESCALATION.model_copy(update={"key": "standard/refund/warn/1", "escalation_level": None})


def counted(metrics: WorkerMetrics) -> tuple[float, float]:
    sample = metrics.registry.get_sample_value
    escalations = sample(
        "serviceflow_escalations_total", {"policy": "standard", "rule": "refund", "level": "1"}
    )
    warnings = sample("serviceflow_at_risk_warnings_total", {"policy": "standard", "rule": "refund"})
    return escalations or 0.0, warnings or 0.0


@pytest.mark.parametrize(
    ("outcomes", "sent"),
    [
        (["done"], 1),
        (["done", "skipped: already done"], 1),  # the decide retried after it acted
        (["done: not emailed by Freshdesk (no Freshdesk agent): ann"], 1),
        ([would_have(ESCALATION)], 1),  # shadow mode: what would have been sent
        ([NOT_FOR_THE_HELPDESK], 1),  # its channels are others; the workflow delivers it
        (["failed: 422 unknown group"], 0),
        (["ticket gone"], 0),
        (["no plugin"], 0),
    ],
)
def test_an_escalation_and_a_warning_count_once_when_sent(outcomes: list[str], sent: int) -> None:
    metrics = WorkerMetrics()
    for outcome in outcomes:
        metrics.carried_out(ESCALATION, outcome)
        metrics.carried_out(WARNING, outcome)
    assert counted(metrics) == (sent, sent)
    words = {o.split(":")[0] for o in outcomes}
    for word in words:  # every attempt is still an action by its outcome
        n = sum(o.split(":")[0] == word for o in outcomes)
        assert (
            metrics.registry.get_sample_value(
                "serviceflow_actions_total", {"type": "notify", "outcome": word}
            )
            == 2 * n
        )
