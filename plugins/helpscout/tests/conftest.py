"""Fixtures for the Help Scout plugin tests: one real fake on 127.0.0.1, reset per test.

One fake server serves the whole session and is reset before each test. Its lists are paged two
at a time (Help Scout's own page sizes are 50 and 25, and it takes no size parameter: the fake's
knob), so every listing takes several pages, and its webhook retries wait zero seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from helpscout_contract import HelpScoutDesk
from helpscout_testing import ACCOUNT, SleepRecorder, adapter_for_fake
from serviceflow_helpscout.adapter import HelpScoutAdapter
from serviceflow_helpscout.fake import FakeHelpScout

from serviceflow import testing

PAGE = 2


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeHelpScout]:
    with FakeHelpScout(
        webhook_retry_delays=(0.0, 0.0, 0.0), page_size=PAGE, conversation_page_size=PAGE
    ) as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeHelpScout) -> FakeHelpScout:
    """A fresh fake account for one test."""
    fake_server.reset()
    return fake_server


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def adapter(fake: FakeHelpScout, sleeps: SleepRecorder) -> AsyncIterator[HelpScoutAdapter]:
    """The adapter with its own settings pointing at the fake, sleeps recorded."""
    made = adapter_for_fake(fake, sleeps)
    yield made
    await made.aclose()


@pytest.fixture
async def helpdesk_contract(fake: FakeHelpScout) -> AsyncIterator[testing.ContractTarget]:
    """serviceflow's conformance suite (``serviceflow.testing``) against the fake: the adapter
    with its own settings, the fake's pages of two, sleeps recorded."""
    sleeps = testing.SleepRecorder()
    adapter = adapter_for_fake(fake, sleeps)
    yield testing.ContractTarget(
        adapter=adapter, account=ACCOUNT, desk=HelpScoutDesk(fake), sleeps=sleeps.delays, page_size=PAGE
    )
    await adapter.aclose()
