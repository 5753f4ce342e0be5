"""Traps a policy can fall into that no type check sees (ServiceNow documents both for its SLAs):
a target whose ``stop`` holds whenever its ``start`` does is met the moment it starts, and one
whose ``pause`` holds whenever its ``start`` does starts paused and never counts.

Found by running the conditions on sample tickets and events that vary every enum field the
conditions read (event kind, actor role, status, priority, channel); reported as warnings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from enum import Enum
from typing import Any

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.errors import CelError
from serviceflow.model import ActorRole, Channel, EventKind, Priority, TicketStatus
from serviceflow.policy.samples import sample_values
from serviceflow.policy.scopes import SCOPES

VARIED: dict[str, type[Enum]] = {
    "event.kind": EventKind,
    "event.actor.role": ActorRole,
    "ticket.status": TicketStatus,
    "ticket.priority": Priority,
    "ticket.channel": Channel,
}
MAX_SAMPLES = 2000  # more combinations than this: not checked (it would slow validate down)


def _samples(env: CelEnvironment, paths: list[str], start: Expression) -> Iterator[Any]:
    """An activation per combination of the varied fields for which ``start`` may hold."""
    base = sample_values(SCOPES["case"])
    for combination in itertools.product(*(VARIED[p] for p in paths)):
        chosen = dict(zip(paths, combination, strict=True))
        if any(
            path in start.requires and value.value not in start.requires[path]
            for path, value in chosen.items()
        ):
            continue  # start cannot hold here: nothing to learn
        ticket_changes = {p.split(".")[1]: v for p, v in chosen.items() if p.startswith("ticket.")}
        ticket = base["ticket"].model_copy(update=ticket_changes)
        event = base["event"].model_copy(update={"ticket": ticket})
        if "event.kind" in chosen:
            event = event.model_copy(update={"kind": chosen["event.kind"]})
        if "event.actor.role" in chosen:
            event = event.model_copy(
                update={"actor": event.actor.model_copy(update={"role": chosen["event.actor.role"]})}
            )
        yield env.activation({**base, "ticket": ticket, "event": event})


def _holds(expression: Expression, activation: Any) -> bool | None:
    try:
        value = expression.evaluate(activation)
    except CelError:
        return None
    return value if isinstance(value, bool) else None


def target_traps(
    env: CelEnvironment, start: Expression, stop: Expression, pause: Expression | None
) -> list[tuple[str, str]]:
    """(field, warning) for each trap the target falls into."""
    expressions = [e for e in (start, stop, pause) if e is not None]
    paths = sorted({r for e in expressions for r in e.references if r in VARIED})
    size = 1
    for path in paths:
        size *= len(VARIED[path])
    if size > MAX_SAMPLES:
        return []
    starts = stops = pauses = 0
    for activation in _samples(env, paths, start):
        if _holds(start, activation) is not True:
            continue
        starts += 1
        stops += _holds(stop, activation) is True
        pauses += pause is not None and _holds(pause, activation) is True
    found = []
    if starts and stops == starts:
        found.append(
            (
                "stop",
                "stop holds whenever start does: the target is met by the first event after it "
                "starts, so it never really runs",
            )
        )
    if starts and pauses == starts:
        found.append(("pause", "pause holds whenever start does: the target starts paused and never counts"))
    return found
