"""The case state as the workflow keeps it since ``case-in-decide`` (:data:`CASE_IN_DECIDE`): the
JSON the decide activity answered with, never parsed in the workflow, and a small view of it.

Before, the workflow parsed the whole state out of every decision's marker, kept it as models
(about 30 KiB a case) and sent it back, re-serialised, with the next decision. Now the decide
activity parses it (:func:`expanded`), puts the workflow's delivery and action records into it,
decides, notes how the ticket was read, and answers with the state as JSON and the few fields the
workflow reads (:func:`compacted`). Pure functions: workflow code calls them too (the query, a
continue-as-new, the last resort).

Since ``state-packed`` (case_options.STATE_PACKED) the state the activity answers with, and the
workflow keeps and sends back, is packed (:func:`packed`: the JSON deflated, then base64): the
JSON was most of every decide marker, and each marker carries the whole state again (RESULTS.md,
history10: in bench_durable's case the state was 10.8 KiB of the three decide markers' 15.4
and of the history's 18.1; packed, 4.3). The workflow knows
which it holds from the patch (``DecideRequest.packed``), never from the text.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from datetime import datetime

from serviceflow.durable.messages import ActionResult, CaseView, DecideRequest, DecideResult
from serviceflow.durable.ui_text import current_details, timer_summary
from serviceflow.model import Action, CaseState
from serviceflow.model.case import MAX_DELIVERIES, ActionRecord, DeliveryRecord

#: The workflow.patched() marker asked first in a run (durable/case_flow.py): with it, the
#: workflow keeps its state as JSON, and the decide activity also carries out the decision's
#: first actions (those it may: activities.carried_here), with no local activity of their own
#: (and the run has every change before it: outcomes-in-decide, ...).
CASE_IN_DECIDE = "case-in-decide"


def view_of(state: CaseState, wake_at: datetime | None, done: Sequence[tuple[Action, str]] = ()) -> CaseView:
    """What the workflow reads of ``state``, waking at ``wake_at``; ``done``: the actions the
    decide activity carried out, with their outcomes (named in the UI's current details)."""
    return CaseView(
        case_id=state.case_id,
        vendor=state.ticket.vendor,
        account=state.ticket.account,
        ticket_id=state.ticket.id,
        closed_at=state.closed_at,
        ticket_read=state.ticket_read,
        details=current_details(state, wake_at, done),
        wake_summary=timer_summary(state, wake_at) if wake_at is not None else None,
    )


def merged(state: CaseState, deliveries: Sequence[DeliveryRecord], done: Sequence[ActionRecord]) -> CaseState:
    """The state with the deliveries and action records the workflow made (the latest
    MAX_DELIVERIES of each)."""
    kept, did = tuple(deliveries[-MAX_DELIVERIES:]), tuple(done[-MAX_DELIVERIES:])
    if kept == state.deliveries and did == state.actions_done:
        return state
    return state.model_copy(update={"deliveries": kept, "actions_done": did})


def parsed(state_json: str | None) -> CaseState | None:
    return CaseState.model_validate_json(state_json) if state_json is not None else None


def packed(state_json: str) -> str:
    """The state's JSON deflated (zlib, level 9: ~40 microseconds for a case's 4 KiB)
    and base64'd: ASCII with nothing JSON escapes, in the marker as a plain string. The standard
    library's zlib and base64 (RFC 1950 / RFC 4648): any later Python decodes what this wrote."""
    return base64.b64encode(zlib.compress(state_json.encode(), 9)).decode("ascii")


def unpacked(state: str) -> str:
    """The JSON :func:`packed` packed."""
    return zlib.decompress(base64.b64decode(state, validate=True)).decode()


def as_json(state: str | None, is_packed: bool) -> str | None:
    """The state's JSON, from the text a workflow keeps (packed under ``state-packed``)."""
    return unpacked(state) if is_packed and state is not None else state


def kept(state_json: str, is_packed: bool) -> str:
    """The text a workflow keeps of the state's JSON: packed under ``state-packed``."""
    return packed(state_json) if is_packed else state_json


def expanded(request: DecideRequest) -> DecideRequest:
    """The request as the engine reads it: the state parsed, with the workflow's records."""
    state = parsed(as_json(request.state_json, request.packed))
    if state is not None:
        state = merged(state, request.deliveries, request.actions_done)
    return request.model_copy(update={"state": state, "state_json": None, "packed": False})


def with_read(state: CaseState, outcome: str, missing: Sequence[str]) -> CaseState:
    """The case with how its ticket was read; a decision made without the helpdesk's ticket
    says so in its notes."""
    update: dict[str, object] = {"ticket_read": outcome}
    if missing and state.decisions:
        last = state.decisions[-1]
        note = (
            f"decided on the webhook's ticket ({', '.join(missing)} unknown): "
            f"the helpdesk's was not read ({outcome})"
        )
        update["decisions"] = (
            *state.decisions[:-1],
            last.model_copy(update={"notes": (*last.notes, note[:1_000])}),
        )
    return state.model_copy(update=update)


def compacted(
    result: DecideResult, request: DecideRequest, done: Sequence[ActionResult] = ()
) -> DecideResult:
    """The answer for a workflow that keeps its state as JSON: the state (with the read's note)
    as JSON (packed if the request is), its view, the actions to carry out (and what the
    activity did of them), whether a decision was made and recorded."""
    state = result.case()
    if request.read_outcome is not None:
        state = with_read(state, request.read_outcome, request.read_missing)
    return DecideResult(
        actions=result.to_do(),
        wake_at=result.wake_at,
        decided=result.made() is not None,
        recorded=result.recorded,
        state_json=kept(state.model_dump_json(), request.packed),
        view=view_of(
            state, result.wake_at, list(zip(result.to_do(), (d.outcome for d in done), strict=False))
        ),
        done=list(done),
    )
