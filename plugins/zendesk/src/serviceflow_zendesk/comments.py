"""Comments written once per action key, also across a 5xx after the write.

A comment is the one write a retry would duplicate (a customer would get the same public reply
twice), so each carries its action's key in a marker at the end of its body and is written only
after the newest comments were read and the marker not found. Zendesk may apply a ticket PUT and
still answer 502/504 (a gateway lost the answer; CONTRACTS.md §8): the client does not repeat a
comment PUT after a 5xx (``idempotent=False``, :meth:`.client.ZendeskClient.add_comment`), and
:func:`write_once` reads the comments again before the error is passed on - a comment that is
there is done, never written twice.
"""

from __future__ import annotations

import logging

from .client import ZendeskClient
from .errors import ServerError, TransportFailed

log = logging.getLogger(__name__)

#: How many of the newest comments are searched for an action's marker. Retries come soon after
#: the first attempt, so the marker, if written, is among the newest comments.
RECENT_COMMENTS = 100


def marker(key: str) -> str:
    """The line appended to a comment so a retry can find it: ``[sf:<key>]``."""
    return f"[sf:{key}]"


async def write_once(client: ZendeskClient, tid: int, key: str, body: str, *, public: bool) -> str:
    """Read, then write once. A 5xx (or a lost answer) after the write may come after Zendesk
    applied it (CONTRACTS.md §8), so the comments are read again before the error is passed on
    for a retry: a comment that is there is done, never written twice."""
    tag = marker(key)
    if await has_marker(client, tid, tag):
        return "skipped: already done"
    try:
        await client.add_comment(tid, f"{body.rstrip()}\n\n{tag}", public=public)
    except (ServerError, TransportFailed) as exc:
        if isinstance(exc, TransportFailed) and exc.retry_safe:
            raise  # it never left: nothing can have been written
        if await has_marker(client, tid, tag):
            log.info("zendesk: ticket %s: the comment %s was written before the error (%s)", tid, key, exc)
            return "done"
        raise
    return "done"


async def has_marker(client: ZendeskClient, tid: int, tag: str) -> bool:
    seen = 0
    async for comment in client.list_comments(tid, newest_first=True):
        text = comment.body or (comment.model_extra or {}).get("plain_body") or ""
        if tag in text:
            return True
        seen += 1
        if seen >= RECENT_COMMENTS:
            break
    return False
