"""A case's notifications through channels, on a real time-skipping server and real HTTP: a
breached promise's escalation goes to the helpdesk (the adapter) and to every channel its ladder
level names; a channel that keeps failing is retried and given up on its own, holding up
neither the case nor the other channel; every delivery is recorded in the case and counted."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from durable_support import REPO, FakeHelpdesk, eventually
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from test_case_workflow import event, new_ticket_id, start_case, state_of

from serviceflow.channels import ChannelRegistry, Channels, DeliveryRetry, parse_channels
from serviceflow.channels.fake import FakeMattermost, FakeSlack
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.notifier import MAX_DELIVERY_ATTEMPTS
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.fakes.waiting import skip_time
from serviceflow.model import Action, CaseState
from serviceflow.policy import load_policy_set

LEVEL_ONE = "      - notify: [owner, owner.lead]         # the day a promise is missed, not before\n"
VIA = "      - notify: [owner, owner.lead]\n        via: [helpdesk, 'slack:leads', 'mattermost:down']\n"


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server of this module's own: days are skipped here, and other tests' cases (with
    their own timers and activities) must not be skipped through with them."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
def policies(tmp_path: Path) -> list[Path]:
    """The shipped policies, with level 1 of the promise ladder told on Slack and Mattermost too."""
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "workflows", tmp_path / "workflows")
    policyset = tmp_path / "policies" / "policyset.yaml"
    text = policyset.read_text()
    assert LEVEL_ONE in text
    policyset.write_text(text.replace(LEVEL_ONE, VIA, 1))
    return [tmp_path / "policies", tmp_path / "workflows"]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost() as fake:
        yield fake  # type: ignore[misc]


async def no_wait(seconds: float) -> None:
    """In-process retries do not really wait: the server's retry schedule is what is tested."""


def channels(slack: FakeSlack, mattermost: FakeMattermost) -> Channels:
    raw = {"slack:leads": {"url": slack.url}, "mattermost:down": {"url": mattermost.url}}
    configs = parse_channels(raw, ChannelRegistry.from_plugins())
    built = Channels.from_configs(configs, DeliveryRetry(attempts=1, sleep=no_wait))
    for name in built.names:
        pacer = getattr(built.get(name), "pacer", None)
        if pacer is not None:
            pacer.sleep = no_wait
    return built


async def skip(env: WorkflowEnvironment, *, days: int) -> None:
    await skip_time(env, timedelta(days=days))


def level(action: Action) -> int | None:
    return getattr(action, "escalation_level", None)


async def breach_a_promise(env: WorkflowEnvironment, queue: str):  # type: ignore[no-untyped-def]
    """The refund promise story of test_case_workflow, made now and missed: the clock is moved to
    a minute past its due time, 5 business days on the office calendar. Counted, not assumed: the
    test server's clock starts at the real time, and 5 business days are 7 days from a Monday
    morning but nearly 11 from the evening of 24 December (two holidays and a weekend)."""
    office = BusinessCalendar.from_spec(
        "office", load_policy_set([REPO / "policies"]).settings.calendars["office"]
    )
    now = await env.get_current_time()
    new_ticket_id()
    handle = await start_case(env, queue, event("created", now, "customer", "n1"))
    await handle.signal("event", event("agent_reply", now, "agent", "n2"))
    note = event("internal_note", now, "agent", "n3", body="#promise refund in 5 business days")
    await handle.signal("event", note)
    await skip_time(env, office.add_business_days(now, 5) - now + timedelta(minutes=1))
    return handle


async def test_a_breach_is_told_in_the_helpdesk_and_on_every_channel_its_level_names(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, policies, slack, mattermost
) -> None:
    mattermost.fail(500, times=MAX_DELIVERY_ATTEMPTS + 5)  # down for good
    built = worker(policies, channels=channels(slack, mattermost))
    async with built:
        handle = await breach_a_promise(env, built.task_queue)
        await helpdesk.wait_for(lambda applied: any(a.rule == "refund" for a in applied))
        (escalation,) = [
            a for a in helpdesk.applied if a.rule == "refund" and getattr(a, "escalation_level", 0) == 1
        ]
        assert escalation.channels == ("helpdesk", "slack:leads", "mattermost:down")

        (message,) = slack.messages
        text = str(message)
        ticket_id = handle.id.rsplit(":", 1)[1]
        assert f"ticket {ticket_id}" in text and "Charged twice" in text
        assert "Ann" in text and "Lee" in text  # by name, from the roster
        assert f"https://demo.helpdesk.example/tickets/{ticket_id}" in text

        async def recorded() -> CaseState:
            state = await state_of(handle)
            assert {d.channel for d in state.deliveries if d.key == escalation.key} == {
                "helpdesk", "slack:leads", "mattermost:down",
            }  # fmt: skip
            return state

        await skip(env, days=1)  # the server's retries of Mattermost run out
        state = await eventually(recorded, 20, "the three deliveries recorded")
        by_channel = {d.channel: d for d in state.deliveries if d.key == escalation.key}
        assert by_channel["helpdesk"].outcome == "delivered"
        assert by_channel["slack:leads"].outcome == "delivered"
        assert by_channel["mattermost:down"].outcome == "retryable"
        assert "gave up" in by_channel["mattermost:down"].detail
        assert by_channel["slack:leads"].recipients == ("Ann", "Lee")
        assert len(mattermost.calls.snapshot()) == MAX_DELIVERY_ATTEMPTS
        assert len(slack.messages) == 1  # told once

        metric = built.activities.metrics.registry.get_sample_value  # type: ignore[attr-defined]
        name = "serviceflow_notification_deliveries_total"
        assert metric(name, {"channel": "slack:leads", "outcome": "delivered"}) == 1
        assert metric(name, {"channel": "helpdesk", "outcome": "delivered"}) >= 1
        assert metric(name, {"channel": "mattermost:down", "outcome": "retryable"}) == 1
        assert (
            metric(name, {"channel": "mattermost:down", "outcome": "retrying"}) == MAX_DELIVERY_ATTEMPTS - 1
        )

        # The case went on deciding meanwhile: a customer message is still decided.
        later = await env.get_current_time()
        await handle.signal("event", event("customer_message", later, "customer", "n4", body="Any news?"))

        async def decided() -> bool:
            return any(d.input.endswith(" n4") for d in (await state_of(handle)).decisions)

        await eventually(decided, 20, "the customer's message decided")
        await handle.terminate("done")


async def test_a_notify_for_other_channels_only_is_not_the_helpdesks(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, policies, slack, mattermost, tmp_path: Path
) -> None:
    policyset = tmp_path / "policies" / "policyset.yaml"
    policyset.write_text(policyset.read_text().replace("via: [helpdesk, ", "via: [", 1))
    built = worker(policies, channels=channels(slack, mattermost))
    async with built:
        handle = await breach_a_promise(env, built.task_queue)

        async def told() -> CaseState:
            state = await state_of(handle)
            assert any(d.channel == "slack:leads" for d in state.deliveries)
            return state

        state = await eventually(told, 20, "the Slack delivery recorded")
        (on_slack,) = [d for d in state.deliveries if d.channel == "slack:leads"]
        assert not [a for a in helpdesk.applied if a.key == on_slack.key]
        assert not [d for d in state.deliveries if d.channel == "helpdesk" and d.key == on_slack.key]
        assert len(slack.messages) == 1
        await handle.terminate("done")
