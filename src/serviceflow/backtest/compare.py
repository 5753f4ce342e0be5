"""``--against``: two policy sets over the same history, and the tickets whose outcome differs.

A ticket's outcome is what its outcome rows say happened to it, in words: each target met,
met late or breached, each promise kept or missed, the warnings and escalation levels sent and
the repeat contacts joined. Two policy sets differ on a ticket when those words differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from serviceflow.backtest.report import Line, Report
from serviceflow.outcomes.model import Outcome, OutcomeKind

_WORDS = {
    OutcomeKind.TARGET_MET: "met",
    OutcomeKind.TARGET_MET_LATE: "met late",
    OutcomeKind.TARGET_BREACHED: "breached",
    OutcomeKind.PROMISE_KEPT: "kept",
    OutcomeKind.PROMISE_MISSED: "missed",
    OutcomeKind.WARNING_SENT: "warned",
}


class TicketDifference(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    ticket_id: str
    policies: tuple[str, ...]
    against: tuple[str, ...]


class Comparison(BaseModel):
    """The two reports, and every ticket whose outcome differs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policies: Report
    against: Report
    differences: tuple[TicketDifference, ...]


def outcome_words(rows: Iterable[Outcome]) -> dict[str, tuple[str, ...]]:
    """Per case id, what happened to it, sorted."""
    words: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        name = f"{row.policy}/{row.target}" if row.target else (row.policy or "")
        if row.kind in _WORDS:
            words[row.case_id].add(f"{name} {_WORDS[row.kind]}")
        elif row.kind is OutcomeKind.ESCALATION:
            words[row.case_id].add(f"{name} escalated to level {row.level}")
        elif row.kind is OutcomeKind.REPEAT_CONTACT:
            words[row.case_id].add(f"joined {row.detail}")
        else:
            words.setdefault(row.case_id, set())
    return {case: tuple(sorted(found)) for case, found in words.items()}


def compare(
    policies: Report, policy_rows: Iterable[Outcome], against: Report, against_rows: Iterable[Outcome]
) -> Comparison:
    first, second = outcome_words(policy_rows), outcome_words(against_rows)
    differences = [
        TicketDifference(
            case_id=case,
            ticket_id=case.rsplit(":", 1)[-1],
            policies=first.get(case, ()),
            against=second.get(case, ()),
        )
        for case in sorted(set(first) | set(second), key=_natural)
        if first.get(case, ()) != second.get(case, ())
    ]
    return Comparison(policies=policies, against=against, differences=tuple(differences))


def _natural(case_id: str) -> tuple[str, int, str]:
    head, _, tail = case_id.rpartition(":")
    return (head, int(tail), "") if tail.isdigit() else (head, 0, tail)


def paired(policies: Report, against: Report) -> list[tuple[Line | None, Line | None]]:
    """The two reports' lines side by side, matched by dimension and name."""
    keyed = {(line.dimension, line.name): line for line in against.lines}
    pairs: list[tuple[Line | None, Line | None]] = []
    for line in policies.lines:
        pairs.append((line, keyed.pop((line.dimension, line.name), None)))
    pairs.extend((None, line) for line in keyed.values())
    return pairs
