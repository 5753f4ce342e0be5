"""Help Scout's quarantine is its spam folder: conversations whose status is ``spam``.

Spam is a status and a folder (OFFICIAL-KB, "Manage spam and unwanted email"; CONTRACTS.md §9):
mail Help Scout's filter catches, or a person marks, sits in the inbox's Spam folder.

- **List**: ``GET /v2/conversations?status=spam`` every page (``spam`` is a documented list
  status, §2.1), for the inboxes in ``SERVICEFLOW_HELPSCOUT_SPAM_MAILBOXES`` (all when unset),
  read whole and then yielded oldest first, so a listing cut short by an error yields nothing
  rather than a partial queue the watcher would misread.
- **Recover**: ``PATCH /status`` replace ``active`` (the documented path and value, §4.1), which
  makes it an ordinary open conversation of its sender. Whether that also un-trains Help Scout's
  filter for the sender, as the UI's "Not Spam" does, is UNVERIFIED: the README tells a person to
  use "Not Spam" and the Allow list for a sender who must never be filtered again.
- **Dismiss**: ``DELETE /v2/conversations/{id}`` (204, OFFICIAL-SDK). Marking it spam again would
  train the filter, which Help Scout advises against for mail that is not spam (OFFICIAL-KB);
  deleting does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from serviceflow.model import QuarantinedMessage
from serviceflow.model import Ticket as CoreTicket

from . import convert
from .actions import conversation_number
from .client import HelpScoutClient
from .errors import ConversationGone, QuarantinedMessageGone
from .models import Conversation
from .settings import HelpScoutSettings

if TYPE_CHECKING:
    from .adapter import HelpScoutAdapter


class SpamFolder:
    """The :class:`~serviceflow.adapters.QuarantineQueue` of one :class:`~.adapter.HelpScoutAdapter`."""

    def __init__(self, adapter: HelpScoutAdapter) -> None:
        self._adapter = adapter

    async def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        settings = self._adapter.checked(account)
        client = self._adapter.client(settings)
        params = [("status", convert.SPAM)]
        if settings.spam_mailboxes:
            params.append(("mailbox", ",".join(str(m) for m in settings.spam_mailboxes)))
        found = [c async for c in client.all_conversations(params) if c.status == convert.SPAM]
        found.sort(key=lambda c: (c.createdAt, int(c.id)))
        for conversation in found:
            recipient = await recipient_of(client, conversation)
            yield convert.quarantined(conversation, account=settings.account, recipient=recipient)

    async def recover(self, account: str, message_id: str) -> CoreTicket:
        """Un-spam the conversation; the ticket as Help Scout has it afterwards.

        Raises:
            QuarantinedMessageGone: it no longer exists or is no longer spam.
        """
        settings = self._adapter.checked(account)
        client = self._adapter.client(settings)
        cid = conversation_number(message_id)
        await _spam(client, cid)
        await client.patch(cid, "replace", "/status", "active")
        after = await _gone_on_404(client, cid)
        return ticket_of(settings, after, await recipient_of(client, after))

    async def dismiss(self, account: str, message_id: str) -> str:
        """Delete the spam conversation; ``"skipped: ..."`` when it is gone or no longer spam."""
        client = self._adapter.client(self._adapter.checked(account))
        cid = conversation_number(message_id)
        try:
            conversation = await client.conversation(cid)
        except ConversationGone:
            return "skipped: already gone"
        if conversation.status != convert.SPAM:
            return "skipped: no longer spam (a person recovered it)"
        try:
            await client.delete_conversation(cid)
        except ConversationGone:
            return "skipped: already gone"
        return "done"


def ticket_of(settings: HelpScoutSettings, conversation: Conversation, recipient: str | None) -> CoreTicket:
    return convert.ticket_from_conversation(
        conversation,
        account=settings.account,
        priority_prefix=settings.priority_tag_prefix,
        recipient=recipient,
    )


async def recipient_of(client: HelpScoutClient, conversation: Conversation) -> str | None:
    """The address of the conversation's inbox (read once per inbox and kept)."""
    if conversation.mailboxId is None:
        return None
    return (await client.mailbox(conversation.mailboxId)).email


async def _spam(client: HelpScoutClient, cid: int) -> Conversation:
    conversation = await _gone_on_404(client, cid)
    if conversation.status != convert.SPAM:
        raise QuarantinedMessageGone(
            f"Help Scout conversation {cid} is no longer spam (someone recovered it)"
        )
    return conversation


async def _gone_on_404(client: HelpScoutClient, cid: int) -> Conversation:
    try:
        return await client.conversation(cid)
    except ConversationGone as exc:
        raise QuarantinedMessageGone(f"Help Scout conversation {cid} no longer exists") from exc
