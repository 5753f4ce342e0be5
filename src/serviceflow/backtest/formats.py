"""Export formats: how a plugin teaches core to read its helpdesk's history files.

A file is **JSON Lines** (one JSON object per line, UTF-8; blank lines are skipped), so every
problem can name its line and a file of any size is read one record at a time. What a record is
belongs to its format:

- serviceflow's own event lines (:mod:`.neutral`), built in;
- each plugin's formats, offered by its adapter as ``export_formats`` (a sequence of
  :class:`ExportFormat`): Zendesk's incremental export pages with ticket audits, Freshdesk's
  tickets with their conversations, each documented in its plugin.

The first record chooses the format (the first format that :meth:`~ExportFormat.recognises`
it); every later record must be recognised by the same format, or the file mixes helpdesks and
is refused with the line that does not belong.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from serviceflow.model import TicketEvent


@dataclass(frozen=True)
class Record:
    """One JSON object of an export file and the 1-based line it was on."""

    line: int
    data: Mapping[str, Any]


@runtime_checkable
class ExportFormat(Protocol):
    """One documented file format holding a helpdesk's history.

    Attributes:
        name: Short name, shown in errors and ``--format`` (e.g. ``zendesk-incremental``).
        vendor: The adapter's vendor name; events carry it in ``Ticket.vendor``.
        description: One line: which API answers the records hold.
    """

    @property
    def name(self) -> str: ...

    @property
    def vendor(self) -> str: ...

    @property
    def description(self) -> str: ...

    def recognises(self, record: Mapping[str, Any]) -> bool:
        """Whether a record is one of this format's (by its shape; cheap, never raises)."""
        ...

    def read(self, records: Iterable[Record], *, account: str | None) -> Iterator[TicketEvent]:
        """Every ticket event the records hold, each ticket's in time order.

        Raise :class:`~serviceflow.backtest.errors.ExportError` naming the record's line for a
        record that does not validate, and at the end for what the file lacks (a truncated
        export, a ticket without its history). ``account`` is the helpdesk account the user
        named; None: the format finds it in the records (or uses a placeholder it documents).
        """
        ...


def export_formats() -> list[ExportFormat]:
    """The built-in format and every registered adapter's, in vendor order."""
    from serviceflow.adapters.registry import registry
    from serviceflow.backtest.neutral import NEUTRAL

    found: list[ExportFormat] = [NEUTRAL]
    for entry in registry():
        offered = getattr(entry.adapter, "export_formats", None)
        for fmt in offered or ():
            if isinstance(fmt, ExportFormat):
                found.append(fmt)
    return found
