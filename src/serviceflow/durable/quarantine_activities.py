"""The quarantine watcher's activities: list a queue, triage a message, carry out the verdict."""

from __future__ import annotations

import logging
from datetime import datetime

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.adapters.protocol import QuarantineQueue
from serviceflow.adapters.registry import registry
from serviceflow.durable.cases import deliver
from serviceflow.durable.messages import (
    QuarantineAct,
    QuarantineListing,
    QuarantineOutcome,
    TriageRequest,
    TriageResult,
)
from serviceflow.durable.metrics import WorkerMetrics
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.requester_cases import open_cases_of
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.engine.quarantine import (
    arrival_event,
    departure_event,
    recovery_event,
    review_ticket,
    triage,
)
from serviceflow.errors import QuarantinedMessageGone, RecoveryNeedsPerson, ServiceflowError
from serviceflow.model import CaseState, QuarantinedMessage

log = logging.getLogger(__name__)


class NoQuarantinePlugin(ServiceflowError):
    """No installed plugin serves this vendor's quarantine (the watcher retries until one does)."""


def quarantine_of(vendor: str) -> QuarantineQueue:
    """The quarantine of ``vendor``'s adapter.

    Raises:
        NoQuarantinePlugin: no installed adapter for it has one.
    """
    adapter = registry().get(vendor)
    queue = adapter.quarantine if adapter is not None else None
    if queue is None:
        raise NoQuarantinePlugin(
            f"no installed plugin lists quarantined mail for vendor {vendor!r} "
            f"(check SERVICEFLOW_QUARANTINE_WATCH and `serviceflow plugins`)"
        )
    return queue


class QuarantineActivities:
    def __init__(
        self,
        store: PolicyStore,
        client: Client,
        task_queue: str,
        metrics: WorkerMetrics,
        *,
        index_requester: bool = True,
    ) -> None:
        self.store = store
        self.client = client
        self.task_queue = task_queue
        self.metrics = metrics
        self.index_requester = index_requester

    @activity.defn(name="list_quarantined")
    async def list_quarantined(self, vendor: str, account: str) -> QuarantineListing:
        """The whole queue; any error fails the attempt and the retry policy tries again."""
        messages = [message async for message in quarantine_of(vendor).list_messages(account)]
        self.metrics.in_quarantine.labels(vendor, account).set(len(messages))
        return QuarantineListing(messages=messages)

    @activity.defn(name="triage_quarantined")
    async def triage_quarantined(self, request: TriageRequest) -> TriageResult:
        """The policies' verdict on a message, given its sender's running cases."""
        rules = self.store.current()
        open_cases: list[CaseState] = []
        if self.index_requester:
            try:
                open_cases = await open_cases_of(self.client, review_ticket(request.message))
            except RPCError as exc:  # no search attribute, or visibility down: triage without
                log.warning("could not look up the sender's open cases: %s", exc)
        verdict = triage(request.message, rules, open_cases, request.now)
        self.metrics.quarantined.labels(request.message.vendor, verdict.verdict).inc()
        if verdict.errors:
            self.metrics.rule_errors.inc(len(verdict.errors))
            log.warning("triage of quarantined message %s: %s", request.message.id, "; ".join(verdict.errors))
        return TriageResult(
            verdict=verdict.verdict,
            policy=verdict.policy,
            rule=verdict.rule,
            reason=verdict.reason,
            errors=list(verdict.errors),
            policy_version=rules.version,
        )

    @activity.defn(name="act_on_quarantined")
    async def act_on_quarantined(self, request: QuarantineAct) -> QuarantineOutcome:
        message = request.message
        if request.verdict == "review":
            return await self._open_review(message)
        if request.verdict == "recover":
            return await self._recover(message)
        if request.verdict == "dismiss":
            return await self._dismiss(message)
        if request.verdict == "left_queue":
            return await self._close_review(message, request.time or message.received_at)
        raise ValueError(f"unknown quarantine verdict {request.verdict!r}")

    async def _open_review(self, message: QuarantinedMessage) -> QuarantineOutcome:
        case_id = await deliver(
            self.client, arrival_event(message), self.task_queue, index_requester=self.index_requester
        )
        log.info("quarantined message %s from %s: review case %s", message.id, message.sender.id, case_id)
        return QuarantineOutcome(outcome="review case opened", case_id=case_id)

    async def _recover(self, message: QuarantinedMessage) -> QuarantineOutcome:
        queue = quarantine_of(message.vendor)
        try:
            ticket = await queue.recover(message.account, message.id)
        except QuarantinedMessageGone:
            return QuarantineOutcome(outcome="gone: it left the queue before it could be recovered")
        except RecoveryNeedsPerson:
            # The helpdesk's API cannot (Freshdesk's spam folder): its review case says what to click.
            log.info("quarantined message %s: only a person can recover it; opening a review", message.id)
            return await self._open_review(message)
        except ServiceflowError as exc:
            if getattr(exc, "retryable", False):
                raise
            # The helpdesk refused (a 422, say): a person must look at it, so review it.
            log.error("recovering quarantined message %s failed: %s; opening a review", message.id, exc)
            return await self._open_review(message)
        self.metrics.left_quarantine.labels(message.vendor, "recovered").inc()
        event = recovery_event(message, ticket)
        case_id = await deliver(self.client, event, self.task_queue, index_requester=self.index_requester)
        log.info("quarantined message %s recovered as ticket %s (case %s)", message.id, ticket.id, case_id)
        return QuarantineOutcome(outcome=f"recovered as ticket {ticket.id}", case_id=case_id)

    async def _dismiss(self, message: QuarantinedMessage) -> QuarantineOutcome:
        outcome = await quarantine_of(message.vendor).dismiss(message.account, message.id)
        self.metrics.left_quarantine.labels(message.vendor, "dismissed").inc()
        return QuarantineOutcome(outcome=str(outcome))

    async def _close_review(self, message: QuarantinedMessage, time: datetime) -> QuarantineOutcome:
        event = departure_event(message, time, "it left the helpdesk's quarantine")
        handle = self.client.get_workflow_handle(message.key)
        try:
            await handle.signal(CaseWorkflow.event, event)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return QuarantineOutcome(outcome="no running review case")
        self.metrics.left_quarantine.labels(message.vendor, "left").inc()
        return QuarantineOutcome(outcome="review case closed", case_id=message.key)
