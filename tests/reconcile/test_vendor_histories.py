"""Each plugin's ticket history against its own fake over HTTP: the creation first, then the
messages, replies and notes at their real times, our own writes as serviceflow's; a reconcile
sweep can rewind each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serviceflow_freshdesk.adapter import FreshdeskAdapter
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.settings import FreshdeskSettings
from serviceflow_helpscout.adapter import HelpScoutAdapter
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.settings import HelpScoutSettings

from serviceflow.adapters.rewind import rewind
from serviceflow.errors import TicketGone
from serviceflow.model import ActorRole, EventKind


@pytest.fixture
def freshdesk() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk(webhook_retry_delays=(0.0,)) as fake:
        yield fake


@pytest.fixture
def helpscout() -> Iterator[FakeHelpScout]:
    with FakeHelpScout(webhook_retry_delays=(0.0,), page_size=2, conversation_page_size=2) as fake:
        yield fake


async def test_freshdesk_history_is_the_ticket_and_its_conversations(freshdesk: FakeFreshdesk) -> None:
    settings = FreshdeskSettings(
        _env_file=None,  # type: ignore[call-arg]
        domain=None, base_url=freshdesk.base_url, api_key=freshdesk.api_key, webhook_secret="s",
        custom_statuses={}, on_hold_status=None,
    )  # fmt: skip
    adapter = FreshdeskAdapter(settings, client_options={"page_size": 2})
    ann = freshdesk.add_agent("Ann", email="ann@shop.example")
    ticket = freshdesk.add_ticket("Refund", email="casey@example.com")
    freshdesk.agent_reply(ticket["id"], "We are on it.", actor_id=ann["id"])
    freshdesk.customer_reply(ticket["id"], "Thanks.")
    freshdesk.add_note(ticket["id"], "#promise refund friday", actor_id=ann["id"])
    freshdesk.add_note(ticket["id"], "[sf:x] our own note")  # the API key's agent: serviceflow
    try:
        identity = await adapter.whoami("127.0.0.1")
        history = await adapter.ticket_history("127.0.0.1", str(ticket["id"]), identity=identity)
        kinds = [(e.kind, e.actor.role) for e in history.events]
        assert kinds == [
            (EventKind.CREATED, ActorRole.CUSTOMER),
            (EventKind.AGENT_REPLY, ActorRole.AGENT),
            (EventKind.CUSTOMER_MESSAGE, ActorRole.CUSTOMER),
            (EventKind.INTERNAL_NOTE, ActorRole.AGENT),
            (EventKind.INTERNAL_NOTE, ActorRole.SERVICEFLOW),
        ]
        assert history.complete and history.events[3].body.startswith("#promise refund")
        again = await adapter.ticket_history("127.0.0.1", str(ticket["id"]), identity=identity)
        assert [e.id for e in again.events] == [e.id for e in history.events]  # stable ids
        assert rewind(history.events[-1].ticket, history.events)[-1].reconciled
        with pytest.raises(TicketGone):
            await adapter.ticket_history("127.0.0.1", "999999", identity=identity)
    finally:
        await adapter.aclose()


async def test_help_scout_history_has_the_ids_its_webhooks_give(helpscout: FakeHelpScout) -> None:
    settings = HelpScoutSettings(
        _env_file=None,  # type: ignore[call-arg]
        base_url=helpscout.base_url, app_id=helpscout.app_id, app_secret=helpscout.app_secret,
        webhook_secret="s",
    )  # fmt: skip
    adapter = HelpScoutAdapter(settings)
    ann = helpscout.add_user("Ann", "ann@shop.example")
    casey = helpscout.add_customer("Casey", "casey@example.com")
    opened = helpscout.open_conversation(casey["id"], "Refund", "Charged twice.", notify=False)
    helpscout.user_reply(opened["id"], ann["id"], "On it.")
    helpscout.customer_writes(opened["id"], "Thanks.")
    helpscout.user_note(opened["id"], ann["id"], "#promise refund friday")
    try:
        identity = await adapter.whoami("127.0.0.1")
        history = await adapter.ticket_history("127.0.0.1", str(opened["id"]), identity=identity)
        assert [e.kind for e in history.events] == [
            EventKind.CREATED, EventKind.AGENT_REPLY, EventKind.CUSTOMER_MESSAGE, EventKind.INTERNAL_NOTE,
        ]  # fmt: skip
        assert history.events[0].id == f"helpscout:{opened['id']}:created"
        assert all(e.id.startswith(f"helpscout:{opened['id']}:thread:") for e in history.events[1:])
        assert [e.time for e in history.events] == sorted(e.time for e in history.events)
    finally:
        await adapter.aclose()
