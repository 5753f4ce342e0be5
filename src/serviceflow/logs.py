"""Logging for serviceflow's processes: text for a terminal, JSON lines for a log pipeline.

``SERVICEFLOW_LOG_FORMAT=json`` writes one JSON object a line (python-json-logger), with the
case id in ``case`` on every line that belongs to a case. The case comes from, in order:

- :func:`case_context`, a context variable code sets around work on one case (it follows the
  asyncio task, so concurrent cases never mix);
- the Temporal SDK's own ``extra`` on lines logged through ``workflow.logger`` or
  ``activity.logger`` (the workflow id *is* the case id);
- the activity a line is logged from (``activity.info().workflow_id``).

Ticket content never reaches a log line through the Temporal SDK: at DEBUG the SDK logs every
activity's completion and heartbeat details (``temporalio.worker._activity``: "Completing
activity with completion: %s", the whole result payload, e.g. a ticket read with its requester's
email and description). :class:`PayloadFilter` keeps such lines but withholds their non-scalar
arguments (see its docstring).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from temporalio import activity

_case: contextvars.ContextVar[str | None] = contextvars.ContextVar("serviceflow_case", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class case_context(contextlib.AbstractContextManager[None]):  # noqa: N801 - used as a function
    """Every line logged inside the block (in this task) names ``case_id``.

    A class rather than a generator: the receiver enters it twice per webhook.
    """

    __slots__ = ("_case_id", "_token")

    def __init__(self, case_id: str) -> None:
        self._case_id = case_id

    def __enter__(self) -> None:
        self._token = _case.set(self._case_id)

    def __exit__(self, *_exc: object) -> None:
        _case.reset(self._token)


def current_case(record: logging.LogRecord | None = None) -> str | None:
    """The case a log line belongs to, if any (see the module docstring)."""
    case = _case.get()
    if case:
        return case
    if record is not None:
        for key in ("temporal_workflow", "temporal_activity"):
            extra = getattr(record, key, None)
            if isinstance(extra, dict) and extra.get("workflow_id"):
                return str(extra["workflow_id"])
    if activity.in_activity():
        return activity.info().workflow_id
    return None


class CaseFilter(logging.Filter):
    """Puts ``record.case`` on every record, at the moment it is logged (where the context is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "case", None):
            record.case = current_case(record)
        return True


_SCALARS = (str, int, float, bool, type(None))


class PayloadFilter(logging.Filter):
    """Withholds the payload-carrying arguments of the Temporal SDK's own log lines.

    A line from a ``temporalio`` logger keeps its message and its scalar arguments (an activity
    type, a run id, a reason); any other argument (a protobuf completion, a tuple of heartbeat
    details, a dict) becomes ``<TypeName withheld>``. The line still says what happened, never
    with what data. serviceflow's own lines are left alone (they log ids, not content).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("temporalio") and record.args:
            if isinstance(record.args, Mapping):
                record.args = {key: _withheld(value) for key, value in record.args.items()}
            else:
                record.args = tuple(_withheld(arg) for arg in record.args)
        return True


def _withheld(arg: object) -> object:
    return arg if isinstance(arg, _SCALARS) else f"<{type(arg).__name__} withheld>"


class CaseJsonFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, case (when there is one), and any
    ``extra`` fields; the SDK's nested ``temporal_*`` extras are folded into ``case``."""

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        for key in ("temporal_workflow", "temporal_activity"):
            log_record.pop(key, None)
        if not log_record.get("case"):
            log_record.pop("case", None)


def json_formatter() -> logging.Formatter:
    return CaseJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(case)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(log_format: str = "text", level: str | int = "INFO", *, stream: Any = None) -> None:
    """Set up the root logger once for a process: ``text`` or ``json`` lines on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(CaseFilter())
    handler.addFilter(PayloadFilter())
    if str(log_format) == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
