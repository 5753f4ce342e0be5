"""Activities: the engine's decision (a local activity, so each one is in the history with the
policy version it used; it also records the decision's outcomes when the workflow asks), and
carrying out actions through the helpdesks' adapters."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from serviceflow.adapters.registry import registry
from serviceflow.durable.compact import compacted, expanded
from serviceflow.durable.fallback import fall_back
from serviceflow.durable.full_ticket import ticket_of
from serviceflow.durable.live_roster import LiveRoster
from serviceflow.durable.messages import (
    ActionRequest,
    ActionResult,
    DecideRequest,
    DecideResult,
    TicketRead,
    TicketReadResult,
)
from serviceflow.durable.metrics import NOT_FOR_THE_HELPDESK, WorkerMetrics
from serviceflow.durable.notifier import NotificationFailed, Notifier
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.requester_cases import open_cases_of
from serviceflow.durable.settings import Mode
from serviceflow.durable.shadow import would_have
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.offloop import decide_off_loop
from serviceflow.errors import NotSupported, ServiceflowError, TicketGone
from serviceflow.model import (
    HELPDESK_CHANNEL,
    QUARANTINE_PREFIX,
    Action,
    AssignOwner,
    CaseState,
    Decision,
    LinkCase,
    Notify,
    Roster,
)
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.recording import record_request

log = logging.getLogger(__name__)

#: How long the decide activity waits on the outcome store (its retries included), well within
#: the decision's own timeout (case_options.DECIDE_TIMEOUT, 30 s); past it, the workflow records the
#: rows with the record_outcomes local activity (the store keeps each row once).
RECORD_IN_DECIDE_SECONDS = 10.0
#: How long into the decide activity an action may still be started there (``case-in-decide``),
#: counted from the activity's start (the open-case lookup, the engine and the recording
#: included): past it, or on an action's first failure, the activity answers and the workflow
#: carries out the rest through ``carry_out``, with that activity's retries.
ACT_IN_DECIDE_SECONDS = 10.0
#: An action started there runs to its end (the adapter's own timeouts and retries bound it); it
#: is cut only this long before the activity's own start-to-close timeout would cut it anyway, so
#: a write is never cancelled in flight for the sake of the budget above. A cut write may have
#: reached the helpdesk: the adapter's next attempt (carry_out) reads for the action's key first.
ACT_MARGIN_SECONDS = 2.0
#: The decide activity's start-to-close timeout when the activity's info does not give one.
DECIDE_SECONDS = 30.0


def carried_here(action: Action) -> bool:
    """An action the decide activity may carry out itself: one that is carry_out's alone (not a
    LinkCase, which signals another case; a Notify only if the helpdesk is among its channels:
    the workflow delivers to the others)."""
    if isinstance(action, LinkCase):
        return False
    return not isinstance(action, Notify) or HELPDESK_CHANNEL in action.channels


class CaseActivities:
    """The worker's activities, with what they need injected (the policy store, the roster)."""

    def __init__(
        self,
        store: PolicyStore,
        roster: Roster | None = None,
        client: Client | None = None,
        notifier: Notifier | None = None,
        mode: Callable[[], Mode] = lambda: Mode.LIVE,
    ) -> None:
        """``client`` lets a new case find the requester's open cases (repeat contacts);
        ``notifier`` delivers the notifications of review cases, which have no ticket;
        ``mode`` is read as each action runs (shadow: nothing reaches the helpdesk)."""
        self.store = store
        self.live = LiveRoster(roster)
        self.client = client
        self.notifier = notifier or Notifier()
        self.metrics = WorkerMetrics()
        self.mode = mode
        # The outcome store's recording, for decisions the workflow asks to record here
        # (registration.worker_activities sets it); None: they are recorded by record_outcomes.
        self.outcomes: OutcomeActivities | None = None

    @property
    def roster(self) -> Roster:
        """The roster with each agent's load as this worker has seen it."""
        return self.live.current()

    @roster.setter
    def roster(self, roster: Roster) -> None:
        self.live.base = roster

    @activity.defn(name="decide")
    async def decide(self, request: DecideRequest) -> DecideResult:
        """Run the engine. Deterministic given its input; recorded in the workflow's history.
        A workflow that keeps its state as JSON (``compact``) sends it so and is answered so
        (durable/compact.py); one that keeps it as models is answered as it always was."""
        if not request.compact:
            return await self._decide(request)
        began = time.monotonic()
        result = await self._decide(expanded(request))
        # Not a fallback's actions, nor those of a decision the outcome store did not take here:
        # the workflow records those first (record_outcomes), then carries them out, as before.
        acted = request.act and request.failure is None and result.recorded
        return compacted(
            result, request, await self._act(result.case(), result.to_do(), began) if acted else []
        )

    async def _act(self, case: CaseState, actions: list[Action], began: float) -> list[ActionResult]:
        """Carry out the first of ``actions`` that may be carried out here, each once, in order,
        each started within ACT_IN_DECIDE_SECONDS of the activity's start (``began``, monotonic);
        stops at one that may not, fails, or would start too late (the workflow carries out the
        rest). A decide attempt that fails after this repeats them, as a carry_out attempt lost
        after its action does: the adapters read for an action's key before they write it."""
        done: list[ActionResult] = []
        start_by = began + ACT_IN_DECIDE_SECONDS
        cut_at = began + _start_to_close() - ACT_MARGIN_SECONDS
        for action in actions:
            if not carried_here(action) or time.monotonic() >= start_by:
                break
            request = ActionRequest(
                case_id=case.case_id, vendor=case.ticket.vendor, account=case.ticket.account,
                ticket_id=case.ticket.id, action=action,
            )  # fmt: skip
            try:
                result = await asyncio.wait_for(self.carry_out(request), max(cut_at - time.monotonic(), 0.0))
            except (ServiceflowError, TimeoutError) as exc:  # retryable, or the activity's end near
                reason = str(exc) or type(exc).__name__
                log.info("%s %s left to the workflow: %s", action.type, action.key, reason)
                break
            except Exception:  # a defect, not the helpdesk: logged whole; carry_out tries again
                log.exception(
                    "%s %s failed in the decide activity; left to the workflow", action.type, action.key
                )
                break
            done.append(result)
            if result.outcome == "ticket gone":
                break
        return done

    async def _decide(self, request: DecideRequest) -> DecideResult:
        rules = self.store.current()
        if request.failure is not None:  # the engine failed on this input every time it was tried
            log.error("case decision failed, applying the fallback: %s", request.failure)
            result = fall_back(request, rules, self.roster)
            made = result.made()
            if made is None or not await self._record(request, result.case(), made):
                return result
            return result.model_copy(update={"recorded": True})
        open_cases: tuple[CaseState, ...] = ()
        if self.client is not None and request.state is None and isinstance(request.input, EventInput):
            try:
                open_cases = tuple(await open_cases_of(self.client, request.input.event.ticket))
            except RPCError as exc:  # no search attribute, or visibility down: decide without
                log.warning("could not look up the requester's open cases: %s", exc)
        context = Context(roster=self.roster, open_cases=open_cases)
        outcome = await decide_off_loop(request.state, request.input, request.now, rules, context)
        errors = len(outcome.decision.errors) if outcome.decision else 0
        self.metrics.decided(request.state, outcome.state, errors)
        self.live.observe(request.state, outcome.state)
        recorded = outcome.decision is not None and await self._record(
            request, outcome.state, outcome.decision
        )
        # The decision is the state's last (engine/run.py), and its actions are those to carry
        # out: the marker carries each once, not twice.
        decided_actions = outcome.decision is not None and tuple(outcome.actions) == outcome.decision.actions
        return DecideResult(
            state=outcome.state,
            actions=[] if decided_actions else list(outcome.actions),
            wake_at=outcome.wake_at,
            decided=outcome.decision is not None,
            recorded=recorded,
            decided_actions=decided_actions,
        )

    async def _record(self, request: DecideRequest, after: CaseState, decision: Decision) -> bool:
        """Record the decision's outcome rows when the workflow asks and this worker has the
        store; whether it did (a store failure is logged and counted there: the case goes on)."""
        if not request.record or self.outcomes is None or self.outcomes.failing_since is not None:
            return False  # a failing or slow store is tried apart (record_outcomes), never here
        record = self.outcomes.record(record_request(request.state, request.input, after, decision))
        try:
            await asyncio.wait_for(record, RECORD_IN_DECIDE_SECONDS)
        except TimeoutError:  # a slow store must not time the decision out (a fallback decision)
            # Failing from now on: decisions stop waiting on it here until a write succeeds
            # (record_outcomes, which the workflow calls for this decision, tries it once).
            self.outcomes.slow()
            log.warning("the outcome store is slow; the decision at %s records apart", decision.time)
            return False
        except Exception:  # never the decision's failure: record_outcomes tries (and logs) it again
            log.exception("could not record the outcomes of the decision at %s here", decision.time)
            return False
        return True

    @activity.defn(name="fetch_ticket")
    async def fetch_ticket(self, request: TicketRead) -> TicketReadResult:
        """The ticket with its people, as the helpdesk has it now (a read: in shadow mode too).

        Raises:
            ServiceflowError: a retryable failure (429, 5xx, network), for the retry policy.
        """
        try:
            result = await self._fetch(request)
        except ServiceflowError as exc:
            self.metrics.ticket_reads.labels(request.vendor[:50], "retrying").inc()
            log.warning("could not read ticket %s yet: %s", request.ticket_id, exc)
            raise
        self.metrics.ticket_reads.labels(request.vendor[:50], result.outcome.split(":")[0]).inc()
        return result

    async def _fetch(self, request: TicketRead) -> TicketReadResult:
        adapter = registry().get(request.vendor)
        if adapter is None:
            return TicketReadResult(outcome=f"not offered: no plugin for vendor {request.vendor!r}")
        try:
            record = await adapter.fetch_ticket(request.account, request.ticket_id)
        except TicketGone:
            return TicketReadResult(outcome="gone")
        except NotSupported as exc:
            return TicketReadResult(outcome=f"not offered: {exc}")
        except ServiceflowError as exc:
            if getattr(exc, "retryable", False):
                raise
            return TicketReadResult(outcome=f"failed: {exc}")
        outcome = "read" if not record.missing else f"read without: {', '.join(record.missing)}"
        return TicketReadResult(ticket=ticket_of(record), outcome=outcome[:500])

    @activity.defn(name="carry_out")
    async def carry_out(self, request: ActionRequest) -> ActionResult:
        """Apply one action through the adapter of the ticket's helpdesk."""
        action = request.action
        if isinstance(action, Notify) and HELPDESK_CHANNEL not in action.channels:
            # Its channels are others (the workflow delivers through them): not the helpdesk's.
            return ActionResult(key=action.key, outcome=NOT_FOR_THE_HELPDESK)
        if self.mode() is Mode.SHADOW:
            result = ActionResult(key=action.key, outcome=would_have(action))
            log.info("%s %s on %s", result.outcome, action.key, request.case_id)
        else:
            result = await self._carry_out(request)
        self.metrics.carried_out(action, result.outcome)
        if isinstance(action, Notify):
            self.metrics.delivered(HELPDESK_CHANNEL, result.outcome)
        return result

    async def _carry_out(self, request: ActionRequest) -> ActionResult:
        if request.ticket_id.startswith(QUARANTINE_PREFIX):
            return await self._on_review_case(request)
        adapter = registry().get(request.vendor)
        if adapter is None:
            log.warning(
                "no plugin carries out actions for vendor %r; %s %s not applied",
                request.vendor,
                request.action.type,
                request.action.key,
            )
            return ActionResult(key=request.action.key, outcome="no plugin")
        try:
            outcome = await adapter.apply_action(request.account, request.ticket_id, request.action)
        except TicketGone:
            return ActionResult(key=request.action.key, outcome="ticket gone")
        except ServiceflowError as exc:
            if getattr(exc, "retryable", False):
                raise  # rate limits, 5xx, network: the activity's retry policy takes it
            # A refusal that no retry can fix (an unknown agent id, a 422): record it and go on.
            log.error("action %s %s failed: %s", request.action.type, request.action.key, exc)
            return ActionResult(key=request.action.key, outcome=f"failed: {exc}")
        return ActionResult(key=request.action.key, outcome=str(outcome))

    async def _on_review_case(self, request: ActionRequest) -> ActionResult:
        """A review case's message is not a ticket yet: serviceflow keeps its owner, and its
        warnings and escalations go to the notifier's channels instead of an internal note,
        naming people as the roster knows them."""
        action = request.action
        if isinstance(action, Notify):
            try:
                outcome = await self.notifier.send(request.case_id, action, self.roster)
            except NotificationFailed as exc:
                if exc.retryable:
                    raise
                return ActionResult(key=action.key, outcome=f"failed: {exc}")
            return ActionResult(key=action.key, outcome=outcome)
        if isinstance(action, AssignOwner):
            return ActionResult(key=action.key, outcome="done: the owner is kept in serviceflow")
        return ActionResult(key=action.key, outcome=f"skipped: {action.type} needs a ticket")


def _start_to_close() -> float:
    """Seconds the running activity has from its start (its start-to-close timeout)."""
    try:
        timeout = activity.info().start_to_close_timeout
    except RuntimeError:  # called outside an activity (a test calling the method directly)
        timeout = None
    return timeout.total_seconds() if timeout else DECIDE_SECONDS
