"""Backfill, the I/O: every open ticket of an account changed since ``since`` gets the case its
history implies (:mod:`.backfill`), started on Temporal; pre-install breaches go into one digest
per owner. Resumable: a checkpoint file, rewritten after every ticket, keeps the listing's
cursor, the tickets done and the breaches found, so a second run goes on where the first
stopped (and never starts a case twice: a ticket with a running case is left to it).

The past's outcome rows (a breach before install, a target met, the first response) go into the
outcome store ``serviceflow report`` reads, once the case has started, keyed as the live case
keys them: the store keeps a key once, so a run again writes nothing twice. A store that fails
does not stop the backfill: the ticket's outcome says so, and the case runs on.

The helpdesk is only read (``changed_tickets``, ``ticket_history``, ``whoami``); the one write a
backfill causes, the owner's assignment, is the case's own action, carried out by its workflow
(a ``reassign_owner`` operation, decided by the engine like any other).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.adapters.identity import Identities
from serviceflow.adapters.protocol import HelpdeskAdapter
from serviceflow.adapters.records import ChangeCursor, Identity
from serviceflow.adapters.rewind import rewind
from serviceflow.durable.backfill import Breach, digest_text, digests, replay
from serviceflow.durable.backfill_checkpoint import BackfillError, BreachRecord, Checkpoint
from serviceflow.durable.cases import REQUESTER, is_missing_attribute, requester_key
from serviceflow.durable.messages import CaseStart, Operation
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.reconcile_repair import DONE, created_event
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.engine.inputs import Context, ReassignOwner
from serviceflow.engine.rules import Rules
from serviceflow.errors import NotSupported, ServiceflowError, TicketGone
from serviceflow.model import CaseState, Notify, NotifyPurpose, Roster, Ticket
from serviceflow.model.actions import Person as NotifyPerson
from serviceflow.outcomes.activity import named
from serviceflow.outcomes.model import Outcome
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

T = TypeVar("T")

#: Attempts at one helpdesk call before the backfill stops (the checkpoint keeps its progress).
ATTEMPTS = 8
BACKFILL_BY = "serviceflow backfill"
#: Seconds a started case may take to run its first task before its owner is asked for.
STARTED_WITHIN = 30.0


@dataclass
class Progress:
    """What the backfill tells its caller (the CLI draws a progress bar from it)."""

    ticket: Callable[[str, str], None] = lambda ticket_id, outcome: None
    waiting: Callable[[str], None] = lambda message: None


@dataclass
class Backfill:
    client: Client
    task_queue: str
    adapter: HelpdeskAdapter
    account: str
    rules: Rules
    roster: Roster
    checkpoint_path: Path
    now: datetime
    notifier: Notifier | None = None
    #: Where the past's outcome rows go (None: not recorded); ``shadow`` marks them would-have.
    outcomes: OutcomeStore | None = None
    shadow: bool = False
    index_requester: bool = True
    progress: Progress = field(default_factory=Progress)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def run(self, since: datetime) -> Checkpoint:
        """Bring every open ticket changed since ``since`` under a case; send the digests.

        Raises:
            BackfillError: the helpdesk could not be read after :data:`ATTEMPTS` tries, or the
                checkpoint belongs to another account (the message says what to do).
        """
        vendor = self.adapter.vendor
        checkpoint = Checkpoint.load_or_new(self.checkpoint_path, vendor, self.account, since)
        identity = await self._call(lambda: Identities().of(self.adapter, self.account), "whoami")
        cursor = checkpoint.cursor or ChangeCursor.since(checkpoint.since)
        while not checkpoint.listed_all:
            page = await self._call(
                lambda at=cursor: self.adapter.changed_tickets(self.account, at),  # type: ignore[misc]
                "list tickets",
            )
            for record in page.tickets:
                if record.ticket.id in checkpoint.done:
                    continue
                outcome = await self._one(record.ticket, identity, checkpoint)
                checkpoint.done[record.ticket.id] = outcome
                checkpoint.save(self.checkpoint_path)
                self.progress.ticket(record.ticket.id, outcome)
            cursor = page.next
            checkpoint.cursor = cursor
            checkpoint.listed_all = not page.more
            checkpoint.save(self.checkpoint_path)
        for ticket_id in [t for t in checkpoint.rows_pending if t in checkpoint.done]:
            await self._rows_again(ticket_id, identity, checkpoint)
        await self._send_digests(checkpoint)
        return checkpoint

    async def _rows_again(self, ticket_id: str, identity: Identity, checkpoint: Checkpoint) -> None:
        """Keep the past's rows of a case an earlier run opened (see ``rows_pending``)."""
        try:
            record = await self._call(
                lambda: self.adapter.fetch_ticket(self.account, ticket_id), f"read ticket {ticket_id}"
            )
        except TicketGone:
            outcome = "skipped: gone"
        else:
            outcome = await self._one(record.ticket, identity, checkpoint)
        if outcome.startswith("skipped") and ticket_id in checkpoint.rows_pending:
            checkpoint.rows_pending.remove(ticket_id)  # solved, gone or no history since: nothing to keep
        checkpoint.done[ticket_id] = outcome
        checkpoint.save(self.checkpoint_path)
        self.progress.ticket(ticket_id, outcome)

    async def _one(self, ticket: Ticket, identity: Identity, checkpoint: Checkpoint) -> str:
        if ticket.status in DONE:
            return f"skipped: {ticket.status.value}"
        opened_before = await self._running(ticket.key)
        if opened_before and ticket.id not in checkpoint.rows_pending:
            return "skipped: it has a case"
        try:
            history = await self._call(
                lambda: self.adapter.ticket_history(self.account, ticket.id, identity=identity),
                f"read ticket {ticket.id}'s history",
            )
            # What happened after this run's install time (a person, or a case's own action,
            # while the backfill runs) is the live case's to hear: the history ends at ``now``.
            events = [e for e in rewind(ticket, history.events) if e.time <= self.now]
        except NotSupported:
            events = []
        except TicketGone:
            return "skipped: gone"
        if not events or events[0].kind.value != "created":
            events.insert(0, created_event(events[0].ticket if events else ticket))
        context = Context(roster=self.roster)
        replayed = replay(events, self.now, self.rules, context)
        if replayed is None:
            return "skipped: no history"
        breached = len(replayed.breaches)
        escalate = breached > 0 and self.rules.policy_set.settings.backfill.breaches == "escalate"
        if escalate:
            # The PolicySet chose: the case decides its timers since the last event itself, at
            # install, and climbs its ladder through its own actions, one escalation per breach.
            live = replay(events, self.now, self.rules, context, catch_up=False)
            replayed = live if live is not None else replayed
        if opened_before:  # by an earlier run, which did not keep the past's rows
            if not escalate:  # its breaches too, where that run stopped before keeping them
                known = {(b.case_id, b.target) for b in checkpoint.breaches}
                checkpoint.breaches.extend(
                    BreachRecord(**vars(b)) for b in replayed.breaches if (b.case_id, b.target) not in known
                )
            note = await self._kept(replayed.outcomes, ticket.id, checkpoint)
            return f"case opened before; the past's outcomes {'still pending' if note else 'recorded'}{note}"
        checkpoint.rows_pending.append(ticket.id)  # until they are kept, whatever stops us
        checkpoint.save(self.checkpoint_path)
        started = await self._start(replayed.state, replayed.wake_at)
        if not started:
            checkpoint.rows_pending.remove(ticket.id)
            return "skipped: it has a case"
        if not escalate:
            checkpoint.breaches.extend(BreachRecord(**vars(b)) for b in replayed.breaches)
        note = await self._kept(replayed.outcomes, ticket.id, checkpoint)
        owner = replayed.state.owner
        if owner is not None and owner != ticket.assignee and not owner.startswith("group:"):
            note += await self._assign(ticket.key, owner)
        opened = f"case opened ({breached} breached before install)" if breached else "case opened"
        if escalate:
            opened = f"case opened ({breached} breached before install: escalating, as the policy set says)"
        return f"{opened}{note}"

    async def _kept(self, rows: list[Outcome], ticket_id: str, checkpoint: Checkpoint) -> str:
        """:meth:`_record`, and the ticket off ``rows_pending`` once its rows are kept."""
        note = await self._record(rows)
        if not note and ticket_id in checkpoint.rows_pending:
            checkpoint.rows_pending.remove(ticket_id)
        return note

    async def _record(self, rows: list[Outcome]) -> str:
        """Keep the past's rows in the outcome store; "" when kept, else why not."""
        if self.outcomes is None or not rows:
            return ""
        store = self.outcomes
        found = tuple(r.model_copy(update={"would_have": True}) for r in rows) if self.shadow else tuple(rows)
        found = named(found, self.roster)
        try:  # an SQLite file on the loop, as the worker writes it; a database from a thread
            if store.engine.dialect.name == "sqlite":
                store.write(found)
            else:
                await asyncio.to_thread(store.write, found)
        except OutcomeStoreError as exc:
            self.progress.waiting(f"{self._name()}: outcomes not recorded: {exc}")
            return f"; outcomes not recorded: {exc}"
        return ""

    async def _assign(self, case_id: str, owner: str) -> str:
        """Ask the case to assign its owner (its own action); "" when asked, else why not."""
        handle = self.client.get_workflow_handle(case_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTED_WITHIN
        # An update is refused until the case's run has taken its state (its first task).
        while await handle.query(CaseWorkflow.case_state) is None:
            if loop.time() > deadline:
                return f"; owner {owner} not assigned: the case did not start within {STARTED_WITHIN:.0f} s"
            await asyncio.sleep(0.2)
        reassign = ReassignOwner(agent=owner, reason="the owner its history implies", by=BACKFILL_BY)
        try:
            await handle.execute_update(CaseWorkflow.operate, Operation(input=reassign))
        except WorkflowUpdateFailedError as exc:
            return f"; owner {owner} not assigned: {exc.cause or exc}"
        return ""

    async def _running(self, case_id: str) -> bool:
        try:
            described = await self.client.get_workflow_handle(case_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return described.status == WorkflowExecutionStatus.RUNNING

    async def _start(self, state: CaseState, wake_at: datetime | None) -> bool:
        """Start the case with its state; False when one runs already (a webhook was first)."""
        attributes = (
            TypedSearchAttributes([SearchAttributePair(REQUESTER, requester_key(state.ticket))])
            if self.index_requester
            else None
        )
        for attempt in (attributes, None):
            try:
                await self.client.start_workflow(
                    CaseWorkflow.run,
                    CaseStart(state=state, wake_at=wake_at),
                    id=state.case_id,
                    task_queue=self.task_queue,
                    search_attributes=attempt,
                )
                return True
            except WorkflowAlreadyStartedError:
                return False
            except RPCError as exc:
                if attempt is None or not is_missing_attribute(exc):
                    raise
        return False  # pragma: no cover - the loop always returns

    async def _send_digests(self, checkpoint: Checkpoint) -> None:
        """One digest per owner of the breaches found, through the notifier's channels; an
        owner's digest goes once, also when the backfill is run again."""
        if self.notifier is None:
            return
        found = [Breach(**b.model_dump()) for b in checkpoint.breaches]
        for owner, breaches in digests(found).items():
            if owner in checkpoint.digests_sent:
                continue
            subject, body = digest_text(owner, breaches)
            agent = self.roster.agent(owner)
            action = Notify(
                key=f"backfill-digest/{checkpoint.vendor}:{checkpoint.account}/{owner}",
                reason="targets breached before install",
                policy="backfill",
                rule="digest",
                recipients=(owner,),
                people=(
                    NotifyPerson(
                        id=owner,
                        name=agent.name if agent and agent.name else owner,
                        email=agent.email if agent else None,
                    ),
                ),
                subject=subject,
                body=body,
                purpose=NotifyPurpose.BREACHED,
            )
            await self.notifier.send(
                f"backfill:{checkpoint.vendor}:{checkpoint.account}", action, self.roster
            )
            checkpoint.digests_sent.append(owner)
            checkpoint.save(self.checkpoint_path)

    async def _call(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """``call()``, tried again on a retryable error (429, 5xx, the helpdesk unreachable) with
        backoff, saying so through ``progress.waiting``; a refusal no retry fixes stops at once."""
        delay = 2.0
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await call()
            except (NotSupported, TicketGone):
                raise
            except ServiceflowError as exc:
                if not getattr(exc, "retryable", False):
                    raise BackfillError(f"{self._name()}: {what}: {exc}; {self._resume()}") from None
                if attempt == ATTEMPTS:
                    raise BackfillError(
                        f"{self._name()} could not be reached after {ATTEMPTS} attempts ({what}: {exc}); "
                        f"{self._resume()}"
                    ) from None
                self.progress.waiting(
                    f"{self._name()}: {what}: {exc}; retrying in {delay:.0f} s (attempt {attempt}/{ATTEMPTS})"
                )
                await self.sleep(delay)
                delay = min(delay * 2, 60.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _name(self) -> str:
        return f"{self.adapter.vendor}:{self.account}"

    def _resume(self) -> str:
        return (
            f"the checkpoint {self.checkpoint_path} keeps the progress: run the same command again to resume"
        )
