"""The ranges of the durable loops' timing, shared by the settings and the workflows' messages.

Each is finite (``inf`` and ``nan`` are refused: JSON has no infinity, so ``inf`` would cross the
workflow boundary as ``null``) and bounded on both sides: below, so that no loop polls a helpdesk
more than once a second (Zendesk's incremental export allows 10 requests a minute, Freshdesk's
plans 50 to 700 a minute; a retry backs off anyway); above, so that every ``timedelta`` the
workflows build stays far from its overflow (``timedelta(seconds=1e30)`` raises) and a loop is
never configured to wait for years. A value outside is refused where it enters: by the settings
at start, by the message models when a workflow is started or signalled.

A loop's start decodes without the bounds (``WatchStartInput``, ``ReconcileStartInput``) and the
run checks them first (:func:`checked_start`): a start built by hand out of range (``temporal
workflow start`` with ``interval_seconds: 1e30``) fails its run at once, naming the field, where a
bounded decode failed its first workflow task for ever and left the account's loop stuck (the
worker's start keeps a running one). A valid start gives the same commands as before.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from temporalio.exceptions import ApplicationError

from serviceflow.errors import describe_validation

DAY = 86_400.0

#: Seconds between two polls or sweeps (quarantine, reconcile) or roster reads: 1 s to 1 day.
IntervalSeconds = Annotated[float, Field(ge=1.0, le=DAY, allow_inf_nan=False)]
#: Seconds the first reconcile sweep looks back: 1 s to 30 days.
LookbackSeconds = Annotated[float, Field(ge=1.0, le=30 * DAY, allow_inf_nan=False)]
#: Seconds a change is left for its webhook before a sweep repairs it: 0 to 1 hour.
SettleSeconds = Annotated[float, Field(ge=0.0, le=3_600.0, allow_inf_nan=False)]

_INTERVAL: TypeAdapter[float] = TypeAdapter(IntervalSeconds)

M = TypeVar("M", bound=BaseModel)

#: The type of the failure a start out of range fails its run with.
OUT_OF_RANGE = "StartOutOfRange"


def checked_interval(value: object) -> float | None:
    """``value`` as an interval in range, or None (a signal's argument: Temporal reads its type
    hint without ``Annotated``'s bounds, so the handler checks them)."""
    try:
        return _INTERVAL.validate_python(value)
    except ValidationError:
        return None


def configured_interval(
    value: object, logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
) -> timedelta | None:
    """A ``configure`` signal's interval as a timedelta, or None, logged and to be ignored, when
    it is outside :data:`IntervalSeconds` (inf, 1e30, 1e-9): ignoring it changes no command, where
    ``timedelta(seconds=1e30)`` failed every task."""
    valid = checked_interval(value)
    if valid is None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            logger.warning("configure: interval %r s is outside 1 to 86400 s; ignored", value)
        else:  # what an operator's signal may bring (signal_args): named by its type, never shown
            logger.warning(
                "configure: the interval is a %s, not a number of seconds from 1 to 86400; ignored",
                type(value).__name__,
            )
        return None
    return timedelta(seconds=valid)


def checked_start(model: type[M], given: BaseModel) -> M:
    """``given``, a loop's start as decoded (without the bounds), as ``model`` with them.

    Raises:
        ApplicationError: non-retryable, of type :data:`OUT_OF_RANGE`, naming each field out of
            range (never its value): the run fails, and the worker's next start begins a new
            one with its configured values.
    """
    try:
        return model.model_validate(given.model_dump())
    except ValidationError as exc:
        raise ApplicationError(
            f"{model.__name__} out of range: {describe_validation(exc)}; start it with values in "
            "range (docs/production.md, 'Upgrades and replay safety')",
            type=OUT_OF_RANGE,
            non_retryable=True,
        ) from None
