"""Notes and replies written once per action key.

A note or reply is the one write a retry would duplicate, and Freshdesk has no idempotency key.
So each ends with the action key in a marker (``[sf:<key>]``) and is written only after reading
the ticket's conversations (every page, ``GET /api/v2/tickets/{id}/conversations``) and not
finding it. A POST is never retried by the transport; a 5xx or a lost answer after it may come
after the note was written, so the conversations are read again before the error is passed on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .client import FreshdeskClient
from .errors import ServerError, TransportFailed
from .models import Conversation
from .text import to_html

log = logging.getLogger(__name__)

Kind = Literal["note", "reply"]


def marker(key: str) -> str:
    """The line ending a note or reply so a retry can find it: ``[sf:<key>]``."""
    return f"[sf:{key}]"


@dataclass(frozen=True)
class Written:
    """What :func:`write_once` did.

    Attributes:
        outcome: ``"done"`` (written now, or found written before an error) or
            ``"skipped: already done"`` (an earlier attempt wrote it).
        conversation: The note or reply as Freshdesk answered or lists it.
    """

    outcome: str
    conversation: Conversation | None


async def write_once(
    client: FreshdeskClient,
    tid: int,
    key: str,
    body: str,
    *,
    kind: Kind,
    notify_emails: Sequence[str] = (),
) -> Written:
    """Write ``body`` (plain text) with the key's marker unless a conversation already has it."""
    tag = marker(key)
    found = await find_marker(client, tid, tag)
    if found is not None:
        return Written("skipped: already done", found)
    html = to_html(f"{body.rstrip()}\n\n{tag}")
    try:
        if kind == "reply":
            written = await client.add_reply(tid, html)
        else:
            written = await client.add_note(tid, html, private=True, notify_emails=notify_emails)
    except (ServerError, TransportFailed) as exc:
        if isinstance(exc, TransportFailed) and exc.retry_safe:
            raise  # it never left: nothing can have been written
        found = await find_marker(client, tid, tag)
        if found is not None:
            log.info("freshdesk: ticket %s: the %s %s was written before the error (%s)", tid, kind, key, exc)
            return Written("done", found)
        raise
    return Written("done", written)


async def find_marker(client: FreshdeskClient, tid: int, tag: str) -> Conversation | None:
    """The conversation of the ticket that carries ``tag`` (in its text or its HTML), or None."""
    escaped = to_html(tag).removeprefix("<div>").removesuffix("</div>")
    async for conversation in client.list_conversations(tid):
        texts = (conversation.body_text or "", conversation.body or "")
        if any(tag in t or escaped in t for t in texts):
            return conversation
    return None
