"""The reconciler's activities: list the tickets changed since the high-water mark through the
vendor plugin, compare each with its case, and deliver what the case missed.

All I/O of a sweep is here; what to deliver is decided by :mod:`.reconcile_repair` (pure). The
helpdesk is only read (``changed_tickets``, ``fetch_ticket``, ``ticket_history``): whatever a
repair makes a case do reaches the helpdesk through that case's own actions. Rate limits are the
transport's: its Pacer slows requests before the budget runs out, and a 429, a 5xx or an
unreachable helpdesk fails the attempt with a retryable error, so the workflow's retry policy
tries the same page again later (nothing is skipped), and the log says why.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter
from temporalio import activity
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.adapters.identity import Identities
from serviceflow.adapters.protocol import HelpdeskAdapter
from serviceflow.adapters.records import ChangeCursor, TicketRecord
from serviceflow.adapters.registry import registry
from serviceflow.durable.cases import deliver
from serviceflow.durable.reconcile_messages import SweepPage, SweepResult
from serviceflow.durable.reconcile_repair import Repair, RepairKind, gone, repair
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.errors import NotSupported, ServiceflowError, TicketGone
from serviceflow.model import CaseState, Ticket, TicketEvent

log = logging.getLogger(__name__)


class ReconcileMetrics:
    """``serviceflow_reconcile_repairs_total`` (tickets, by what was repaired) and
    ``serviceflow_reconcile_events_total`` (missed events delivered, by kind)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.repairs = Counter(
            "serviceflow_reconcile_repairs_total",
            "Tickets a reconcile sweep looked at, by what it repaired (opened, caught_up, ended, "
            "unchanged, deferred).",
            ["vendor", "account", "repair"], registry=registry,
        )  # fmt: skip
        self.events = Counter(
            "serviceflow_reconcile_events_total",
            "Missed events a reconcile sweep delivered to cases, by event kind.",
            ["vendor", "account", "kind"], registry=registry,
        )  # fmt: skip


def adapter_of(vendor: str) -> HelpdeskAdapter:
    adapter = registry().get(vendor)
    if adapter is None:
        raise ApplicationError(
            f"no installed plugin serves vendor {vendor!r} (check SERVICEFLOW_RECONCILE and "
            f"`serviceflow plugins`); retrying",
            type="NoPlugin",
        )
    return adapter


async def case_of(client: Client, case_id: str) -> CaseState | None:
    """The case's state (its last run's, when it has ended), or None when there is none."""
    try:
        return await client.get_workflow_handle(case_id).query(CaseWorkflow.case_state)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    except WorkflowQueryFailedError:  # a run that failed before it had a state
        return None


class ReconcileActivities:
    def __init__(
        self,
        client: Client,
        task_queue: str,
        registry: CollectorRegistry,
        *,
        index_requester: bool = True,
        identities: Identities | None = None,
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.metrics = ReconcileMetrics(registry)
        self.index_requester = index_requester
        self.identities = identities or Identities()

    @activity.defn(name="reconcile_page")
    async def sweep_page(self, request: SweepPage) -> SweepResult:
        """One page of the tickets changed since ``request.cursor``, each repaired."""
        adapter = adapter_of(request.vendor)
        cursor = request.cursor or ChangeCursor.since(request.settle_before)  # the workflow gives one
        try:
            page = await adapter.changed_tickets(request.account, cursor)
        except ServiceflowError as exc:
            raise _unreachable(request, exc) from exc
        result = await self._repair_all(adapter, request, [record.ticket for record in page.tickets], [])
        return result.model_copy(update={"next": page.next, "more": page.more})

    @activity.defn(name="reconcile_tickets")
    async def sweep_tickets(self, request: SweepPage) -> SweepResult:
        """The tickets of ``request.ticket_ids`` read again (deferred by an earlier sweep) and
        repaired; one that is gone from the helpdesk ends its case."""
        adapter = adapter_of(request.vendor)
        tickets: list[Ticket] = []
        missing: list[str] = []
        for ticket_id in request.ticket_ids:
            try:
                record: TicketRecord = await adapter.fetch_ticket(request.account, ticket_id)
            except TicketGone:
                missing.append(ticket_id)
                continue
            except ServiceflowError as exc:
                raise _unreachable(request, exc) from exc
            tickets.append(record.ticket)
            activity.heartbeat(ticket_id)
        return await self._repair_all(adapter, request, tickets, missing)

    async def _repair_all(
        self, adapter: HelpdeskAdapter, request: SweepPage, tickets: list[Ticket], missing: list[str]
    ) -> SweepResult:
        tally: Tally[str] = Tally()
        deferred: list[str] = []
        delivered = 0
        for ticket in tickets:
            if ticket.updated_at > request.settle_before:
                deferred.append(ticket.id)
                done = Repair(RepairKind.DEFERRED)
            else:
                done = await self._repair_one(adapter, request, ticket)
            delivered += await self._deliver(request, done)
            tally[done.kind.value] += 1
            activity.heartbeat(ticket.id)
        for ticket_id in missing:
            state = await case_of(self.client, f"{request.vendor}:{request.account}:{ticket_id}")
            done = (
                gone(state, request.settle_before)
                if state and state.closed_at is None
                else Repair(RepairKind.UNCHANGED)
            )
            delivered += await self._deliver(request, done)
            tally[done.kind.value] += 1
        for kind, count in tally.items():
            self.metrics.repairs.labels(request.vendor, request.account, kind).inc(count)
        return SweepResult(repairs=dict(tally), events=delivered, deferred=deferred)

    async def _repair_one(self, adapter: HelpdeskAdapter, request: SweepPage, ticket: Ticket) -> Repair:
        state = await case_of(self.client, ticket.key)
        quick = repair(state, ticket, None)
        if quick.kind is RepairKind.UNCHANGED:
            return quick  # nothing moved: no history read, no call spent
        try:
            history = await self._history(adapter, request, ticket)
        except TicketGone:
            # Listed, but gone when read (Zendesk's export lists deleted tickets): the case ends.
            if state is not None and state.closed_at is None:
                return gone(state, request.settle_before)
            return Repair(RepairKind.UNCHANGED)
        return repair(state, ticket, history)

    async def _history(
        self, adapter: HelpdeskAdapter, request: SweepPage, ticket: Ticket
    ) -> tuple[TicketEvent, ...] | None:
        try:
            identity = await self.identities.of(adapter, request.account)
            history = await adapter.ticket_history(request.account, ticket.id, identity=identity)
        except NotSupported:
            return None
        except TicketGone:
            raise
        except ServiceflowError as exc:
            raise _unreachable(request, exc) from exc
        if not history.complete:
            log.warning(
                "reconcile %s:%s: ticket %s's history is incomplete; repaired from what was read",
                request.vendor, request.account, ticket.id,
            )  # fmt: skip
        return history.events

    async def _deliver(self, request: SweepPage, done: Repair) -> int:
        for event in done.events:
            await deliver(self.client, event, self.task_queue, index_requester=self.index_requester)
            self.metrics.events.labels(request.vendor, request.account, event.kind.value).inc()
        if done.events:
            log.info(
                "reconcile %s:%s: %s %s with %d missed event(s)",
                request.vendor, request.account, done.kind.value, done.events[0].ticket.key, len(done.events),
            )  # fmt: skip
        return len(done.events)


def _unreachable(request: SweepPage, exc: ServiceflowError) -> Exception:
    """The helpdesk could not be read: always retried by the workflow's policy (backing off to
    at most ten minutes), with a message naming the account and what to fix. Even an error no
    retry mends by itself (a missing setting, ``IdentityRefused``) is retried: a non-retryable
    failure would end the reconciler's run, which nothing restarts, where a retry picks the
    fixed settings up once the worker restarts with them; its log line says to check them."""
    retryable = bool(getattr(exc, "retryable", False))
    message = f"reconcile {request.vendor}:{request.account}: the helpdesk could not be read: {exc}"
    log.warning("%s (%s)", message, "retrying" if retryable else "check the account's settings")
    return ApplicationError(message, type=type(exc).__name__, non_retryable=False)
