"""serviceflow.plugins.http.TransportOptions: the knobs the three helpdesk clients share, in one
place, over real HTTP on 127.0.0.1. Each client keeps its own defaults (its ``User-Agent``; Help
Scout's larger pacing reserve) unless the caller's options set them, an options object sets
every other knob, and the old keyword arguments still override single fields."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import fields

import pytest
from serviceflow_freshdesk.client import TRANSPORT as FRESHDESK
from serviceflow_freshdesk.client import FreshdeskClient
from serviceflow_helpscout.client import TRANSPORT as HELPSCOUT
from serviceflow_helpscout.client import HelpScoutClient
from serviceflow_helpscout.rest import PACE_RESERVE
from serviceflow_zendesk.auth import ApiToken
from serviceflow_zendesk.client import TRANSPORT as ZENDESK
from serviceflow_zendesk.client import ZendeskClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serviceflow.fakes.server import ServerThread
from serviceflow.plugins import http


class Recorder:
    """Answers the token request with a token and everything else with ``status``; keeps each
    request's ``User-Agent``."""

    def __init__(self) -> None:
        self.status = 404
        self.agents: list[str | None] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST"])])

    async def handle(self, request: Request) -> Response:
        with self._lock:
            self.agents.append(request.headers.get("user-agent"))
        if request.url.path == "/v2/oauth2/token":
            return JSONResponse({"token_type": "bearer", "access_token": "t", "expires_in": 7200})
        return JSONResponse({"error": "RecordNotFound"}, status_code=self.status)


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    vendor = Recorder()
    with ServerThread(vendor.app) as server:
        yield vendor, server.base_url


def test_the_defaults_are_the_ones_each_client_had() -> None:
    shared = http.TransportOptions()
    assert (shared.max_retries, shared.max_retry_after, shared.backoff_initial) == (4, 60.0, 0.5)
    assert (shared.backoff_max, shared.reserve, shared.timeout) == (8.0, 5, 10.0)
    assert shared.pace_reserve is None and shared.user_agent is None and shared.agent == "serviceflow"
    assert shared.transport is None and shared.verify is True
    assert ZENDESK.user_agent == "serviceflow-zendesk" and ZENDESK.reserve == 5
    assert FRESHDESK.user_agent == "serviceflow-freshdesk" and FRESHDESK.reserve == 5
    assert HELPSCOUT.user_agent == "serviceflow-helpscout" and HELPSCOUT.pace_reserve == PACE_RESERVE == 10
    # Nothing else differs from the shared defaults.
    for vendor in (ZENDESK, FRESHDESK, HELPSCOUT):
        differ = {f.name for f in fields(vendor) if getattr(vendor, f.name) != getattr(shared, f.name)}
        assert differ <= {"user_agent", "pace_reserve"}


def test_options_built_from_scratch_keep_what_they_leave_to_the_plugin() -> None:
    # A caller's options that leave the pacing reserve and agent unset (None) take the plugin's:
    # Help Scout's reserve of 10 (two units per write) is not dropped by TransportOptions(timeout=30).
    mine = http.TransportOptions(timeout=30.0)
    for plugin, reserve, agent in (
        (ZENDESK, 5, "serviceflow-zendesk"),
        (FRESHDESK, 5, "serviceflow-freshdesk"),
        (HELPSCOUT, PACE_RESERVE, "serviceflow-helpscout"),
    ):
        chosen = http.options_for(plugin, mine, {})
        assert (chosen.timeout, chosen.reserve, chosen.agent) == (30.0, reserve, agent)
        assert http.options_for(plugin, None, {}) is plugin
        # What the caller sets wins over the plugin's; a knob over both.
        set_here = http.options_for(plugin, http.TransportOptions(pace_reserve=2, user_agent="x"), {})
        assert (set_here.reserve, set_here.agent) == (2, "x")
        assert http.options_for(plugin, mine, {"pace_reserve": 7}).reserve == 7


def test_knobs_replace_single_fields_and_the_retry_policy_follows() -> None:
    async def sleep(seconds: float) -> None:
        del seconds

    base = http.TransportOptions(max_retries=2, timeout=3.0)
    assert base.with_knobs({}) is base
    changed = base.with_knobs({"max_retry_after": 5.0, "sleep": sleep})
    assert (changed.max_retries, changed.timeout, changed.max_retry_after) == (2, 3.0, 5.0)
    policy = changed.retry_policy()
    assert (policy.max_retries, policy.max_retry_after, policy.sleep) == (2, 5.0, sleep)
    assert (policy.backoff_initial, policy.backoff_max) == (0.5, 8.0)
    with pytest.raises(TypeError):
        base.with_knobs({"no_such_knob": 1})  # type: ignore[typeddict-unknown-key]


async def test_each_client_sends_its_own_agent_unless_told_otherwise(
    recorder: tuple[Recorder, str],
) -> None:
    vendor, url = recorder
    own = http.TransportOptions(user_agent="acme-ops/1.0", max_retries=0)
    theirs = ["serviceflow-zendesk", "serviceflow-freshdesk", "serviceflow-helpscout"]
    for options, knobs, expected in (
        (None, {}, theirs),
        (http.TransportOptions(max_retries=0), {}, theirs),  # options without an agent: the plugin's
        (own, {}, ["acme-ops/1.0"] * 3),
        (own, {"user_agent": "knob/2"}, ["knob/2"] * 3),
    ):
        vendor.agents.clear()
        async with ZendeskClient(url, ApiToken("a@b.c", "t"), options=options, **knobs) as zd:
            with pytest.raises(http.ApiError):
                await zd.get_user(1)
        async with FreshdeskClient(url, "key", options=options, **knobs) as fd:
            with pytest.raises(http.ApiError):
                await fd.get_ticket(1)
        async with HelpScoutClient(url, "id", "secret", options=options, **knobs) as hs:
            with pytest.raises(http.ApiError):
                await hs.customer("1")
        # Help Scout's token request (its own exchange, :mod:`serviceflow_helpscout.auth`) comes
        # before the call; the agent is the client's on the call.
        assert len(vendor.agents) == 4
        assert [vendor.agents[0], vendor.agents[1], vendor.agents[3]] == expected


async def test_an_options_object_sets_the_retries_and_a_knob_overrides_it(
    recorder: tuple[Recorder, str],
) -> None:
    vendor, url = recorder
    vendor.status = 503
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    options = http.TransportOptions(max_retries=2, backoff_initial=0.01, sleep=sleep)
    for knobs, sends in (({}, 3), ({"max_retries": 0}, 1)):
        vendor.agents.clear()
        slept.clear()
        async with FreshdeskClient(url, "key", options=options, **knobs) as fd:
            with pytest.raises(http.ServerError):
                await fd.get_ticket(1)
        assert len(vendor.agents) == sends and len(slept) == sends - 1
