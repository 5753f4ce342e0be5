"""One ticket through the whole system as real processes: a Temporal dev server, the fake
Zendesk, `serviceflow serve` and `serviceflow worker` with JSON logs and (the otel extra being
installed) their spans sent over OTLP/HTTP to a collector stub on 127.0.0.1.

- One trace runs from the webhook to the action carried out: the receiver's
  ``POST /webhooks/{vendor}`` with verify, identity, parse and signal, the signal-with-start,
  the case's workflow, its ``decide`` activity (which carries the action out) and its ``PUT`` to Zendesk, each
  span the child of the one before, across both processes.
- Every line the receiver and the worker log about the case names it (``case``), and no line
  and no span holds the ticket's text.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from serviceflow_zendesk.fake import FakeZendesk
from tracing_support import OTEL, SECRET, System, requires_otel

from serviceflow.fakes.waiting import wait_until

# The ticket's text: it must appear in no log line and no span.
SUBJECT = "Charged twice for order QUOKKA-7731-ZEBRA"
DESCRIPTION = "My card shows two payments for order QUOKKA-7731-ZEBRA, please refund one."
SECRET_WORDS = ("QUOKKA-7731-ZEBRA", "two payments")


@dataclass
class Run:
    system: System
    case: str
    ticket_id: int
    spans: list[Any]  # the collector's ReceivedSpan records (empty without the otel extra)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Run]:
    zendesk = FakeZendesk().start()
    collector = None
    if OTEL:
        from otlp_collector import CollectorStub

        collector = CollectorStub().start()
    system = System(tmp_path_factory.mktemp("traced"), zendesk, collector.endpoint if collector else None)
    frontline, leads = zendesk.add_group("Frontline"), zendesk.add_group("Leads")
    ann = zendesk.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])
    zendesk.add_agent("Lee", email="lee@shop.example", groups=[leads["id"]])
    try:
        await system.run()
        zendesk.add_webhook(f"{system.receiver_url}/webhooks/zendesk", secret=SECRET)
        casey = zendesk.add_user("Casey", email="casey@example.com")
        ticket = await asyncio.to_thread(
            zendesk.state.add_ticket,
            {
                "subject": SUBJECT,
                "comment": {"body": DESCRIPTION, "public": True},
                "requester_id": casey["id"],
            },
            actor_id=casey["id"],
            notify=True,
        )
        await wait_until(
            lambda: zendesk.ticket(ticket["id"])["assignee_id"] == ann["id"], 60, "Ann owning it"
        )
        case = f"zendesk:127.0.0.1:{ticket['id']}"
        spans: list[Any] = []
        if collector is not None:

            def whole_trace() -> list[Any] | None:
                received = collector.received()
                return received if trace_of_the_action(received, case) else None

            spans = await wait_until(whole_trace, 60, "the spans from the webhook to the action")
        # The processes leave on SIGTERM, writing their last lines (and sending their last spans).
        await asyncio.to_thread(system.stop)
        yield Run(system, case, ticket["id"], collector.received() if collector else spans)
    finally:
        system.stop()
        zendesk.stop()
        if collector is not None:
            collector.stop()


def trace_of_the_action(spans: list[Any], case: str) -> list[Any] | None:
    """The spans of the trace that holds the ``PUT`` to Zendesk made by the case's
    ``decide`` (which carries the action out: case-in-decide), if one has arrived whole (the
    receiver's root span included)."""
    by_id = {s.span_id: s for s in spans}
    for span in spans:
        if span.name != "PUT Zendesk":
            continue
        chain = [span]
        while chain[-1].parent_span_id in by_id:
            chain.append(by_id[chain[-1].parent_span_id])
        names = [s.name for s in chain]
        if "RunActivity:decide" in names and names[-1] == "POST /webhooks/{vendor}":
            trace = [s for s in spans if s.trace_id == span.trace_id]
            if any(s.attributes.get("temporalWorkflowID") == case for s in trace):
                return chain
    return None


@requires_otel
def test_one_trace_runs_from_the_webhook_to_the_action_carried_out(run: Run) -> None:
    chain = trace_of_the_action(run.spans, run.case)
    assert chain is not None, sorted({s.name for s in run.spans})
    names = [s.name for s in reversed(chain)]  # root first
    assert names[0] == "POST /webhooks/{vendor}"
    # Down the chain in this order (more spans may sit between these).
    wanted = ["POST /webhooks/{vendor}", "signal", "SignalWithStartWorkflow:Case", "StartActivity:decide",
              "RunActivity:decide", "PUT Zendesk"]  # fmt: skip
    positions = [names.index(name) for name in wanted]
    assert positions == sorted(positions), names
    assert len({s.trace_id for s in chain}) == 1
    # The workflow's run is a span of its own beside the activities, under the signal-with-start.
    trace = [s for s in run.spans if s.trace_id == chain[0].trace_id]
    (started,) = [s for s in chain if s.name == "SignalWithStartWorkflow:Case"]
    workflow = [s for s in trace if s.name == "RunWorkflow:Case" and s.parent_span_id == started.span_id]
    assert workflow and workflow[0].service == "serviceflow-worker"
    assert workflow[0].attributes["temporalWorkflowID"] == run.case
    services = {s.name: s.service for s in chain}
    assert (
        services["POST /webhooks/{vendor}"]
        == services["SignalWithStartWorkflow:Case"]
        == "serviceflow-receiver"
    )
    assert services["RunActivity:decide"] == services["PUT Zendesk"] == "serviceflow-worker"
    root = chain[-1]
    assert root.kind == "SERVER" and root.parent_span_id == ""
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["serviceflow.case"] == run.case
    put = chain[0]
    assert put.kind == "CLIENT" and put.attributes["http.response.status_code"] == 200
    assert put.attributes["url.full"] == f"{run.system.zendesk.base_url}/api/v2/tickets/{run.ticket_id}"
    # The receiver's other steps sit under the same root.
    steps = {s.name for s in trace if s.parent_span_id == root.span_id}
    assert {"verify", "identity", "parse", "signal"} <= steps


@requires_otel
def test_a_later_webhook_for_the_open_case_is_a_trace_the_case_links_to(run: Run) -> None:
    chain = trace_of_the_action(run.spans, run.case)
    assert chain is not None
    case_trace = chain[0].trace_id
    # A later event goes as a plain signal from the receiver that started the case (cases.py
    # RunningCases), by signal-with-start from one that has not seen it.
    names = ("SignalWithStartWorkflow:Case", "SignalWorkflow:event")
    signalled = {
        s.trace_id
        for s in run.spans
        if s.name in names and s.attributes.get("temporalWorkflowID") == run.case
    }
    later = signalled - {case_trace}
    assert later, "serviceflow's own write came back as no webhook"  # the assignment's echo
    linked = {
        link
        for s in run.spans
        if s.trace_id == case_trace and s.name == "HandleSignal:event"
        for link in s.links
    }
    assert later <= linked


@requires_otel
def test_no_span_holds_the_tickets_text(run: Run) -> None:
    for span in run.spans:
        text = repr((span.name, span.attributes))
        assert not any(words in text for words in SECRET_WORDS), span


def about_the_case(line: dict[str, Any], run: Run) -> bool:
    """A line about the case: it names the ticket, is the receiver's account of a delivery that
    reached cases, or is logged by the workflow, an activity or the helpdesk call of one."""
    message = str(line.get("message", ""))
    return (
        re.search(rf"\bticket {run.ticket_id}\b|/tickets/{run.ticket_id}\b", message) is not None
        or run.case in message
        or (line["logger"] == "serviceflow.receiver" and "status=200 events=" in message)
        or line["logger"].startswith(("temporalio.workflow", "temporalio.activity"))
    )


@pytest.mark.parametrize("log", ["serve.log", "worker.log"])
def test_every_line_about_the_case_names_it(run: Run, log: str) -> None:
    lines = run.system.log_lines(log)
    about = [line for line in lines if about_the_case(line, run)]
    assert about, f"{log} says nothing about the case"
    unnamed = [line for line in about if line.get("case") != run.case]
    assert not unnamed, unnamed
    # And no line names another case.
    assert {line["case"] for line in lines if "case" in line} == {run.case}


def test_the_receiver_names_the_case_on_each_delivery_it_signals(run: Run) -> None:
    taken = [
        line for line in run.system.log_lines("serve.log") if "status=200 events=" in str(line.get("message"))
    ]
    assert taken and all(line.get("case") == run.case for line in taken)


@pytest.mark.parametrize("log", ["serve.log", "worker.log"])
def test_no_line_holds_the_tickets_text(run: Run, log: str) -> None:
    text = run.system.log(log)
    assert not [words for words in SECRET_WORDS if words in text]
