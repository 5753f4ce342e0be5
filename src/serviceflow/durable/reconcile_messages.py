"""What crosses the reconciler's workflow boundary: one model per input and output.

Pages of tickets never cross it (a page of the Zendesk export can hold 1,000 tickets, more than
a Temporal payload should): the activity that lists a page repairs it too, and hands the
workflow only the cursor to continue from and what it did.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from serviceflow.adapters.records import ChangeCursor
from serviceflow.durable.intervals import IntervalSeconds, LookbackSeconds, SettleSeconds

#: The most tickets a reconciler keeps to look at again (changed too recently to judge).
DEFERRED_LIMIT = 1_000


class ReconcileMessage(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReconcileStartInput(ReconcileMessage):
    """A reconciler's input as it decodes: :class:`ReconcileStart` without the bounds of its
    timing and of its deferred tickets, which the run checks (``intervals.checked_start``)."""

    vendor: str
    account: str
    interval_seconds: float = 300.0
    lookback_seconds: float = 86_400.0  # how far back the very first sweep looks
    settle_seconds: float = 60.0  # a change younger than this may still have its webhook coming
    cursor: ChangeCursor | None = None
    deferred: list[str] = Field(default_factory=list)
    totals: dict[str, int] = Field(default_factory=dict)  # repairs so far, by kind
    sweeps: int = 0
    sweeps_before_continue: int = 100


class ReconcileStart(ReconcileStartInput):
    """A reconciler's input: the account, its timing, and its progress carried over
    continue-as-new (the high-water mark, the tickets to look at again, the totals)."""

    interval_seconds: IntervalSeconds = 300.0
    lookback_seconds: LookbackSeconds = 86_400.0  # how far back the very first sweep looks
    settle_seconds: SettleSeconds = 60.0  # a change younger than this may still have its webhook coming
    deferred: list[str] = Field(default_factory=list, max_length=DEFERRED_LIMIT)


class SweepPage(ReconcileMessage):
    """List one page of changed tickets from ``cursor`` and repair each (``sweep_page``), or,
    with ``ticket_ids``, read those tickets again and repair them (``sweep_tickets``)."""

    vendor: str
    account: str
    cursor: ChangeCursor | None = None
    ticket_ids: list[str] = Field(default_factory=list, max_length=DEFERRED_LIMIT)
    settle_before: AwareDatetime  # a ticket changed after this is deferred, not judged


class SweepResult(ReconcileMessage):
    next: ChangeCursor | None = None
    more: bool = False
    repairs: dict[str, int] = Field(default_factory=dict)  # tickets by RepairKind
    events: int = 0  # events delivered
    deferred: list[str] = Field(default_factory=list)


class ReconcileProgress(ReconcileMessage):
    """What the ``progress`` query answers."""

    vendor: str
    account: str
    cursor: ChangeCursor | None
    sweeps: int
    deferred: int
    totals: dict[str, int]
