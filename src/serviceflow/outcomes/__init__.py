"""Outcomes: what cases decided and did, derived from each decision, kept, tallied, reported."""

from serviceflow.outcomes.derive import derive
from serviceflow.outcomes.model import TARGET_KINDS, Outcome, OutcomeKind, decision_key
from serviceflow.outcomes.tally import Dimension, Distribution, Rate, Tally, dedupe, select, tally

__all__ = [
    "TARGET_KINDS",
    "Dimension",
    "Distribution",
    "Outcome",
    "OutcomeKind",
    "Rate",
    "Tally",
    "decision_key",
    "dedupe",
    "derive",
    "select",
    "tally",
]
