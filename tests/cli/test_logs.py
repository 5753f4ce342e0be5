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
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from serviceflow.logs import case_context, configure_logging


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("json", "INFO", stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def read(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_outside_any_case_has_no_case(lines: io.StringIO) -> None:
    logging.getLogger("serviceflow.test").info("starting %s", "up")
    (line,) = read(lines)
    assert line["message"] == "starting up" and line["level"] == "INFO" and "case" not in line
    assert {"time", "logger"} <= line.keys()


async def test_concurrent_cases_never_mix(lines: io.StringIO) -> None:
    log = logging.getLogger("serviceflow.test")

    async def work(case: str) -> None:
        with case_context(case):
            for step in range(3):
                log.info("step %d of %s", step, case)
                # Not a wait for anything: a yield to the event loop, so that the other case's
                # task logs its next step while this one is still inside its case_context. The
                # interleaving is what the test is about, and it is checked below.
                await asyncio.sleep(0)

    await asyncio.gather(work("zendesk:acme:1"), work("zendesk:acme:2"))
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
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("text", "WARNING", stream=stream)
        logging.getLogger("serviceflow.test").info("hidden")
        logging.getLogger("serviceflow.test").warning("shown")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert stream.getvalue().count("\n") == 1 and "WARNING serviceflow.test: shown" in stream.getvalue()
