"""Where a backtest's history comes from: ``SOURCE`` is a file or ``vendor:account``.

- **A file** (it exists): JSON Lines in one of the export formats (:mod:`.formats`): a plugin's
  (Zendesk's incremental export with ticket audits, Freshdesk's tickets with conversations) or
  serviceflow's own event lines.
- **A helpdesk account**, ``vendor:account`` (``zendesk:acme``) with ``--since 30d``: the
  registered adapter lists the tickets changed since then (``changed_tickets``, every page) and
  reads each one's history through the adapter's ``ticket_history`` (events with the ticket as
  it was at each, through the reconcile sweep's ``rewind``). An adapter without a history read
  (``NotSupported``) is replayed from each ticket's creation and its state now, no more: the
  source says so (``Source.notes``), and the report repeats it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from serviceflow.adapters.records import ChangeCursor, Identity, TicketRecord
from serviceflow.adapters.registry import registry
from serviceflow.adapters.rewind import rewind
from serviceflow.backtest.errors import BacktestError
from serviceflow.backtest.files import read_export
from serviceflow.backtest.formats import ExportFormat, export_formats
from serviceflow.errors import NotSupported, TicketGone
from serviceflow.model import Actor, ActorRole, EventKind, Ticket, TicketEvent, TicketStatus
from serviceflow.policy.durations import Clock, DurationSyntaxError, parse_duration

_ACCOUNT = re.compile(r"^([a-z][a-z0-9_-]{0,39}):([^\s:/]{1,200})$")
#: The most pages of changed tickets an API source reads (a bound, not a goal).
MAX_PAGES = 10_000
#: How many tickets' histories are read at once (the adapter's client paces its requests).
HISTORY_CONCURRENCY = 4

Say = Callable[[str], None]


@dataclass
class Source:
    """History, read: the events, and what the reader could not see."""

    label: str
    events: list[TicketEvent]
    notes: list[str] = field(default_factory=list)
    until: datetime | None = None


def parse_since(text: str) -> timedelta:
    """``30d``, ``2w``, ``12h``, ``90m``, ``45s`` (or ``1h30m``, ``2 weeks``): how far back.

    The policy files' own reader of elapsed spans (:func:`serviceflow.policy.durations.parse_duration`:
    w, d, h, m, s and their words, more than zero, at most ten years), so ``backtest`` takes the
    units ``report`` and ``reconcile`` take; business hours and days mean nothing here.

    Raises:
        BacktestError: anything else.
    """
    hint = "a span like 30d, 2w, 12h or 90m (back from now)"
    try:
        span = parse_duration(text) if len(text) <= 100 else None
    except DurationSyntaxError as exc:
        raise BacktestError(f"--since {text!r} is not {hint} ({exc})") from None
    if span is None or span.clock is not Clock.ELAPSED:
        raise BacktestError(f"--since {text!r} is not {hint}")
    return span.delta


def is_account(source: str) -> bool:
    """Whether ``source`` names a helpdesk account rather than a file."""
    return not Path(source).exists() and _ACCOUNT.match(source) is not None


def read_file(
    path: Path,
    *,
    account: str | None = None,
    format_name: str | None = None,
    formats: Sequence[ExportFormat] | None = None,
) -> Source:
    """Every event in an export file.

    Raises:
        ExportError: the file is not a known format, is truncated or mixes helpdesks.
    """
    events = list(read_export(path, formats or export_formats(), account=account, format_name=format_name))
    return Source(label=str(path), events=events)


async def read_account(
    source: str, since: timedelta, *, now: datetime | None = None, say: Say | None = None
) -> Source:
    """The history of the tickets changed in the last ``since`` at ``vendor:account``.

    Raises:
        BacktestError: the source is malformed or no plugin serves the vendor.
        ServiceflowError: the helpdesk failed (after the adapter's own bounded retries).
    """
    match = _ACCOUNT.match(source)
    if match is None:
        raise BacktestError(f"{source!r} is neither a file nor a helpdesk account like zendesk:acme")
    vendor, account = match.groups()
    adapter = registry().get(vendor)
    if adapter is None:
        raise BacktestError(
            f"{source!r}: no file of that name, and no installed plugin serves the helpdesk {vendor!r} "
            f"(installed: {', '.join(registry().vendors()) or 'none'})"
        )
    try:
        return await _read_account(adapter, source, vendor, account, since, now=now, say=say)
    finally:
        close = getattr(adapter, "aclose", None)
        if close is not None:
            await close()  # its HTTP clients belong to this event loop


async def _read_account(
    adapter: Any,
    source: str,
    vendor: str,
    account: str,
    since: timedelta,
    *,
    now: datetime | None,
    say: Say | None,
) -> Source:
    moment = now or datetime.now(UTC)
    start = moment - since
    tell = say or (lambda _text: None)
    records: dict[str, TicketRecord] = {}
    cursor = ChangeCursor.since(start)
    for page_number in range(1, MAX_PAGES + 1):
        page = await adapter.changed_tickets(account, cursor)
        for record in page.tickets:
            records[record.ticket.id] = record
        tell(f"listed {len(records)} tickets changed since {start:%Y-%m-%d %H:%M} ({page_number} pages)")
        cursor = page.next
        if not page.more:
            break
    result = Source(label=source, events=[], until=moment)
    if page.more:
        result.notes.append(f"stopped listing after {MAX_PAGES} pages: later changes are left out")
    reader: Any = getattr(adapter, "ticket_history", None)
    identity: Identity | None = None
    if reader is not None:
        identity = await adapter.whoami(account)
    semaphore = asyncio.Semaphore(HISTORY_CONCURRENCY)
    unsupported = False

    async def history_of(record: TicketRecord) -> list[TicketEvent]:
        nonlocal unsupported
        if reader is None or unsupported:
            return snapshot_events(record.ticket)
        async with semaphore:
            try:
                history = await reader(account, record.ticket.id, identity=identity)
            except NotSupported:
                unsupported = True
                return snapshot_events(record.ticket)
            except TicketGone:
                return []
        # Each event may carry the ticket as it is now: worked back through the later events'
        # changes, so the replay sees the ticket as it was at each moment (as the reconcile sweep does).
        events = rewind(record.ticket, history.events)
        if not history.complete:
            result.notes.append(
                f"ticket {record.ticket.id}: the helpdesk's history was cut; its oldest part is replayed"
            )
        return events or snapshot_events(record.ticket)

    done = 0
    listed = list(records.values())
    for batch_start in range(0, len(listed), 50):
        batch = listed[batch_start : batch_start + 50]
        for events in await asyncio.gather(*(history_of(r) for r in batch)):
            result.events.extend(events)
        done += len(batch)
        tell(f"read the history of {done} of {len(records)} tickets")
    if reader is None or unsupported:
        result.notes.append(
            f"the {vendor} adapter offers no history read (ticket_history): each ticket is replayed "
            "from its creation and its state now, so replies, pauses and reassignments in between "
            "are not seen; an export file with the ticket history gives the full replay"
        )
    return result


def snapshot_events(ticket: Ticket) -> list[TicketEvent]:
    """What a ticket's current state alone says: it was created, and (when it moved on) it is
    now as it is. Used when the adapter reads no history."""
    first = ticket.model_copy(
        update={"status": TicketStatus.NEW, "assignee": None, "updated_at": ticket.created_at}
    )
    events = [
        TicketEvent(
            id=f"snapshot:{ticket.id}:created",
            kind=EventKind.CREATED,
            time=ticket.created_at,
            actor=Actor(role=ActorRole.CUSTOMER, id=ticket.requester.id),
            ticket=first,
            public=True,
        )
    ]
    if ticket.updated_at > ticket.created_at and ticket.status is not TicketStatus.NEW:
        events.append(
            TicketEvent(
                id=f"snapshot:{ticket.id}:now",
                kind=EventKind.STATUS_CHANGED,
                time=ticket.updated_at,
                actor=Actor(role=ActorRole.AGENT, id=ticket.assignee),
                ticket=ticket,
                changes={"status": TicketStatus.NEW.value},
            )
        )
    return events
