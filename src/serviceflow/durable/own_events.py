"""Which ticket events belong to a case: those of its own ticket, whose key (``Ticket.key``,
``{vendor}:{account}:{ticket id}``) is the case's id (``CaseState.case_id``, which the engine set
from the case's first event; also its workflow id). An ``event`` signal that carries another
ticket's event (``temporal workflow signal --workflow-id <case of ticket A> --name event --input
<an event of ticket B>``: an operator's mistake, or someone with access to Temporal) is logged
and ignored, where it was decided into the case as if it were its own: the case took ticket B as
its ticket (its state's ``ticket``) and carried out its actions on it. Workflow code (passed
through the sandbox with case_flow.py): deterministic.

The case's id, not the workflow id: a replay is given its workflow id by whoever replays it
(temporalio/client.py, ``WorkflowHistory.from_json``: "Construct a WorkflowHistory from an ID
and a json dump of history"; the JSON holds no workflow id, and tests/durable/test_replay.py and
tests/outcomes/test_replay_outcomes.py replay each history under its file's name), so a check
against it replayed a recorded case differently under another id (every event foreign: a
nondeterminism error). So a case's first event, with none to compare it with, is its own: on
every path below it is the one a signal-with-start to ``event.ticket.key`` brought. Not caught:
a workflow started by hand under ticket A's key with ticket B's event, a second case of B.

Every legitimate sender keys an event by its ticket, so no case of ours is sent another ticket's
event (checked 2026-12-05 against the code):

- the receiver, a quarantine review's recovery, the reconciler's repairs: ``cases.deliver``,
  which signals (or signal-with-starts) the workflow ``event.ticket.key``, always;
- a quarantine review's closing (``quarantine_activities._close_review``): the workflow
  ``message.key``, ``{vendor}:{account}:quarantine-{id}``, with ``departure_event``, whose
  ticket is ``review_ticket(message)``: the same key;
- a backfill starts the case with its state (no event) under ``state.case_id``, which the engine
  set from the first event's ``ticket.key``; it reassigns by the ``operate`` update, which takes
  no event (``CaseFlow._operate_allowed``);
- repeat contacts and merges send no event: a new case that joins an open one (its policy's
  ``same_case``) signals it ``link`` with a ``LinkContact`` naming its own ticket's key, and the
  engine keeps that in ``linked_tickets``; a merge (``MergeTickets``) is done in the helpdesk, whose
  webhooks then come for each ticket, keyed by that ticket, to that ticket's case;
- what a run carries over a continue-as-new (``CaseStart.pending``) is what reached the same
  workflow id.

So "belongs to this case" is exactly "its ticket key is the case's id": a linked ticket's
events go to its own case, never here. Only events are checked: a ``link``'s ticket key is
another case's by design, and an operation or a wake-up names no ticket.
"""

from __future__ import annotations

from temporalio import workflow

from serviceflow.engine.inputs import EngineInput, EventInput


def ignored(engine_input: EngineInput, case_id: str) -> bool:
    """Whether ``engine_input`` is an event of another ticket than the case's (``case_id``): if
    so it is logged, naming the two keys (ids only, never what the event says), and ignored."""
    if not isinstance(engine_input, EventInput):
        return False
    key = engine_input.event.ticket.key
    if key == case_id:
        return False
    workflow.logger.warning(
        "signal 'event': an event of ticket %s, not of this case's ticket %s; ignored", key, case_id
    )
    return True
