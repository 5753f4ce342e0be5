"""What a sweep delivers, decided without I/O: missed events at their real times, each once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.adapters.rewind import rewind
from serviceflow.durable.reconcile_repair import RepairKind, gone, repair
from serviceflow.model import (
    Actor,
    ActorRole,
    CaseState,
    EventKind,
    Requester,
    Ticket,
    TicketEvent,
    TicketStatus,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket(**changes: object) -> Ticket:
    base = Ticket(
        id="7", vendor="demo", account="acme", requester=Requester(id="casey"), created_at=T0, updated_at=T0
    )
    return base.model_copy(update=changes)


def event(eid: str, kind: EventKind, minutes: int, **changes: object) -> TicketEvent:
    role = ActorRole.CUSTOMER if kind in (EventKind.CREATED, EventKind.CUSTOMER_MESSAGE) else ActorRole.AGENT
    return TicketEvent(
        id=eid,
        kind=kind,
        time=T0 + timedelta(minutes=minutes),
        actor=Actor(id="x", role=role),
        ticket=ticket(),
        changes=changes,  # type: ignore[arg-type]
    )


HISTORY = [
    event("h1", EventKind.CREATED, 0),
    event("h2", EventKind.ASSIGNED, 5, assignee=None),
    event("h3", EventKind.AGENT_REPLY, 10),
    event("h4", EventKind.STATUS_CHANGED, 10, status="new"),
    event("h5", EventKind.CUSTOMER_MESSAGE, 30, status="pending"),
]
NOW = ticket(status=TicketStatus.OPEN, assignee="ann", updated_at=T0 + timedelta(minutes=30))


def test_the_history_is_rewound_so_each_event_carries_the_ticket_as_it_was_then() -> None:
    events = rewind(NOW, HISTORY)
    assert [e.ticket.assignee for e in events] == [None, "ann", "ann", "ann", "ann"]
    assert [e.ticket.status for e in events] == ["new", "new", "new", "pending", "open"]
    assert events[-1].ticket == NOW and all(e.reconciled for e in events)
    assert [e.time for e in events] == [e.time for e in HISTORY]


def test_a_ticket_with_no_case_gets_its_whole_history_from_its_creation() -> None:
    done = repair(None, NOW, HISTORY)
    assert done.kind is RepairKind.OPENED and [e.id for e in done.events] == ["h1", "h2", "h3", "h4", "h5"]
    without = repair(None, NOW, None)
    assert [e.kind for e in without.events] == [EventKind.CREATED] and without.events[0].time == T0
    assert repair(None, NOW.model_copy(update={"status": TicketStatus.SOLVED}), HISTORY).events == ()


def test_a_case_gets_only_what_happened_after_the_ticket_it_knows() -> None:
    known = rewind(NOW, HISTORY)[3].ticket  # the case heard up to the status change
    state = CaseState(case_id=NOW.key, ticket=known, opened_at=T0, seen_events=("zendesk:webhook-4",))
    done = repair(state, NOW, HISTORY)
    assert done.kind is RepairKind.CAUGHT_UP and [e.id for e in done.events] == ["h5"]
    assert repair(state.model_copy(update={"seen_events": ("h5",)}), NOW, HISTORY).events == ()
    assert repair(state.model_copy(update={"ticket": NOW}), NOW, HISTORY).kind is RepairKind.UNCHANGED


def test_without_a_history_the_fields_tell_what_changed_and_the_ids_are_stable() -> None:
    state = CaseState(case_id=NOW.key, ticket=ticket(), opened_at=T0)
    first, again = repair(state, NOW, None), repair(state, NOW, None)
    assert {e.kind for e in first.events} == {EventKind.STATUS_CHANGED, EventKind.ASSIGNED}
    assert [e.id for e in first.events] == [e.id for e in again.events]
    closed = NOW.model_copy(update={"status": TicketStatus.CLOSED})
    assert repair(state, closed, None).kind is RepairKind.ENDED
    ended = state.model_copy(update={"closed_at": T0})
    assert repair(ended, closed, None).kind is RepairKind.UNCHANGED  # an ended case stays ended


def test_a_gone_ticket_ends_its_case_with_a_closing_event() -> None:
    state = CaseState(case_id=NOW.key, ticket=NOW, opened_at=T0)
    (closing,) = gone(state, T0 + timedelta(hours=1)).events
    assert closing.ticket.status is TicketStatus.CLOSED and closing.reconciled


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(EventKind)),
            st.integers(0, 600),
            st.sampled_from([None, "new", "open", "pending", "solved", "bogus"]),
        ),
        max_size=12,
    ),
    st.integers(0, 600),
)
def test_any_history_repairs_without_raising_and_never_repeats_an_event(
    steps: list[tuple[EventKind, int, str | None]], known_minutes: int
) -> None:
    history = sorted(
        (event(f"h{i}", kind, minutes, status=previous) for i, (kind, minutes, previous) in enumerate(steps)),
        key=lambda e: e.time,
    )
    now = NOW.model_copy(update={"updated_at": T0 + timedelta(minutes=700)})
    known = ticket(updated_at=T0 + timedelta(minutes=known_minutes))
    state = CaseState(case_id=now.key, ticket=known, opened_at=T0)
    done = repair(state, now, history)
    ids = [e.id for e in done.events]
    assert len(ids) == len(set(ids))
    assert all(e.time > known.updated_at for e in done.events if e.id.startswith("h"))
    assert all(e.reconciled for e in done.events)


def test_the_backtest_rewinds_history_without_the_durable_shell() -> None:
    """``rewind`` lives in neutral ground (serviceflow.adapters.rewind): the backtest, which reads
    history as the reconcile sweep does, loads no module of the durable shell."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, serviceflow.backtest.sources, serviceflow.backtest.replay; "
         "print(sorted(m for m in sys.modules if m.startswith('serviceflow.durable')))"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "[]"
