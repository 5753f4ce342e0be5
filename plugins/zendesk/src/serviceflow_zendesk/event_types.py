"""The Zendesk ticket event types serviceflow reads, and what each becomes (a table, no code).

From developer.zendesk.com/api-reference/webhooks/event-types/ticket-events (the list continues
on the integration-services copy of the page; CONTRACTS.md §1.9 and §8). :mod:`.webhooks` turns
an envelope of one of these types into a :class:`~serviceflow.model.TicketEvent`.
"""

from __future__ import annotations

#: Every ticket event type on Zendesk's ticket-events page (developer.zendesk.com/api-reference/
#: webhooks/event-types/ticket-events; the list continues on the integration-services copy of the
#: page, CONTRACTS.md §1.9 and §8) that is a change of a ticket field -> the name the change gets in
#: ``TicketEvent.changes`` (its previous value). The comment edits count as field changes too: a
#: person worked on the ticket, but wrote nothing new.
FIELD_EVENTS = {
    "ticket.priority_changed": "priority",
    "ticket.subject_changed": "subject",
    "ticket.tags_changed": "tags",
    "ticket.custom_field_changed": "custom_fields",
    "ticket.description_changed": "description",
    "ticket.external_id_changed": "external_id",
    "ticket.form_changed": "form",
    "ticket.brand_changed": "brand",
    "ticket.organization_changed": "organization",
    "ticket.requester_changed": "requester",
    "ticket.submitter_changed": "submitter",
    "ticket.type_changed": "type",
    "ticket.task_due_at_changed": "due_at",
    "ticket.problem_link_changed": "problem",
    "ticket.email_ccs_changed": "email_ccs",
    "ticket.followers_changed": "followers",
    "ticket.comment_made_private": "comment_made_private",
    "ticket.comment_redacted": "comment_redacted",
    "ticket.attachment_linked_to_comment": "attachment_linked",
    "ticket.attachment_redacted_from_comment": "attachment_redacted",
}
#: Events after which the ticket is out of every queue: for serviceflow it is closed (the
#: ticket's own ``detail.status`` may still read as before).
GONE_EVENTS = {
    "ticket.marked_as_spam": "marked_as_spam",
    "ticket.soft_deleted": "soft_deleted",
    "ticket.permanently_deleted": "permanently_deleted",
}
#: Every ticket event type the parser reads; any other ``ticket.*`` type (Zendesk adds some, e.g.
#: ``csat_received``, ``sla_policy_changed``) is answered as ignored: no event, no error.
HANDLED_EVENT_TYPES = frozenset(
    {
        "ticket.created",
        "ticket.comment_added",
        "ticket.agent_assignment_changed",
        "ticket.group_assignment_changed",
        "ticket.status_changed",
        "ticket.custom_status_changed",
        "ticket.merged",
        "ticket.undeleted",
        *FIELD_EVENTS,
        *GONE_EVENTS,
    }
)
