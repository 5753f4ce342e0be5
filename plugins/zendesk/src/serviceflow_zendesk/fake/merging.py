"""The fake Zendesk's MergeTicketsIntoTargetTicket: sources closed into the target, with the
comments and the job status the API answers (OAS TicketMergeInput, JobStatusObject)."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .changes import TicketChange
from .records import FakeApiError, Json, iso, record_invalid
from .ticket_rules import add_comment, record_audit, touch

if TYPE_CHECKING:
    from .state import FakeState


def merge_tickets(state: FakeState, target_id: int, fields: Mapping[str, Any], *, actor_id: int) -> Json:
    """MergeTicketsIntoTargetTicket: close the sources into the target; returns a job status.

    The real API queues a job; the fake does the work at once, answers ``queued`` like the
    API, and reports ``completed`` when the job is shown. Default comment texts and the job
    ``results`` entries are the fake's own wording.
    """
    with state.lock:
        target = state.ticket_or_404(target_id)
        ids = fields.get("ids")
        if not isinstance(ids, list) or not ids:
            raise FakeApiError(400, "InvalidParameter", "ids must be a non-empty array")
        sources = []
        for raw_id in ids:
            if not isinstance(raw_id, int) or raw_id not in state.tickets:
                raise record_invalid("ids", f"Ticket {raw_id} not found", "NotFound")
            if raw_id == target_id:
                raise record_invalid("ids", "A ticket cannot be merged into itself")
            sources.append(state.tickets[raw_id])
        for ticket in (target, *sources):
            if ticket["status"] == "closed":
                raise record_invalid("status", f"Ticket {ticket['id']} is closed and cannot be merged")
        changes: list[TicketChange] = []
        results: list[Json] = []
        target_before = copy.deepcopy(target)
        target_comments = []
        for source in sources:
            before = copy.deepcopy(source)
            body = fields.get("source_comment") or (
                f'This request was closed and merged into request #{target_id} "{target["subject"]}".'
            )
            comment = add_comment(
                state,
                source,
                {"body": body, "public": bool(fields.get("source_comment_is_public", False))},
                actor_id,
            )
            source["status"] = "closed"
            touch(state, source)
            record_audit(
                state,
                source,
                actor_id,
                [
                    {
                        "type": "Change",
                        "field_name": "status",
                        "value": "closed",
                        "previous_value": before["status"],
                    }
                ],
                comment,
            )
            changes.append(
                TicketChange(
                    source["id"],
                    "merged",
                    before,
                    copy.deepcopy(source),
                    (copy.deepcopy(comment),),
                    actor_id,
                    merged_into=target_id,
                )
            )
            results.append({"action": "merge", "id": source["id"], "status": "Merged", "success": True})
            target_body = fields.get("target_comment") or (
                f'Request #{source["id"]} "{source["subject"]}" was closed and merged into this request.'
            )
            target_comments.append(
                add_comment(
                    state,
                    target,
                    {"body": target_body, "public": bool(fields.get("target_comment_is_public", False))},
                    actor_id,
                )
            )
        touch(state, target)
        changes.append(
            TicketChange(
                target_id,
                "updated",
                target_before,
                copy.deepcopy(target),
                tuple(copy.deepcopy(target_comments)),
                actor_id,
            )
        )
        job_id = secrets.token_hex(16)
        url = f"{state.base_url}/api/v2/job_statuses/{job_id}.json"
        state.job_statuses[job_id] = {
            "id": job_id,
            "job_type": "MergeTickets",
            "url": url,
            "total": len(sources),
            "progress": len(sources),
            "status": "completed",
            "message": f"Completed at {iso(state.clock())}",
            "results": results,
        }
        state.emit(changes)
        return {
            "id": job_id,
            "job_type": "MergeTickets",
            "url": url,
            "total": None,
            "progress": None,
            "status": "queued",
            "message": None,
            "results": None,
        }
