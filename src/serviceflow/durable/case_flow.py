"""What CaseWorkflow (workflows.py) does: one durable workflow per ticket, from first contact to
closure. Workflow code, run by the workflow's sandbox as a passed-through module: the sandbox
makes a fresh copy of the workflow's own module for every case it runs, so that module is kept to
its decorated methods, each a call into :class:`CaseFlow` here, made and kept once per worker.
The code here must be as deterministic as any workflow code (the sandbox's restrictions do not
reach into a passed-through module): it reads time, randomness and the world only through
``temporalio.workflow`` and activities.

It keeps the case state, waits for the next input (a ticket event signalled to it, a person's
operation) or the engine's next wake-up (a durable timer), asks the engine to decide (a local
activity, so the decision and the policy version it used are in the history and replay never
re-evaluates a rule), and carries out the actions through activities. Continue-as-new keeps the
history bounded on long-lived tickets.

Its changes are asked with ``workflow.patched()`` once, first thing in a run: see case_options.py.
Since ``own-events-only`` an event of another ticket is logged and ignored where it leaves the
inbox (own_events.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from serviceflow.durable import case_options as options
from serviceflow.durable.case_calls import carry_out_locally
from serviceflow.durable.case_local import engine_decision, read_ticket
from serviceflow.durable.compact import (
    CASE_IN_DECIDE,
    as_json,
    kept,
    merged,
    parsed,
    view_of,
    with_read,
)
from serviceflow.durable.full_ticket import MAX_READS, completed, lacking
from serviceflow.durable.messages import (
    ActionRequest,
    ActionResult,
    CaseResult,
    CaseStart,
    CaseView,
    DecideRequest,
    DecideResult,
    Operation,
    Ticketed,
)
from serviceflow.durable.notifier import DeliveryRequest, deliver_all
from serviceflow.durable.notify_channels import delivery_requests, helpdesk_record, records_of
from serviceflow.durable.own_events import ignored
from serviceflow.durable.ui_text import current_details, timer_summary
from serviceflow.engine.inputs import EngineInput, EventInput, LinkContact, WakeUp
from serviceflow.model import HELPDESK_CHANNEL, CaseState, LinkCase, Notify, TicketEvent
from serviceflow.model.case import MAX_DELIVERIES, ActionRecord, DeliveryRecord
from serviceflow.outcomes.recording import OUTCOMES_IN_DECIDE, RECORD_OUTCOMES, record_decision


class CaseFlow:
    """The case workflow's state and steps; CaseWorkflow's decorated methods call these."""

    def __init__(self, start: CaseStart | None = None) -> None:
        # A run a continue-as-new started carries the case: the SDK validates its first
        # activation's updates before _run takes the state over (@workflow.init gives ``start``).
        self.carried = start is not None and (start.state is not None or bool(start.pending))
        self.state: CaseState | None = None
        self.inbox: list[EngineInput] = []
        self.wake_at: datetime | None = None
        # Deliveries are recorded here as they finish (while the case goes on deciding), and
        # put into the state on every read of it: see _current().
        self.deliveries: list[DeliveryRecord] = []
        self.done: list[ActionRecord] = []  # likewise, what each action did
        self.sending = 0
        self.reads = 0  # failed reads of the full ticket in this run
        self.at_start = False  # the run asked its changes up front (options.AT_RUN_START)
        self.record_in_decide = False  # the decide activity records outcomes (OUTCOMES_IN_DECIDE)
        # CASE_IN_DECIDE (compact.py): the state kept as JSON (``state`` stays None) and the
        # workflow reads ``view``; runs before the change keep ``state`` as they did.
        self.in_decide = False
        self.state_json: str | None = None
        self.view: CaseView | None = None
        self.packed = False  # options.STATE_PACKED: ``state_json`` is packed (compact.packed)
        # options.OWN_EVENTS_ONLY: an event of another ticket is logged and ignored (own_events.py)
        self.own_only = False

    async def _run(self, start: CaseStart) -> CaseResult:
        # First, before any await (see the module), the newest change first: it implies the older.
        self.own_only = workflow.patched(options.OWN_EVENTS_ONLY)
        self.packed = self.own_only or workflow.patched(options.STATE_PACKED)
        carried_first = self.packed or workflow.patched(options.CARRIED_FIRST)
        self.in_decide = carried_first or workflow.patched(CASE_IN_DECIDE)
        self.record_in_decide = self.in_decide or workflow.patched(OUTCOMES_IN_DECIDE)
        self.at_start = self.record_in_decide or workflow.patched(options.AT_RUN_START)
        if self.in_decide and start.state is not None:  # carried over a continue-as-new
            self.state_json = kept(start.state.model_dump_json(), self.packed)
            self.view = view_of(start.state, start.wake_at)
        elif not self.in_decide:
            self.state = start.state
        self.deliveries = list(start.state.deliveries) if start.state else []
        self.done = list(start.state.actions_done) if start.state else []
        if carried_first:  # before what this run's first activation brought (options.CARRIED_FIRST)
            self.inbox[:0] = start.pending
        else:
            self.inbox.extend(start.pending)
        self.wake_at = start.wake_at
        while True:
            engine_input = await self._next_input()
            case: CaseView | CaseState | None = self.view  # None before the case's first decision
            if self.own_only and case is not None and ignored(engine_input, case.case_id):
                gone = False
            else:
                case, gone = await self._take(engine_input)
            if case is not None and (gone or (case.finished and not self.inbox)):
                await workflow.wait_condition(lambda: self.sending == 0)  # deliveries under way end
                return CaseResult(case_id=case.case_id, closed_at=case.closed_at)
            info = workflow.info()
            if info.is_continue_as_new_suggested() or info.get_current_history_length() > start.history_limit:
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self.sending == 0)
                workflow.continue_as_new(
                    CaseStart(
                        state=self._current(),
                        pending=list(self.inbox),
                        wake_at=self.wake_at,
                        history_limit=start.history_limit,
                    )
                )

    async def _take(self, engine_input: EngineInput) -> tuple[CaseView | CaseState, bool]:
        """Decide an input and carry out the decision's actions: the case after it, and whether
        its ticket is gone."""
        read: tuple[str, tuple[str, ...]] | None = None
        if isinstance(engine_input, EventInput) and self._patched(options.FULL_TICKET):
            engine_input, read = await self._complete(engine_input)
        asked = self._request(engine_input, read)
        result = await engine_decision(asked, self._patched(options.BOUNDED_DECIDE))
        if self.in_decide:
            await self._took(result, engine_input)
        else:  # runs before CASE_IN_DECIDE, as they ran
            decision = result.made()
            # The outcome store: recorded by the decide activity, else (the last resort, a
            # worker without the store, a run before OUTCOMES_IN_DECIDE) by a local activity.
            if decision is not None and not result.recorded and self._patched(RECORD_OUTCOMES):
                await record_decision(self.state, engine_input, result.case(), decision)
            self.state, self.wake_at = result.case(), result.wake_at
            if read is not None:
                self.state = with_read(self.state, *read)
            workflow.set_current_details(current_details(self.state, self.wake_at))
        case = self._case()
        done = result.done if self.in_decide else []  # what the decide activity did, in order
        for number, action in enumerate(result.to_do()):
            here = done[number] if number < len(done) else None
            if isinstance(action, LinkCase):
                # A repeat contact joined another case: tell that case, not the helpdesk.
                await workflow.get_external_workflow_handle(action.case_id).signal(
                    "link", LinkContact(ticket_key=action.ticket_key, time=workflow.now())
                )
                continue
            request = ActionRequest(case_id=case.case_id, **self._where(case), action=action)
            if isinstance(action, Notify) and self._patched(options.NOTIFY_CHANNELS):
                if await self._notify(request, action, here) == "ticket gone":
                    return case, True
                continue
            if here is not None:
                outcome = here
            elif self._patched(options.LOCAL_ACTIONS):
                # A local activity: its result is recorded with the workflow task, with no
                # round trip through the server's task queues (the server was the bottleneck).
                outcome = await carry_out_locally(request, action)
            else:  # cases started before the change replay as they ran
                outcome = await workflow.execute_activity(
                    "carry_out",
                    request,
                    result_type=ActionResult,
                    start_to_close_timeout=options.ACTION_TIMEOUT,
                    retry_policy=options.ACTION_RETRY,
                )
            self._did(action.key, action.type, outcome.outcome)
            if outcome.outcome == "ticket gone":
                return case, True
        return case, False

    def _request(self, engine_input: EngineInput, read: tuple[str, tuple[str, ...]] | None) -> DecideRequest:
        """The decision's request: with the state as JSON, the records made since and the read's
        outcome (CASE_IN_DECIDE); else with the state, as runs before the change sent it."""
        if not self.in_decide:
            return DecideRequest(
                state=self._current(), input=engine_input, now=workflow.now(), record=self.record_in_decide
            )
        return DecideRequest(
            state=None,
            input=engine_input,
            now=workflow.now(),
            record=True,
            compact=True,
            act=self.in_decide,
            state_json=self.state_json,
            packed=self.packed,
            deliveries=self.deliveries[-MAX_DELIVERIES:],
            actions_done=self.done[-MAX_DELIVERIES:],
            read_outcome=read[0] if read is not None else None,
            read_missing=list(read[1]) if read is not None else [],
        )

    async def _took(self, result: DecideResult, engine_input: EngineInput) -> None:
        """Keep a decision's answer (CASE_IN_DECIDE); record its outcomes if the activity did not
        (the last resort, a worker without the store): the one path that parses the states."""
        if result.decided and not result.recorded and result.state_json is not None:
            after = CaseState.model_validate_json(self._json(result.state_json) or "")
            decision = after.decisions[-1] if after.decisions else None
            await record_decision(parsed(self._json(self.state_json)), engine_input, after, decision)
        self.state_json, self.view, self.wake_at = result.state_json, result.view, result.wake_at
        if self.view is not None:
            workflow.set_current_details(self.view.details)

    @staticmethod
    def _where(case: CaseView | CaseState) -> dict[str, str]:
        """The ticket an action is for."""
        if isinstance(case, CaseView):
            return {"vendor": case.vendor, "account": case.account, "ticket_id": case.ticket_id}
        return {"vendor": case.ticket.vendor, "account": case.ticket.account, "ticket_id": case.ticket.id}

    def _case(self) -> CaseView | CaseState:
        """What the workflow reads of its case after a decision: the view, or the state."""
        case = self.view if self.in_decide else self.state
        if case is None:
            raise ApplicationError("the decision answered without the case")
        return case

    async def _complete(
        self, engine_input: EventInput
    ) -> tuple[EventInput, tuple[str, tuple[str, ...]] | None]:
        """The event with its ticket completed: from what the case knows, else (once per case,
        or again after a failed read) from the helpdesk. Also what the read did, if one was made,
        and what the ticket still lacks."""
        ticket = engine_input.event.ticket
        if self.in_decide:  # the ticket from the state's JSON, the rest of it unread
            text = self._json(self.state_json)
            known = Ticketed.model_validate_json(text).ticket if text else None
            status = self.view.ticket_read if self.view is not None else None
        else:
            known = self.state.ticket if self.state is not None else None
            status = self.state.ticket_read if self.state is not None else None
        ticket = completed(ticket, known)
        missing = lacking(ticket)
        read = None
        if missing and (status is None or (status.startswith("failed") and self.reads < MAX_READS)):
            outcome = await read_ticket(ticket.vendor, ticket.account, ticket.id)
            if outcome.ticket is not None:
                ticket = completed(ticket, outcome.ticket)
            else:
                self.reads += 1
            read = (outcome.outcome, lacking(ticket) if outcome.ticket is None else ())
        if ticket == engine_input.event.ticket:
            return engine_input, read
        event = engine_input.event.model_copy(update={"ticket": ticket})
        return engine_input.model_copy(update={"event": event}), read

    def _patched(self, patch_id: str) -> bool:
        """Whether this run makes a change: always, in a run that asked its changes up front;
        else as the marker the change recorded when first asked (cases started before)."""
        return self.at_start or workflow.patched(patch_id)

    def _current(self) -> CaseState | None:
        """The state with the deliveries recorded so far (the latest MAX_DELIVERIES)."""
        state = parsed(self._json(self.state_json)) if self.in_decide else self.state
        return merged(state, self.deliveries, self.done) if state is not None else None

    def _json(self, state: str | None) -> str | None:
        """The state's JSON from the text the workflow keeps (packed: options.STATE_PACKED)."""
        return as_json(state, self.packed)

    def _did(self, key: str, kind: str, outcome: str) -> None:
        self.done.append(ActionRecord(key=key, type=kind, outcome=outcome[:2_000], at=workflow.now()))
        del self.done[:-MAX_DELIVERIES]

    async def _notify(self, request: ActionRequest, action: Notify, here: ActionResult | None = None) -> str:
        """Tell people: through the helpdesk (the adapter, as any action) when the channels
        name it, and through every other channel in a task of its own, so a channel that keeps
        failing holds up neither the case nor another channel. Each delivery is recorded.
        ``here``: the decide activity told the helpdesk already (CASE_IN_DECIDE)."""
        outcome = "skipped: not for the helpdesk"
        if HELPDESK_CHANNEL in action.channels:
            if here is None:
                here = await carry_out_locally(request, action)
            outcome = here.outcome
            self._did(action.key, action.type, outcome)
            self._record([helpdesk_record(action, outcome, workflow.now())])
        requests = delivery_requests(request, action)
        if requests:
            self.sending += 1
            asyncio.create_task(self._deliver(action, requests))
        return outcome

    async def _deliver(self, action: Notify, requests: list[DeliveryRequest]) -> None:
        try:
            deliveries = await deliver_all(requests)
            self._record(records_of(action, deliveries, workflow.now()))
        finally:
            self.sending -= 1

    def _record(self, records: list[DeliveryRecord]) -> None:
        self.deliveries.extend(records)
        del self.deliveries[:-MAX_DELIVERIES]

    async def _next_input(self) -> EngineInput:
        while not self.inbox:
            if self.wake_at is None:
                await workflow.wait_condition(lambda: bool(self.inbox))
                break
            delay = (self.wake_at - workflow.now()).total_seconds()
            if delay <= 0:
                return WakeUp()
            try:
                await workflow.wait_condition(
                    lambda: bool(self.inbox),
                    timeout=delay,
                    timeout_summary=self._wake_summary(self.wake_at),
                )
            except TimeoutError:
                return WakeUp()
        return self.inbox.pop(0)

    def _wake_summary(self, wake_at: datetime) -> str:
        if not self.in_decide:
            return timer_summary(self.state, wake_at)
        summary = self.view.wake_summary if self.view is not None else None
        return summary or timer_summary(None, wake_at)

    def _event(self, event: TicketEvent) -> None:
        """A ticket event from the webhook receiver (or a reconcile sweep)."""
        self.inbox.append(EventInput(event=event))

    def _link(self, contact: LinkContact) -> None:
        """Another case found that its ticket is a repeat contact of this one."""
        self.inbox.append(contact)

    def _operate(self, operation: Operation) -> str:
        """A person's operation: queued and decided like any other input."""
        self.inbox.append(operation.input)
        return "queued"

    def _operate_allowed(self, operation: Operation) -> None:
        if self.state is None and self.view is None and not self.inbox and not self.carried:
            raise ValueError("the case has not started yet; it starts with a ticket event")
        if isinstance(operation.input, EventInput | WakeUp):
            raise ValueError("send ticket events as the 'event' signal")
