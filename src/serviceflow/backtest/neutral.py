"""serviceflow's own history format: one :class:`~serviceflow.model.TicketEvent` per line.

Each line is the JSON of a ticket event exactly as the model dumps it
(``TicketEvent.model_dump_json()``): ``id``, ``kind``, ``time``, ``actor``, ``ticket`` (the ticket
as it was right after the event), and optionally ``body``, ``public`` and ``changes``. It is
what a plugin's converter produces, what a helpdesk without an export format can be written
as, and what the benchmark generates. Events may come in any order; the replay sorts them by
time. A file may hold several accounts (each ticket is its own case) and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.formats import Record
from serviceflow.model import TicketEvent

_KEYS = frozenset({"id", "kind", "time", "actor", "ticket"})


def first_problem(exc: ValidationError) -> str:
    """The first validation problem as ``field.path: message``."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    return f"{where}: {error['msg']}"


class NeutralFormat:
    """The built-in format (see the module docstring)."""

    name = "serviceflow-events"
    vendor = "serviceflow"
    description = "serviceflow ticket events, one TicketEvent JSON per line"

    def recognises(self, record: Mapping[str, Any]) -> bool:
        return _KEYS.issubset(record.keys())

    def read(self, records: Iterable[Record], *, account: str | None) -> Iterator[TicketEvent]:
        for record in records:
            try:
                event = TicketEvent.model_validate(record.data)
            except ValidationError as exc:
                raise ExportError(
                    f"not a serviceflow event: {first_problem(exc)}", line=record.line
                ) from None
            if account is not None and event.ticket.account != account:
                event = event.model_copy(
                    update={"ticket": event.ticket.model_copy(update={"account": account})}
                )
            yield event


NEUTRAL = NeutralFormat()
