"""The workflows' signal arguments, checked by their handlers: a signal that lacks its argument,
brings a null, a wrong shape or more than one argument is logged and ignored, and the workflow
goes on. Workflow code (passed through the sandbox with case_flow.py): deterministic.

Why the handlers take ``*args`` and check them here: the SDK decodes a signal's payloads with the
handler's type hints and, when that fails, logs "Failed deserializing signal input ... dropping
the signal" and drops it (sdk-python issue #347, PR #349: "Log and drop signals whose params
can't be deserialized"). It does not drop what decodes but cannot be called: no payload
(``temporal workflow signal --name event`` without ``--input``) calls the handler without its
argument, a ``binary/null`` payload (``handle.signal("event", None)``) decodes to None whatever
the hint, and a count of payloads other than the hints' is decoded without them
(temporalio/worker/_workflow_instance.py, ``_convert_payloads``: "Only use type hints if they
match count"). An exception raised by a handler (TypeError, a ValidationError) is not a Temporal
failure, so it fails the workflow task, which is retried for ever (docs.temporal.io/kb/failures,
"Errors in Workflows": a Workflow Task Failure is retried; a Workflow Execution Failure needs an
ApplicationError): every later input of the case waited behind it, its timers too.

With ``*args`` the SDK reads no hint (temporalio/common.py, ``_type_hints_from_func``: any
non-positional parameter means none), decodes each payload as plain JSON, and the handler
validates the one argument with the model the hint named: the same pydantic model, in Python
mode instead of JSON mode, which gives the same value for each payload our clients send (the
committed replay histories replay unchanged: tests/durable/test_replay.py). What is ignored is
logged with the signal's name and what was wrong (``describe_validation``: field names and
problems, never a value given: an event carries a customer's words).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow

from serviceflow.durable.intervals import configured_interval
from serviceflow.errors import describe_validation

M = TypeVar("M", bound=BaseModel)


def one_argument(signal: str, args: tuple[object, ...], model: type[M]) -> M | None:
    """The one argument of ``signal`` as ``model``, or None (logged; the signal is ignored)."""
    if len(args) != 1:
        workflow.logger.warning(
            "signal %r: %d arguments given where it takes one (a %s); ignored",
            signal,
            len(args),
            model.__name__,
        )
        return None
    try:
        return model.model_validate(args[0])
    except ValidationError as exc:
        workflow.logger.warning(
            "signal %r: its argument is not a %s (%s); ignored",
            signal,
            model.__name__,
            describe_validation(exc),
        )
        return None


def configured(args: tuple[object, ...]) -> timedelta | None:
    """A ``configure`` signal's one argument as an interval in range, or None (logged; the signal
    is ignored): the quarantine watcher's and the reconciler's, checked alike
    (``intervals.configured_interval`` logs one out of range or not a number)."""
    if len(args) != 1:
        workflow.logger.warning(
            "signal 'configure': %d arguments given where it takes one; ignored", len(args)
        )
        return None
    return configured_interval(args[0], workflow.logger)


def no_argument(signal: str, args: tuple[object, ...]) -> None:
    """Log the arguments of a signal that takes none: they are ignored, the signal is not."""
    if args:
        workflow.logger.warning("signal %r takes no argument; %d given and ignored", signal, len(args))
