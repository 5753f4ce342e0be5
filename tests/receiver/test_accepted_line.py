"""The receiver's accepted line (receiver/logs.py ``accepted``) is the line ``log.info`` writes,
in both log formats, with its case, through every filter the process installs."""

from __future__ import annotations

import io
import json
import logging

import pytest

from serviceflow.logs import case_context, configure_logging
from serviceflow.receiver import logs


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_the_accepted_line_is_the_line_log_info_writes(log_format: str, level: str) -> None:
    root = logging.getLogger()
    kept = (list(root.handlers), root.level)
    log = logging.getLogger("serviceflow.receiver")
    try:
        lines = []
        for emit in (
            lambda: log.info(logs.ACCEPTED, "zendesk", 2, 1),
            lambda: logs.accepted(log, "zendesk", 2, 1),
        ):
            stream = io.StringIO()
            configure_logging(log_format, level, stream=stream)
            logs.install()
            with case_context("zendesk:acme:42"):
                emit()
            lines.append(stream.getvalue())
    finally:
        root.handlers[:], root.level = kept
    if level == "WARNING":
        assert lines == ["", ""]
        return
    if log_format == "json":
        ours, theirs = (json.loads(line) for line in lines)
        assert ours.pop("time") and theirs.pop("time")
        assert ours == theirs
        assert ours["case"] == "zendesk:acme:42"
        assert ours["message"] == "webhook vendor=zendesk status=200 events=2 duplicates=1"
    else:
        ours, theirs = (line.split(" ", 2)[2] for line in lines)  # past the time
        assert (
            ours
            == theirs
            == "INFO serviceflow.receiver: webhook vendor=zendesk status=200 events=2 duplicates=1\n"
        )
