"""The vendor-neutral domain model: tickets, events, cases and actions."""

from serviceflow.model.actions import (
    Action,
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    MergeTickets,
    Notify,
    RemoveTags,
    SetPriority,
    SetStatus,
)
from serviceflow.model.case import (
    CaseState,
    CaseView,
    Decision,
    OwnershipChange,
    TargetState,
    TargetStatus,
    TargetView,
)
from serviceflow.model.events import Actor, ActorRole, EventKind, TicketEvent
from serviceflow.model.roster import Agent, Group, Remedy, Roster
from serviceflow.model.ticket import Channel, Priority, Requester, Ticket, TicketStatus

__all__ = [
    "Action",
    "Actor",
    "ActorRole",
    "AddInternalNote",
    "AddPublicReply",
    "AddTags",
    "Agent",
    "AssignOwner",
    "CaseState",
    "CaseView",
    "Channel",
    "Decision",
    "EventKind",
    "Group",
    "MergeTickets",
    "Notify",
    "OwnershipChange",
    "Priority",
    "Remedy",
    "RemoveTags",
    "Requester",
    "Roster",
    "SetPriority",
    "SetStatus",
    "TargetState",
    "TargetStatus",
    "TargetView",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
]
