"""JSON logs (SERVICEFLOW_LOG_FORMAT=json) name the case on every line that belongs to one: set
by case_context, by the SDK's workflow/activity extras, or by the activity a line is logged in."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from collections.abc import Iterator

import pytest
from lab_support import logs_captured
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from serviceflow.logs import case_context


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    with logs_captured("json", "INFO") as stream:
        yield stream


def read(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_outside_any_case_has_no_case(lines: io.StringIO) -> None:
    logging.getLogger("serviceflow.test").info("starting %s", "up")
    (line,) = read(lines)
    assert line["message"] == "starting up" and line["level"] == "INFO" and "case" not in line
    assert {"time", "logger"} <= line.keys()


async def test_concurrent_cases_never_mix(lines: io.StringIO) -> None:
    log = logging.getLogger("serviceflow.test")

    # The two cases take turns, each still inside its case_context while the other logs: the
    # interleaving is what the test is about (checked below), each turn awaited with a bound.
    turns = {"zendesk:acme:1": asyncio.Event(), "zendesk:acme:2": asyncio.Event()}
    turns["zendesk:acme:1"].set()

    async def work(case: str, then: str) -> None:
        with case_context(case):
            for step in range(3):
                await asyncio.wait_for(turns[case].wait(), 10)
                turns[case].clear()
                log.info("step %d of %s", step, case)
                turns[then].set()

    await asyncio.gather(work("zendesk:acme:1", "zendesk:acme:2"), work("zendesk:acme:2", "zendesk:acme:1"))
    logged = read(lines)
    for line in logged:
        assert str(line["message"]).endswith(str(line["case"]))
    order = [line["case"] for line in logged]
    assert order == ["zendesk:acme:1", "zendesk:acme:2"] * 3  # the two cases really did interleave


async def test_an_activity_line_names_its_case(lines: io.StringIO) -> None:
    @activity.defn
    async def carry_out() -> None:
        logging.getLogger("serviceflow.durable.activities").warning("the helpdesk said 429")
        activity.logger.info("through the SDK's logger")

    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, workflow_id="freshdesk:acme:77")
    await environment.run(carry_out)
    assert [line["case"] for line in read(lines)] == ["freshdesk:acme:77", "freshdesk:acme:77"]
    assert all("temporal_activity" not in line for line in read(lines))


def test_text_logs_stay_text() -> None:
    with logs_captured("text", "WARNING") as stream:
        logging.getLogger("serviceflow.test").info("hidden")
        logging.getLogger("serviceflow.test").warning("shown")
    assert stream.getvalue().count("\n") == 1 and "WARNING serviceflow.test: shown" in stream.getvalue()
