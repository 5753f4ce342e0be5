"""Record workflow histories as replay fixtures: `.venv/bin/python tests/durable/make_histories.py`.

Each history is recorded on the time-skipping test server with the workflow code of the day.
test_replay.py replays every one with today's code: a change to the workflow that would break
running cases fails there. Recorded once and committed; re-record only on purpose.

- promise_breach.json: a refund promise made, missed, escalated.
- before_policy_change.json: decisions made under one policy set version, then the policy
  file changes (the first-response target is removed) and the case goes on under the next.
- local_actions.json: the promise story again, recorded after actions became local activities
  (`workflow.patched("actions-as-local-activities")`); the two above were recorded before, so
  both paths stay guarded.
- decide_fallback.json: a decision that raises on every attempt, recorded after the decide
  activity got a bounded retry policy (`workflow.patched("decide-bounded-retries")`): the case
  falls back to the safe owner and a note, then decides the next event as usual.
- notify_channels.json: the promise story with the promise ladder's first level told on a
  (fake) Slack channel too, recorded after notifications went through channels
  (`workflow.patched("notify-through-channels")`): the helpdesk note, then the delivery
  activity, each delivery recorded in the case.
- query_during_read.json: a new case queried while its first read of the full ticket resolves
  (sdk-core sends the read's marker with the query's answer, a task before the decision), on a
  dev server, recorded after every change was asked at the start of a run
  (`workflow.patched("patches-at-run-start")`); the histories above show each change asked
  where it first applied.
- full_ticket.json: a case whose webhook carries no recipient, recorded after the full ticket
  was read at case open (`workflow.patched("read-the-full-ticket")`): the read, the decision
  with the helpdesk's recipient and requester, a later event completed from the case.
- case_in_decide.json: the full_ticket story again, recorded after the decide activity took
  over the case (`workflow.patched("case-in-decide")`, durable/compact.py): the workflow keeps
  the state as the activity's JSON (each decide marker carries `state_json` and the `view`), the
  later event completed from it, and the activity carries out the owner's assignment itself
  (no carry_out marker).
- case_in_decide_channels.json: the notify_channels story under `case-in-decide`: the helpdesk
  notes carried out by the decide activity, the Slack delivery by the workflow, recorded, sent
  with the next decision and kept in its state.
- state_packed.json, state_packed_channels.json: the two stories above again, recorded after the
  state was packed (`workflow.patched("state-packed")`, durable/compact.py's packed()): each
  decide marker's `state_json` is the state's JSON deflated and base64'd, the later event
  completed from the packed state's ticket, the Slack delivery sent with the next decision.
- foreign_event_decided.json, foreign_event_ignored.json: a case signalled an event of another
  ticket between two of its own. The first was recorded with main's code of 2026-12-05 (e152e63,
  before `workflow.patched("own-events-only")`: `git archive main`, this script copied in, run
  with `PYTHONPATH=<that tree>/src`): the other ticket's event decided into the case, which took
  that ticket as its own. The second with today's: logged and ignored (durable/own_events.py).
- link_signal.json: a case signalled `link` by a repeat contact's case (a LinkContact), then a
  `link` with no argument (logged, ignored: the handlers take `*args`, durable/signal_args.py),
  then its own event; the contact is decided into `linked_tickets`.

Existing fixtures are kept; `--force` records them again.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from durable_support import ROSTER, STAND_IN, FakeHelpdesk, FullTickets, outcomes_in  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402
from test_case_workflow import event, new_ticket_id, start_case, ticket  # noqa: E402
from test_decide_fallback import FaultyDecide  # noqa: E402

from serviceflow.channels import ChannelRegistry, Channels, parse_channels  # noqa: E402
from serviceflow.channels.fake import FakeSlack  # noqa: E402
from serviceflow.durable.activities import CaseActivities  # noqa: E402
from serviceflow.durable.binaries import temporal_cli, temporal_test_server  # noqa: E402
from serviceflow.durable.notifier import NotificationActivities  # noqa: E402
from serviceflow.durable.policy_store import PolicyStore  # noqa: E402
from serviceflow.durable.registration import worker_activities  # noqa: E402
from serviceflow.durable.workflows import CaseWorkflow  # noqa: E402
from serviceflow.fakes.waiting import skip_time  # noqa: E402
from serviceflow.plugins import get_plugin_manager  # noqa: E402

LEVEL_ONE = "      - notify: [owner, owner.lead]         # the day a promise is missed, not before\n"
VIA_SLACK = "      - notify: [owner, owner.lead]\n        via: [helpdesk, 'slack:leads']\n"


async def record(env: WorkflowEnvironment, policies: Path, name: str, story, kind=CaseActivities) -> None:  # type: ignore[no-untyped-def]
    target = HERE / "histories" / f"{name}.json"
    if target.exists() and "--force" not in sys.argv:
        print(f"kept {name} (use --force to record it again)")
        return
    store = PolicyStore([policies / "policies", policies / "workflows"])
    activities = kind(store, ROSTER)
    activities.calls = Counter()
    with FakeSlack() as slack:
        raw = {"slack:leads": {"url": slack.url}}  # type: ignore[attr-defined]
        channels = Channels.from_configs(parse_channels(raw, ChannelRegistry.from_plugins()))
        notify = NotificationActivities(channels)
        queue = f"record-{uuid.uuid4()}"
        outcomes = outcomes_in(Path(tempfile.mkdtemp(prefix="record-")))
        worker = Worker(
            env.client,
            task_queue=queue,
            workflows=[CaseWorkflow],
            activities=worker_activities(
                activities, env.client, queue, outcomes, notifications=notify, index_requester=False
            ),
        )
        await _record(worker, env, policies, name, story)


async def _record(worker: Worker, env: WorkflowEnvironment, policies: Path, name: str, story) -> None:  # type: ignore[no-untyped-def]
    async with worker:
        handle = await story(env, worker.task_queue, policies)
        history = await handle.fetch_history()
        await handle.terminate("recorded")  # its timers must not hold up the next story
    (HERE / "histories" / f"{name}.json").write_text(history.to_json())
    print(f"recorded {name}: {len(history.events)} events")


async def promise_breach(env, queue, policies):  # type: ignore[no-untyped-def]
    now = await env.get_current_time()
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "p1"))
    await handle.signal("event", event("agent_reply", now, "agent", "p2"))
    await handle.signal("event", event("internal_note", now, "agent", "p3", body="#promise refund"))
    await skip_time(env, timedelta(days=6))
    return handle


async def before_policy_change(env, queue, policies):  # type: ignore[no-untyped-def]
    now = await env.get_current_time()
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "c1"))
    await skip_time(env, timedelta(hours=1))
    standard = policies / "policies" / "standard.yaml"
    text = standard.read_text()
    start = text.index("  - name: first-response")
    end = text.index("  - name: next-response")
    standard.write_text(text[:start] + text[end:])  # the first-response target is removed
    later = await env.get_current_time()
    await handle.signal("event", event("customer_message", later, "customer", "c2"))
    await skip_time(env, timedelta(hours=20))
    return handle


async def notify_channels(env, queue, policies):  # type: ignore[no-untyped-def]
    policyset = policies / "policies" / "policyset.yaml"
    policyset.write_text(policyset.read_text().replace(LEVEL_ONE, VIA_SLACK, 1))
    now = await env.get_current_time()
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "n1"))
    await handle.signal("event", event("agent_reply", now, "agent", "n2"))
    note = event("internal_note", now, "agent", "n3", body="#promise refund in 5 business days")
    await handle.signal("event", note)
    await skip_time(env, timedelta(days=8))
    return handle


async def full_ticket(env, queue, policies):  # type: ignore[no-untyped-def]
    from serviceflow.adapters.records import Person, TicketRecord

    now = await env.get_current_time()

    def make(ticket_id: str) -> TicketRecord:
        return TicketRecord(
            ticket=ticket(now, recipient="manager@shop.example"),
            requester=Person(id="dana", name="Dana Smith", email="dana@customer.example"),
        )

    STAND_IN.tickets = FullTickets(make=make)
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "t1"))
    await skip_time(env, timedelta(hours=1))
    later = await env.get_current_time()
    await handle.signal("event", event("customer_message", later, "customer", "t2", body="Hello?"))
    await skip_time(env, timedelta(hours=1))
    return handle


async def decide_fallback(env, queue, policies):  # type: ignore[no-untyped-def]
    now = await env.get_current_time()
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "d1", body="#boom"))
    await skip_time(env, timedelta(minutes=5))
    later = await env.get_current_time()
    await handle.signal("event", event("customer_message", later, "customer", "d2", body="Any news?"))
    await skip_time(env, timedelta(hours=2))
    return handle


async def foreign_event(env, queue, policies):  # type: ignore[no-untyped-def]
    """A case signalled an event of another ticket (``temporal workflow signal --workflow-id
    <this case> --name event --input <another ticket's event>``) between two of its own."""
    now = await env.get_current_time()
    own = new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "k1"))
    foreign = event("customer_message", now, "customer", "k-foreign", body="not this case's", id=f"{own}0")
    await handle.signal("event", foreign)
    await handle.signal("event", event("customer_message", now, "customer", "k2", body="Any news?"))
    await skip_time(env, timedelta(hours=1))
    return handle


async def link_signal(env, queue, policies):  # type: ignore[no-untyped-def]
    """A repeat contact's case signals this one ``link`` (a LinkContact naming its ticket); a
    ``link`` with no argument (``temporal workflow signal --name link``) is logged and ignored."""
    from serviceflow.engine.inputs import LinkContact

    now = await env.get_current_time()
    own = new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "j1"))
    await handle.signal("link", LinkContact(ticket_key=f"demo:demo:{own}1", time=now))
    await handle.signal("link", args=[])
    await handle.signal("event", event("customer_message", now, "customer", "j2", body="Any news?"))
    await skip_time(env, timedelta(hours=1))
    return handle


async def main() -> None:
    STAND_IN.actions = FakeHelpdesk()
    get_plugin_manager().register(STAND_IN, name="demo-stand-in")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=pydantic_data_converter,
    )
    try:
        for name, story, kind in (
            ("promise_breach", promise_breach, CaseActivities),
            ("before_policy_change", before_policy_change, CaseActivities),
            ("local_actions", promise_breach, CaseActivities),
            ("decide_fallback", decide_fallback, FaultyDecide),
            ("notify_channels", notify_channels, CaseActivities),
            ("full_ticket", full_ticket, CaseActivities),
            ("case_in_decide", full_ticket, CaseActivities),
            ("case_in_decide_channels", notify_channels, CaseActivities),
            ("state_packed", full_ticket, CaseActivities),
            ("state_packed_channels", notify_channels, CaseActivities),
            ("foreign_event_decided", foreign_event, CaseActivities),
            ("foreign_event_ignored", foreign_event, CaseActivities),
            ("link_signal", link_signal, CaseActivities),
        ):
            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder)
                shutil.copytree(REPO / "policies", copy / "policies")
                shutil.copytree(REPO / "workflows", copy / "workflows")
                await record(env, copy, name, story, kind)
    finally:
        await env.shutdown()
    await query_race()


async def query_race() -> None:
    """query_during_read.json: on a dev server, a new case queried while its first read of the
    full ticket resolves (test_query_during_read.py), recorded after `patches-at-run-start`."""
    from test_query_during_read import query_during_read, racing

    target = HERE / "histories" / "query_during_read.json"
    if target.exists() and "--force" not in sys.argv:
        print("kept query_during_read (use --force to record it again)")
        return
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()), data_converter=pydantic_data_converter, ui=False
    )
    try:
        with racing(), tempfile.TemporaryDirectory() as folder:
            history = await query_during_read(env, Path(folder))
        await env.client.get_workflow_handle(history.workflow_id).terminate("recorded")
    finally:
        await env.shutdown()
    target.write_text(history.to_json())
    print(f"recorded query_during_read: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(main())
