"""The whole system on 127.0.0.1 (:class:`system_support.System`: a Temporal dev server,
`serviceflow worker` and `serviceflow serve` as their own processes, the fake Zendesk), the
end-to-end policies, and a relay between the fake and the receiver that delivers every webhook
twice and out of order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import system_support
from serviceflow_zendesk.fake import FakeZendesk
from system_support import frontline_policies

from serviceflow.fakes.server import free_port as free_port
from serviceflow.fakes.sink import read_body
from serviceflow.fakes.waiting import eventually as eventually
from serviceflow.fakes.waiting import wait_until as wait_until

SECRET = "sf-e2e-webhook-secret"

POLICIES = frontline_policies(
    "e2e",
    within="8s",
    at_risk=0.5,
    rest="""\
same_case:
  when: other_ticket.requester.id == ticket.requester.id
---
apiVersion: serviceflow/v1
kind: Policy
name: e2e-quarantine
applies_to: quarantined
quarantine:
  - {name: known-customer, when: size(open_cases) > 0, do: recover}
  - {name: review-the-rest, do: review}
owner:
  - {name: triage, from: [group:Triage]}
targets:
  - {name: review, start: event.kind == "created", stop: ticket.status == "closed", within: 6s}
""",
)
# Zendesk has no team leads: who leads whom is laid over the helpdesk's roster, by email.
ROSTER_OVERLAY = """\
agents:
  - {id: ann@shop.example, lead: lee@shop.example}
  - {id: tia@shop.example, lead: lee@shop.example}
"""


@dataclass
class Relay:
    """Takes the fake's webhooks (answering 200) and passes each on to the receiver twice, every
    batch newest first: a vendor that retries and reorders, as real ones do."""

    target: str = ""
    pending: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    forwarded: int = 0
    largest_batch: int = 0  # deliveries reversed together (>1: some came out of order)

    async def app(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        body = await read_body(receive)
        headers = {
            k.decode(): v.decode()
            for k, v in scope["headers"]
            if k.decode().startswith("x-zendesk") or k.decode() == "content-type"
        }
        self.pending.append((headers, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not stop.is_set():
                batch, self.pending = self.pending, []
                self.largest_batch = max(self.largest_batch, len(batch))
                for _copy in range(2):
                    for headers, body in reversed(batch):
                        response = await client.post(self.target, content=body, headers=headers)
                        self.statuses.append(response.status_code)
                        self.forwarded += 1
                try:
                    await asyncio.wait_for(stop.wait(), 0.4)  # let a batch gather
                except TimeoutError:
                    pass


async def casey_writes_in(zendesk: FakeZendesk, *, owner: int) -> tuple[dict[str, Any], int]:
    """Casey, a customer, writes in ("Charged twice"; the fake sends its webhooks); returns her
    and the ticket's id once agent ``owner`` owns the ticket."""
    casey = zendesk.add_user("Casey", email="casey@example.com")
    ticket = zendesk.state.add_ticket(
        {"subject": "Charged twice", "comment": {"body": "Refund please.", "public": True},
         "requester_id": casey["id"]},
        actor_id=casey["id"], notify=True,
    )["id"]  # fmt: skip
    await wait_until(
        lambda: zendesk.ticket(ticket)["assignee_id"] == owner, 60, "Casey's case to have its owner"
    )
    return casey, int(ticket)


def stamp(value: str) -> datetime:
    """A helpdesk timestamp (``...Z``) as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class System(system_support.System):
    """Everything of one end-to-end run, in ``root``: the quarantine watcher polls the fake every
    second, and review cases' notifications go to :attr:`notify_url`."""

    def __init__(self, root: Path, zendesk: FakeZendesk, policies: str = POLICIES) -> None:
        super().__init__(root, zendesk, name="e2e", policies=policies, roster=ROSTER_OVERLAY, secret=SECRET)
        self.notify_url = ""  # where review cases' notifications go (set before starting)
        self.extra_env: dict[str, str] = {}  # more settings for the processes (set before starting)

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "SERVICEFLOW_QUARANTINE_WATCH": '["zendesk:127.0.0.1"]',
            "SERVICEFLOW_QUARANTINE_INTERVAL": "1",
            "SERVICEFLOW_NOTIFY_URL": self.notify_url,
            **self.extra_env,
        }
