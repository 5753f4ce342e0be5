"""The rules by which the fake Help Scout's conversations change, each announcing its webhook.

One function per documented write (CONTRACTS.md §2.5, §3.2-3.4, §4), used both by the HTTP API
(serviceflow's writes, as the app's user) and by the fake's own moves (a customer writes in, a
person notes or assigns in the UI). What each does, and the webhook it fires:

- a customer's new mail opens a conversation (``convo.created``); a customer's reply reopens it
  (``active``) and fires ``convo.customer.reply.created`` (that a reply reopens a closed
  conversation is Help Scout's documented behaviour in its knowledge base, not in the API pages);
- ``POST .../notes`` and ``POST .../reply`` add a ``note`` / ``message`` thread by the ``user``
  (the resource owner when not given), 412 once the conversation has 99 threads, and fire
  ``convo.note.created`` / ``convo.agent.reply.created``; a reply without ``status`` reactivates
  the conversation (OFFICIAL), a note without one leaves it (the fake's choice, UNVERIFIED);
- ``PATCH`` sets ``/status`` (``convo.status``), ``/assignTo`` (``convo.assigned``), moves
  ``/mailboxId`` (``convo.moved``) or sets ``/subject``, ``/primaryCustomer.id`` (no event
  documented); each change of status or assignee adds a ``lineitem`` thread by its author;
- ``PUT .../tags`` replaces the list (``convo.tags``; no line item, none is documented);
- a delete fires ``convo.deleted`` with ``{"id"}``; a merge moves the threads into the target,
  leaves a ``merged`` line item naming the original, answers 301 for the old id, and fires
  ``convo.merged`` with the target.

A write that changes nothing (the same status, assignee or tags again) fires nothing and adds no
line item: the fake's choice, so a retried write is one change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..convert import plain
from .records import Json, bad_request, thread_limit
from .state import STATUSES, FakeState

#: "add a thread to a conversation that has 99 threads or more ... 412" (OFFICIAL).
THREAD_LIMIT = 99
NOTE_STATUSES = (*STATUSES, "inbox_predefined")
PREVIEW_CHARS = 100


def open_conversation(
    state: FakeState,
    *,
    customer_id: int,
    mailbox_id: int,
    subject: str,
    body: str,
    tags: Iterable[str] = (),
    status: str = "active",
    kind: str = "email",
    notify: bool = True,
) -> Json:
    """A customer's mail becomes a conversation: one ``customer`` thread."""
    with state.lock:
        if customer_id not in state.customers or mailbox_id not in state.mailboxes:
            raise KeyError(f"no customer {customer_id} or inbox {mailbox_id}")
        now = state.now()
        customer = state.customer_ref(customer_id)
        cid = next(state.ids.conversations)
        conversation: Json = {
            "id": cid,
            "number": next(state.ids.numbers),
            "threads": 0,
            "type": kind,
            "folderId": mailbox_id * 10,
            "status": status,
            "state": "published",
            "subject": subject,
            "preview": "",
            "mailboxId": mailbox_id,
            "createdBy": customer,
            "createdAt": now,
            "userUpdatedAt": now,
            "customerWaitingSince": {"time": now, "friendly": "just now"},
            "source": {"type": "email" if kind == "email" else kind, "via": "customer"},
            "tags": [],
            "cc": [],
            "bcc": [],
            "primaryCustomer": customer,
            "customFields": [],
            "_links": {
                "self": {"href": f"/v2/conversations/{cid}"},
                "mailbox": {"href": f"/v2/mailboxes/{mailbox_id}"},
            },
        }
        state.conversations[cid] = conversation
        state.threads[cid] = []
        _set_tags(state, conversation, list(tags))
        _thread(state, conversation, "customer", body=body, created_by=customer, customer=customer)
        state.modified[cid] = now
        if notify:
            state.emit("convo.created", cid)
        return state.view(conversation)


def customer_writes(state: FakeState, conversation_id: int, body: str) -> Json:
    """The customer replies: a ``customer`` thread, the conversation active again."""
    with state.lock:
        conversation = state.writable(conversation_id)
        customer = conversation["primaryCustomer"]
        changed = conversation["status"] != "active"
        conversation["status"] = "active"
        (
            conversation.pop("closedBy", None),
            conversation.pop("closedByUser", None),
            conversation.pop("closedAt", None),
        )
        thread = _thread(
            state,
            conversation,
            "customer",
            body=body,
            created_by=customer,
            customer=customer,
            status="active" if changed else "nochange",
        )
        conversation["customerWaitingSince"] = {"time": state.now(), "friendly": "just now"}
        state.modified[conversation_id] = state.now()
        state.emit("convo.customer.reply.created", conversation_id)
        return thread


def add_thread(state: FakeState, conversation_id: int, kind: str, payload: Any, *, actor_id: int) -> Json:
    """``POST .../notes`` (``kind="note"``) or ``POST .../reply`` (``kind="reply"``): 400 for
    a missing ``text`` (or a reply's ``customer``), 412 past the thread limit."""
    body = _object(payload)
    problems: list[tuple[str, str, Any]] = []
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(("text", "may not be empty", None))
    status = body.get("status")
    allowed = NOTE_STATUSES if kind == "note" else STATUSES
    if status is not None and status not in allowed:
        problems.append(("status", f"Expected one of these: {', '.join(repr(s) for s in allowed)}", status))
    user = body.get("user", actor_id)
    with state.lock:
        if not isinstance(user, int) or isinstance(user, bool) or user not in state.users:
            problems.append(("user", "Invalid identifier", user))
        customer = body.get("customer")
        cust_id = customer.get("id") if isinstance(customer, dict) else None
        if kind == "reply":
            if not isinstance(cust_id, int) or cust_id not in state.customers:
                problems.append(("customer", "may not be null", customer))
        if problems:
            raise bad_request(*problems)
        conversation = state.writable(conversation_id)
        new = None
        if kind == "reply" and status is None:
            new = "active"  # "If not explicitly set, a reply thread will reactivate the conversation"
        elif status not in (None, "inbox_predefined"):
            new = status
        changed = new if new is not None and new != conversation["status"] else None
        author = state.person(user)
        thread = _thread(
            state,
            conversation,
            "message" if kind == "reply" else "note",
            body=str(text),
            created_by=author,
            customer=state.customer_ref(cust_id) if kind == "reply" and isinstance(cust_id, int) else None,
            status=changed or "nochange",
        )
        if changed:
            _status(state, conversation, changed, user)
        if kind == "reply" and isinstance(body.get("assignTo"), int):
            _assign(state, conversation, body["assignTo"], user, line=False)
        _touch(state, conversation)
        state.emit("convo.agent.reply.created" if kind == "reply" else "convo.note.created", conversation_id)
        if changed:
            state.emit("convo.status", conversation_id)
        return thread


def patch(state: FakeState, conversation_id: int, payload: Any, *, actor_id: int) -> None:
    """``PATCH /v2/conversations/{id}``: one operation, a single object (OFFICIAL table)."""
    body = _object(payload)
    op, path, value = body.get("op"), body.get("path"), body.get("value")
    with state.lock:
        conversation = state.writable(conversation_id)
        if (op, path) == ("replace", "/status"):
            if value not in STATUSES:
                raise bad_request(
                    ("status", f"Expected one of these: {', '.join(repr(s) for s in STATUSES)}", value)
                )
            if value != conversation["status"]:
                _status(state, conversation, value, actor_id)
                _line(
                    state,
                    conversation,
                    actor_id,
                    "changed-status",
                    f"changed the status to {value}",
                    status=value,
                )
                _touch(state, conversation)
                state.emit("convo.status", conversation_id)
        elif path == "/assignTo" and op in ("replace", "remove"):
            target = None if op == "remove" else value
            if op == "replace" and (
                not isinstance(value, int)
                or isinstance(value, bool)
                or (value not in state.users and value not in state.teams)
            ):
                raise bad_request(("assignTo", "Invalid identifier", value))
            if _assignee_id(conversation) != target:
                _assign(state, conversation, target, actor_id)
                _touch(state, conversation)
                state.emit("convo.assigned", conversation_id)
        elif (op, path) == ("move", "/mailboxId"):
            if value not in state.mailboxes:
                raise bad_request(("mailboxId", "Invalid identifier", value))
            if value != conversation["mailboxId"]:
                conversation["mailboxId"] = value
                _touch(state, conversation)
                state.emit("convo.moved", conversation_id)
        elif (op, path) == ("replace", "/subject"):
            if not isinstance(value, str) or not value.strip():
                raise bad_request(("subject", "may not be empty", value))
            conversation["subject"] = value
            _touch(state, conversation)
        else:
            raise bad_request(
                ("op", "one of: add move remove replace", op), ("path", "Value not supported", path)
            )


def put_tags(state: FakeState, conversation_id: int, payload: Any, *, actor_id: int) -> None:
    """``PUT .../tags``: "The entire tag list ... must be sent" (OFFICIAL)."""
    tags = _object(payload).get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise bad_request(("tags", "must be a list of tag names", tags))
    with state.lock:
        conversation = state.writable(conversation_id)
        if [t["tag"] for t in conversation["tags"]] == list(dict.fromkeys(tags)):
            return
        _set_tags(state, conversation, tags)
        _touch(state, conversation)
        state.emit("convo.tags", conversation_id)


def delete(state: FakeState, conversation_id: int) -> None:
    with state.lock:
        state.writable(conversation_id)
        del state.conversations[conversation_id]
        state.emit("convo.deleted", conversation_id)


def merge(state: FakeState, source_id: int, target_id: int, *, actor_id: int) -> None:
    """The source's threads move into the target, each marked by a ``merged`` line item naming
    the original (observed live, SECONDARY); the old id answers 301 to reads, 404 to writes."""
    with state.lock:
        if source_id == target_id:
            raise bad_request(("id", "a conversation cannot be merged into itself", source_id))
        source, target = state.writable(source_id), state.writable(target_id)
        for thread in state.threads.pop(source_id):
            state.threads[target_id].append(thread)
        line = _line(state, target, actor_id, "merged", f"merged conversation #{source['number']}")
        line["action"]["associatedEntities"] = {"originalConversation": source_id}
        target["threads"] = len(state.threads[target_id])
        del state.conversations[source_id]
        state.merged[source_id] = target_id
        _touch(state, target)
        state.emit("convo.merged", target_id)


def mark_spam(state: FakeState, conversation_id: int, *, actor_id: int | None, notify: bool = True) -> None:
    """A person (or a workflow, ``actor_id=None``) marks the conversation as spam."""
    with state.lock:
        conversation = state.writable(conversation_id)
        if conversation["status"] == "spam":
            return
        conversation["status"] = "spam"
        if actor_id is not None:
            _line(state, conversation, actor_id, "changed-status", "marked as spam", status="spam")
            _touch(state, conversation)
        state.modified[conversation_id] = state.now()
        if notify:
            state.emit("convo.status", conversation_id)


# ---------------------------------------------------------------------- the parts


def _object(payload: Any) -> Json:
    if not isinstance(payload, dict):
        raise bad_request(("body", "the request body must be a JSON object", None))
    return payload


def _touch(state: FakeState, conversation: Json) -> None:
    """A user changed it: ``userUpdatedAt`` ("the last user update", OFFICIAL) and the fake's
    modification time move."""
    conversation["userUpdatedAt"] = state.now()
    state.modified[conversation["id"]] = state.now()


def _thread(
    state: FakeState,
    conversation: Json,
    kind: str,
    *,
    body: str,
    created_by: Json,
    customer: Json | None = None,
    status: str = "nochange",
) -> Json:
    threads = state.threads[conversation["id"]]
    if len(threads) >= THREAD_LIMIT:
        raise thread_limit()
    thread: Json = {
        "id": next(state.ids.threads),
        "type": kind,
        "status": status,
        "state": "published",
        "body": body,
        "source": {"type": "email" if kind != "note" else "web", "via": created_by.get("type", "user")},
        "createdBy": created_by,
        "assignedTo": conversation.get("assignee"),
        "to": [customer["email"]] if customer and kind == "message" and customer.get("email") else [],
        "cc": [],
        "bcc": [],
        "createdAt": state.now(),
    }
    if customer is not None:
        thread["customer"] = customer
    threads.append(thread)
    conversation["threads"] = len(threads)
    if kind in ("customer", "message", "note"):
        conversation["preview"] = plain(body)[:PREVIEW_CHARS]
    return thread


def _line(
    state: FakeState, conversation: Json, actor_id: int, action: str, text: str, *, status: str = "nochange"
) -> Json:
    """A line item: "a change of state on the conversation", by its author. Its ``action.type``
    values are the fake's own words (the v2 list is UNVERIFIED)."""
    author = state.person(actor_id) if actor_id in state.users else {"id": actor_id, "type": "user"}
    thread = {
        "id": next(state.ids.threads),
        "type": "lineitem",
        "status": status,
        "state": "published",
        "action": {
            "type": action,
            "text": f"{author.get('first', 'Someone')} {text}",
            "associatedEntities": {},
        },
        "createdBy": author,
        "assignedTo": conversation.get("assignee"),
        "createdAt": state.now(),
    }
    state.threads[conversation["id"]].append(thread)
    conversation["threads"] = len(state.threads[conversation["id"]])
    return thread


def _status(state: FakeState, conversation: Json, status: str, actor_id: int) -> None:
    conversation["status"] = status
    if status == "closed":
        conversation["closedBy"] = actor_id
        if actor_id in state.users:
            conversation["closedByUser"] = state.person(actor_id)
        conversation["closedAt"] = state.now()
    else:
        (
            conversation.pop("closedBy", None),
            conversation.pop("closedByUser", None),
            conversation.pop("closedAt", None),
        )


def _assignee_id(conversation: Json) -> int | None:
    assignee = conversation.get("assignee")
    return None if assignee is None else int(assignee["id"])


def _assign(
    state: FakeState, conversation: Json, target: int | None, actor_id: int, *, line: bool = True
) -> None:
    if target is None:
        conversation.pop("assignee", None)
    elif target in state.teams:
        conversation["assignee"] = {"id": target, "type": "team", "first": state.teams[target]["name"]}
    else:
        conversation["assignee"] = state.person(target)
    if line:
        who = "nobody" if target is None else conversation["assignee"].get("first", str(target))
        _line(state, conversation, actor_id, "changed-assignee", f"assigned this conversation to {who}")


def _set_tags(state: FakeState, conversation: Json, tags: list[str]) -> None:
    """Tags by name; "if the tag specified does not exist it will be first created" (OFFICIAL)."""
    shown = []
    for name in dict.fromkeys(tags):
        tag_id = state.tag_ids.setdefault(name, next(state.ids.tags))
        shown.append({"id": tag_id, "color": "#929499", "tag": name})
    conversation["tags"] = shown
