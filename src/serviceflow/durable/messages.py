"""What crosses the workflow boundary: one model per input and output, so fields can be added."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from serviceflow.durable.intervals import IntervalSeconds
from serviceflow.engine.inputs import EngineInput
from serviceflow.model import Action, CaseState, Decision, QuarantinedMessage, Ticket
from serviceflow.model.case import ActionRecord, DeliveryRecord


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class CaseStart(Message):
    """A case workflow's input: the state carried over a continue-as-new, and unhandled inputs."""

    state: CaseState | None = None
    pending: list[EngineInput] = []
    wake_at: AwareDatetime | None = None
    history_limit: int = 5_000  # events before continue-as-new, well below Temporal's limits


class Operation(Message):
    """A person's operation on a case: reassign the owner, record a promise, a remedy, ..."""

    input: EngineInput


class ActionRequest(Message):
    case_id: str
    vendor: str
    account: str
    ticket_id: str
    action: Action


class ActionResult(Message):
    key: str
    outcome: str  # "done", "skipped: already done", "ticket gone", "no plugin"


class DecideRequest(Message):
    state: CaseState | None
    input: EngineInput
    now: AwareDatetime
    failure: str | None = None  # set: every attempt failed so; answer with the fallback (fallback.py)
    # Record the decision's outcome rows in the activity (``outcomes-in-decide``): no local
    # activity of its own, no marker. A retried or re-run decide writes each row once (the
    # store is keyed by the rows' facts).
    record: bool = False
    # ``case-in-decide`` (durable/compact.py): the workflow keeps its state as the JSON the
    # engine's last answer gave it, never parsing it, and sends it here (``state`` None) with
    # the deliveries and action records it made since, for the activity to put into it; the
    # activity answers with ``state_json`` and the ``view`` the workflow reads.
    compact: bool = False
    state_json: str | None = None
    deliveries: list[DeliveryRecord] = []
    actions_done: list[ActionRecord] = []
    # How the full ticket was read for this input (``read``, ``failed: ...``) and what it still
    # lacked: the activity notes it in the state it answers with, as the workflow did before.
    read_outcome: str | None = None
    read_missing: list[str] = []
    # ``state-packed``: ``state_json`` is packed (compact.packed), and the answer's is to be too.
    # A local activity runs in the process of the workflow that asks it ("an Activity Execution
    # that executes in the same process as the Workflow Execution that spawns it",
    # https://docs.temporal.io/local-activity): a request and its answer are the same code's, and
    # a decision lost with an old worker is asked again by the new one's replay, as it asked.
    packed: bool = False
    # ``case-in-decide``: carry out the decision's first actions here, those the activity may
    # (activities.carried_here), once each, and answer with what they did in ``done``.
    act: bool = False


class CaseView(Message):
    """What the workflow reads of its case between decisions (``case-in-decide``)."""

    case_id: str
    vendor: str
    account: str
    ticket_id: str
    closed_at: AwareDatetime | None = None
    ticket_read: str | None = None
    details: str = ""  # the Temporal UI's current details (ui_text.current_details)
    wake_summary: str | None = None  # the next wake-up's timer summary (ui_text.timer_summary)

    @property
    def finished(self) -> bool:
        return self.closed_at is not None


class Ticketed(BaseModel):
    """The ticket of a case state's JSON (its other fields not read): what the case knows of
    it, to complete an event's ticket from (full_ticket.completed)."""

    ticket: Ticket


class DecideResult(Message):
    """The engine's answer, recorded in the history as the decide local activity's marker."""

    state: CaseState | None = None  # None: ``state_json`` and ``view`` (``case-in-decide``)
    actions: list[Action]
    wake_at: AwareDatetime | None
    # The decision made, if one was. Markers recorded before ``decided`` carry it here, a copy of
    # the state's last decision; the decide activity now leaves it out and says ``decided``.
    decision: Decision | None = None
    decided: bool = False  # a decision was made: it is ``state.decisions[-1]``
    # The activity recorded the decision's outcomes (asked with ``record``, and the worker has
    # the outcome store); False: the workflow records them with ``record_outcomes``, as before.
    recorded: bool = False
    # The actions to carry out are the decision's (``state.decisions[-1].actions``): the marker
    # carries them once, not twice; markers recorded before carry them in ``actions`` as well.
    decided_actions: bool = False
    # The state after the decision, as JSON (``case-in-decide``); packed if the request was.
    state_json: str | None = None
    view: CaseView | None = None  # what the workflow reads of it
    # What the activity did of ``actions``, in order (``case-in-decide``): the first
    # len(done) were carried out here; the workflow carries out the rest, as before.
    done: list[ActionResult] = []

    def made(self) -> Decision | None:
        """The decision made, whichever way the marker carries it; None: none was made (or
        the marker carries the state as JSON: see ``decided``)."""
        if self.decision is not None:
            return self.decision
        state = self.state
        return state.decisions[-1] if self.decided and state is not None and state.decisions else None

    def case(self) -> CaseState:
        """The state after the decision, as markers before ``case-in-decide`` carry it."""
        if self.state is None:
            raise ValueError("this answer carries the state as JSON")
        return self.state

    def to_do(self) -> list[Action]:
        """The actions to carry out, whichever way the marker carries them."""
        decision = self.made() if self.decided_actions else None
        return list(decision.actions) if decision is not None else self.actions


class TicketRead(Message):
    """Read the ticket from its helpdesk: the input of ``fetch_ticket``."""

    vendor: str
    account: str
    ticket_id: str


class TicketReadResult(Message):
    """The ticket as the helpdesk has it (None when it could not be read), and what happened:
    ``read``, ``read without: requester``, ``not offered: ...``, ``gone``, ``failed: ...``."""

    ticket: Ticket | None = None
    outcome: str


class CaseResult(Message):
    case_id: str
    closed_at: datetime | None


# -- the quarantine watcher ----------------------------------------------------------------------


class WatchStartInput(Message):
    """A quarantine watcher's input as it decodes: :class:`WatchStart` without the interval's
    bounds, which the run checks (``intervals.checked_start``)."""

    vendor: str
    account: str
    interval_seconds: float = 300.0
    known: dict[str, str] = {}  # message id -> verdict
    reviews: dict[str, QuarantinedMessage] = {}  # the messages under review, by id
    polls_before_continue: int = 200  # polls per run before continue-as-new


class WatchStart(WatchStartInput):
    """A quarantine watcher's input: the account, the poll interval, and what it already knows."""

    interval_seconds: IntervalSeconds = 300.0


class QuarantineListing(Message):
    messages: list[QuarantinedMessage]


class TriageRequest(Message):
    message: QuarantinedMessage
    now: AwareDatetime


class TriageResult(Message):
    verdict: str  # recover, review, ignore, dismiss
    policy: str
    rule: str
    reason: str
    errors: list[str] = []
    policy_version: str = ""


class QuarantineAct(Message):
    """Carry out a triage verdict on one message (recover, review, dismiss), or close its review."""

    message: QuarantinedMessage
    verdict: str
    rule: str = ""
    reason: str = ""
    time: AwareDatetime | None = None  # when the watcher saw it leave the queue


class QuarantineOutcome(Message):
    outcome: str  # "recovered as 123", "review case ...", "dismissed", "gone"
    case_id: str | None = None
