"""Talking to case workflows from outside: deliver events (signal-with-start, or a plain signal
to a case known to be running), read cases."""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import RawValue, SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadConverter, WithSerializationContext, WorkflowSerializationContext
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.durable.direct_rpc import direct_requests
from serviceflow.durable.messages import CaseStart
from serviceflow.durable.ui_text import static_details, static_summary
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.errors import ServiceflowError
from serviceflow.model import CaseState, Ticket, TicketEvent

log = logging.getLogger(__name__)

#: A keyword search attribute on every case: ``{vendor}:{account}:{requester id}``. It finds a
#: customer's open cases, so a repeat contact joins its case. Register it once per namespace:
#: ``temporal operator search-attribute create --name ServiceflowRequester --type Keyword``
#: (``serviceflow dev`` does it for its dev server).
REQUESTER_ATTRIBUTE = "ServiceflowRequester"
REQUESTER = SearchAttributeKey.for_keyword(REQUESTER_ATTRIBUTE)

# How Temporal says a search attribute is not registered (temporalio/temporal,
# common/searchattribute/mapper.go "Namespace %s has no mapping defined for search attribute %s",
# validator.go "search attribute %s is not defined"; a visibility query: "invalid search
# attribute"). Any other INVALID_ARGUMENT is about the one request (a workflow id over the
# 1,000-byte limit, a value over the search attribute size limit) and says nothing of the next.
_MISSING_ATTRIBUTE = ("no mapping defined for search attribute", "is not defined", "invalid search attribute")


class SearchAttributeMissing(ServiceflowError):
    """The namespace has no ServiceflowRequester search attribute: cases run, but a repeat
    contact cannot find its case. The message says how to register it."""

    def __init__(self, namespace: str) -> None:
        super().__init__(
            f"the search attribute {REQUESTER_ATTRIBUTE} is not registered in namespace {namespace}: "
            f"run temporal operator search-attribute create --namespace {namespace} "
            f"--name {REQUESTER_ATTRIBUTE} --type Keyword"
        )
        self.namespace = namespace


class DeliveryRefused(ServiceflowError):
    """Temporal refused this one delivery for good: no retry can make it acceptable.

    Attributes:
        field: the event field Temporal's complaint is about ("ticket.id"), when it is known.
        detail: what Temporal said.
    """

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(f"{field or 'the delivery'}: {detail}")
        self.field = field
        self.detail = detail


def is_missing_attribute(exc: RPCError) -> bool:
    """Whether Temporal's answer says the ServiceflowRequester search attribute is not registered."""
    message = exc.message or ""
    return (
        exc.status == RPCStatusCode.INVALID_ARGUMENT
        and REQUESTER_ATTRIBUTE in message
        and any(words in message for words in _MISSING_ATTRIBUTE)
    )


def _refused(exc: RPCError) -> DeliveryRefused:
    message = exc.message or "invalid argument"
    if "WorkflowId" in message:
        return DeliveryRefused(message, field="ticket.id")
    if REQUESTER_ATTRIBUTE in message:
        return DeliveryRefused(message, field="ticket.requester.id")
    return DeliveryRefused(message)


async def requester_attribute_problem(client: Client) -> str | None:
    """None when the namespace has the search attribute; else what to do about it, in words.

    Asks through a visibility query, as requester_cases.open_cases_of does (the operator service
    is not open to every client). Raises ``RPCError`` when Temporal cannot answer at all.
    """
    try:
        await client.count_workflows(f'{REQUESTER_ATTRIBUTE} = "probe"')
    except RPCError as exc:
        if is_missing_attribute(exc):
            return str(SearchAttributeMissing(client.namespace))
        raise
    return None


def requester_key(ticket: Ticket) -> str:
    return f"{ticket.vendor}:{ticket.account}:{ticket.requester.id}"


#: How many case ids a :class:`RunningCases` keeps by default (about 1 MB of ids).
RUNNING_KEPT = 10_000


class RunningCases:
    """The ids of cases this process last saw running: it started or signalled them.

    Bounded: past ``size`` ids the least recently delivered to is forgotten (its next event goes
    by signal-with-start again). Knowing is not trusting: a case may have closed since, and
    :func:`deliver` then falls back to signal-with-start, which restarts it.
    """

    def __init__(self, size: int = RUNNING_KEPT) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def saw(self, case_id: str) -> None:
        """The case accepted a signal or started just now."""
        self._ids[case_id] = None
        self._ids.move_to_end(case_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def forget(self, case_id: str) -> None:
        self._ids.pop(case_id, None)


async def deliver(
    client: Client,
    event: TicketEvent,
    task_queue: str,
    *,
    index_requester: bool = True,
    unindexed: Callable[[SearchAttributeMissing], None] | None = None,
    running: RunningCases | None = None,
    encoded: bytes | None = None,
) -> str:
    """Signal the event to its case, starting the case if needed; returns the case id.

    The case id is ``{vendor}:{account}:{ticket_id}``: one workflow per ticket. A new case is
    indexed by its requester (``index_requester``), which needs the search attribute above. When
    the namespace lacks it, this delivery goes through unindexed, ``unindexed`` is told, and the
    next delivery tries the index again: one delivery never turns indexing off for others.

    With ``running``, a case it holds gets a plain signal, which costs the client about half the
    instructions of signal-with-start (no start request to build: workflow type, start argument,
    search attribute, UI summary and details; benchmarks/RESULTS.md, ingest4). Signal-with-start
    to a running workflow is that same signal, so nothing else differs. Temporal answers
    NOT_FOUND when the case has closed meanwhile (or the id was never a workflow's); the event
    then goes by signal-with-start, which starts the case again, as it would have without
    ``running``. A signal accepted just before the case returns is in its history, and the
    workflow handles it before it may complete (the server refuses a completion with a signal
    unhandled), as with signal-with-start. Every case delivered to is added to ``running``.

    ``encoded`` is the event's JSON as ``pydantic_core.to_json(event)`` made it (the receiver has
    it from its checks): with the pydantic data converter it is the signal's payload as it is,
    the same bytes the converter would make (:func:`event_arg`).

    Raises:
        DeliveryRefused: Temporal refused this delivery for good (INVALID_ARGUMENT).
        RPCError: anything else (unavailable, deadline): worth trying again.
    """
    key = event.ticket.key
    arg = event_arg(client.data_converter.payload_converter, client.namespace, event, encoded)
    if running is not None and key in running:
        try:
            direct = direct_requests(client)  # the same request, prebuilt (direct_rpc.py)
            if direct is not None:
                await direct.signal(direct.signal_request(key, arg))
            else:  # by its name, as start_signal below: the argument may be a RawValue
                await client.get_workflow_handle(key).signal("event", arg)
        except RPCError as exc:
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise _refused(exc) from None
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            running.forget(key)  # closed since: started again below
        else:
            running.saw(key)
            return key
    await _start_or_signal(client, event, arg, task_queue, index_requester, unindexed)
    if running is not None:
        running.saw(key)
    return key


async def _start_or_signal(
    client: Client,
    event: TicketEvent,
    arg: TicketEvent | RawValue,
    task_queue: str,
    index_requester: bool,
    unindexed: Callable[[SearchAttributeMissing], None] | None,
) -> None:
    attributes = (
        TypedSearchAttributes([SearchAttributePair(REQUESTER, requester_key(event.ticket))])
        if index_requester
        else None
    )
    try:
        await _signal_with_start(client, event, arg, task_queue, attributes)
    except RPCError as exc:
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        if attributes is None or not is_missing_attribute(exc):
            raise _refused(exc) from None
        missing = SearchAttributeMissing(client.namespace)
        log.warning("%s; repeat contacts will not join their cases until then", missing)
        if unindexed is not None:
            unindexed(missing)
        try:
            await _signal_with_start(client, event, arg, task_queue, None)
        except RPCError as again:
            if again.status == RPCStatusCode.INVALID_ARGUMENT:
                raise _refused(again) from None
            raise


# The start argument of every new case, ``CaseStart()``, converted once per payload converter
# (by that converter: the same bytes it would send each time) and sent as a RawValue, which the
# SDK passes through its converter as it is (temporalio.converter.CompositePayloadConverter
# .to_payloads; a payload codec, when the client has one, still encodes it). Each start gets a
# fresh copy of the kept payload, since a codec may encode the one it is given in place. A
# converter whose bytes depend on the workflow (``with_context`` answers another converter for
# the case's WorkflowSerializationContext, as the SDK's client would ask) converts every time.
# Converters are held weakly: a client's own converter goes with it.
_start_payloads: weakref.WeakKeyDictionary[PayloadConverter, Payload] = weakref.WeakKeyDictionary()


def _depends_on_workflow(converter: PayloadConverter, namespace: str, workflow_id: str) -> bool:
    """Whether the converter's bytes may depend on the workflow (the SDK's client asks it for
    another converter in the case's WorkflowSerializationContext)."""
    context = WorkflowSerializationContext(namespace=namespace, workflow_id=workflow_id)
    if not isinstance(converter, WithSerializationContext):
        return False
    return converter.with_context(context) is not converter


def _case_start(converter: PayloadConverter, namespace: str, workflow_id: str) -> RawValue | CaseStart:
    kept = _start_payloads.get(converter)
    if kept is None:  # asked once per converter: whether its bytes depend on the workflow
        if _depends_on_workflow(converter, namespace, workflow_id):
            return CaseStart()
        kept = converter.to_payloads([CaseStart()])[0]
        _start_payloads[converter] = kept
    fresh = Payload()
    fresh.CopyFrom(kept)
    return RawValue(fresh)


# The pydantic data converter (temporalio.contrib.pydantic, as serviceflow's clients connect:
# durable/worker.py) sends a TicketEvent as ``pydantic_core.to_json(event)`` with the encoding
# ``json/plain`` (``PydanticJSONPlainPayloadConverter.to_payload`` calls ``to_json(value)``; its
# DataConverter makes it without options). Where a client has that converter itself, its bytes
# are the same for every workflow and its payload of the first event is the one the receiver's
# JSON makes (checked once), the receiver's bytes are the signal's payload as a RawValue, which
# the SDK sends as it is (a payload codec still encodes it); the worker decodes it as before,
# with the same converter. Any other converter converts each event itself.
_event_json: weakref.WeakKeyDictionary[PayloadConverter, bool] = weakref.WeakKeyDictionary()
_JSON_PLAIN = {"encoding": b"json/plain"}


def event_arg(
    converter: PayloadConverter, namespace: str, event: TicketEvent, encoded: bytes | None
) -> TicketEvent | RawValue:
    """What to signal the event as: the RawValue of ``encoded``, where the converter would make
    that same payload, else the event."""
    if encoded is None or converter is not pydantic_data_converter.payload_converter:
        return event
    trusted = _event_json.get(converter)
    if trusted is None:
        same = converter.to_payloads([event]) == [Payload(metadata=_JSON_PLAIN, data=encoded)]
        trusted = same and not _depends_on_workflow(converter, namespace, event.ticket.key)
        _event_json[converter] = trusted
    return RawValue(Payload(metadata=_JSON_PLAIN, data=encoded)) if trusted else event


async def _signal_with_start(
    client: Client,
    event: TicketEvent,
    arg: TicketEvent | RawValue,
    task_queue: str,
    attributes: TypedSearchAttributes | None,
) -> None:
    start = _case_start(client.data_converter.payload_converter, client.namespace, event.ticket.key)
    # The same request, prebuilt, where the client's own call would build it so (direct_rpc.py).
    direct = direct_requests(client)
    if direct is not None and isinstance(start, RawValue):
        ticket, summary, details = event.ticket, static_summary(event.ticket), static_details(event)
        await direct.start(
            direct.start_request(ticket.key, task_queue, start.payload, arg, attributes, summary, details)
        )
        return
    await client.start_workflow(
        CaseWorkflow.run,
        args=[start],
        id=event.ticket.key,
        task_queue=task_queue,
        start_signal="event",
        start_signal_args=[arg],
        search_attributes=attributes,
        # What the Temporal UI lists the case as (kept from its start; see ui_text.py).
        static_summary=static_summary(event.ticket),
        static_details=static_details(event),
    )


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    status: str
    state: CaseState | None


async def list_cases(client: Client, *, include_closed: bool = False, limit: int = 200) -> list[CaseSummary]:
    query = 'WorkflowType = "Case"' + ("" if include_closed else ' AND ExecutionStatus = "Running"')
    found = []
    async for execution in client.list_workflows(query, limit=limit):
        state = None
        if execution.status == WorkflowExecutionStatus.RUNNING:
            state = await read_case(client, execution.id)
        status = execution.status.name.lower() if execution.status else "unknown"
        found.append(CaseSummary(execution.id, status, state))
    return found


async def read_case(client: Client, case_id: str) -> CaseState | None:
    handle = client.get_workflow_handle(case_id)
    return await handle.query(CaseWorkflow.case_state)
