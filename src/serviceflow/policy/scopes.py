"""Which variables each kind of CEL field can read.

=============  ==========================================================================
scope          variables
=============  ==========================================================================
case           ticket, event, case, now
agent          ticket, event, case, now, agent (a candidate owner)
same_case      ticket, event, now (the new contact), other, other_ticket (an open case)
remedy         ticket, case, now, remedy (what the owner wants to grant)
quarantine     message (quarantined mail), open_cases (the sender's), ticket, now
=============  ==========================================================================
"""

from __future__ import annotations

from types import MappingProxyType

from serviceflow.cel.types import TIMESTAMP, CelType, list_of, struct_of
from serviceflow.model import Agent, CaseView, QuarantinedMessage, Remedy, Ticket, TicketEvent

_TICKET = struct_of(Ticket)
_EVENT = struct_of(TicketEvent)
_CASE = struct_of(CaseView)

CASE: dict[str, CelType] = {"ticket": _TICKET, "event": _EVENT, "case": _CASE, "now": TIMESTAMP}

SCOPES = MappingProxyType(
    {
        "case": CASE,
        "agent": {**CASE, "agent": struct_of(Agent)},
        "same_case": {
            "ticket": _TICKET,
            "event": _EVENT,
            "now": TIMESTAMP,
            "other": _CASE,
            "other_ticket": _TICKET,
        },
        "remedy": {
            "ticket": _TICKET,
            "case": _CASE,
            "now": TIMESTAMP,
            "remedy": struct_of(Remedy),
        },
        "quarantine": {
            "message": struct_of(QuarantinedMessage),
            "open_cases": list_of(_CASE),
            "ticket": _TICKET,
            "now": TIMESTAMP,
        },
    }
)
