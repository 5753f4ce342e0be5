"""bench_ingest's second floor: the same events signalled through the Temporal SDK's own calls.

The issue's "raw signal-with-start" is what a program gets from the SDK as it is: for a new
ticket ``Client.start_workflow(..., start_signal=...)`` with the same workflow type, start
argument, search attribute and UI texts as a case's, the event as the model (the pydantic data
converter makes its JSON); for a case it started, ``WorkflowHandle.signal``. The first floor,
bench_ingest's raw client, is serviceflow's own ``deliver``: the receiver's call without HTTP,
so a cheaper call there (durable/direct_rpc.py) makes both of its phases cheaper alike and its
ratio says what the receiver's HTTP, signature and parse cost. This one says what the receiver
costs against a plain SDK program doing the same requests.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from serviceflow.durable.cases import REQUESTER, requester_key
from serviceflow.durable.messages import CaseStart
from serviceflow.durable.ui_text import static_details, static_summary
from serviceflow.model import TicketEvent

SDK_QUEUE = "bench-sdk"


async def sdk_deliver(client: Client, event: TicketEvent, started: set[str]) -> None:
    """``event`` through the SDK's calls: signal-with-start, or a plain signal to a case in
    ``started`` (bench_ingest's Floor times and bounds them)."""
    key = event.ticket.key
    if key in started:
        await client.get_workflow_handle(key).signal("event", event)
        return
    requester = TypedSearchAttributes([SearchAttributePair(REQUESTER, requester_key(event.ticket))])
    await client.start_workflow(
        "Case",
        CaseStart(),
        id=key,
        task_queue=SDK_QUEUE,
        start_signal="event",
        start_signal_args=[event],
        search_attributes=requester,
        static_summary=static_summary(event.ticket),
        static_details=static_details(event),
    )
    started.add(key)
