"""Outcomes: what cases decided and did, one row per thing that happened, for reports and backtests.

A row is a fact that happened once in a case's life: a target instance met or breached, an at-risk
warning sent, an escalation level fired, a promise kept or missed, a repeat contact joined, a
quarantined message reviewed in time or late, the first human response, the resolution, an action
carried out (or, in shadow mode, one that would have been). Its ``key`` names that fact, so a row
derived twice (a retried activity, a replayed decision) is the same row and is stored once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class OutcomeKind(StrEnum):
    """What happened."""

    TARGET_MET = "target_met"  # a target instance met before its due time
    TARGET_MET_LATE = "target_met_late"  # met after it had breached
    TARGET_BREACHED = "target_breached"  # its due time passed unmet
    WARNING_SENT = "warning_sent"  # the at-risk warning to the owner
    ESCALATION = "escalation"  # one level of a breached target's ladder (``level``)
    PROMISE_KEPT = "promise_kept"
    PROMISE_MISSED = "promise_missed"
    REPEAT_CONTACT = "repeat_contact"  # another ticket joined the case (``detail``: its key)
    QUARANTINE_REVIEWED = "quarantine_reviewed"  # a review case's target met in time
    QUARANTINE_REVIEWED_LATE = "quarantine_reviewed_late"  # ... after it breached
    FIRST_RESPONSE = "first_response"  # the first reply by a person on our side
    RESOLVED = "resolved"  # the ticket first became solved or closed
    ACTION_DONE = "action_done"  # an action the case carried out (``detail``: its type)
    ACTION_WOULD_HAVE = "action_would_have"  # shadow mode: decided, not carried out


#: The kinds that settle a target instance, for breach rates.
TARGET_KINDS = frozenset({OutcomeKind.TARGET_MET, OutcomeKind.TARGET_MET_LATE, OutcomeKind.TARGET_BREACHED})


class Outcome(BaseModel):
    """One outcome row.

    ``at`` is when it happened; ``started_at`` when what it measures began (the target's start,
    the case's opening), so ``seconds`` is the time it took; ``due_at`` the deadline, for targets.
    ``team`` is the ticket's group and ``agent`` who was responsible (the target's assignee on a
    handoff, else the case owner), both as at the decision; their names are the roster's then
    (the worker adds them: reports name people, not ids).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(max_length=1_000, description="Names the fact: unique across the store.")
    decision: str = Field(max_length=1_000, description="The decision that found it: case@time/input.")
    case_id: str
    vendor: str
    account: str
    ticket_id: str
    policy: str | None = None
    target: str | None = Field(default=None, description="The rule's name: target, promise, stage.")
    target_id: str | None = Field(default=None, description="The target instance (cycle) in the case.")
    team: str | None = None
    agent: str | None = None
    team_name: str | None = Field(default=None, description="The team as the roster names it.")
    agent_name: str | None = Field(default=None, description="The agent as the roster names them.")
    kind: OutcomeKind
    level: int | None = Field(default=None, description="The escalation level, for escalations.")
    at: AwareDatetime
    started_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    would_have: bool = Field(default=False, description="Recorded in shadow mode: nothing was done.")
    detail: str = ""
    policy_version: str = ""

    @property
    def seconds(self) -> float | None:
        """How long it took from ``started_at`` to ``at``, when it has a start."""
        if self.started_at is None:
            return None
        return (self.at - self.started_at).total_seconds()


def decision_key(case_id: str, time: datetime, label: str) -> str:
    """The key of one decision: its case, its time and its input."""
    return f"{case_id}@{time.isoformat()}/{label}"[:1_000]
