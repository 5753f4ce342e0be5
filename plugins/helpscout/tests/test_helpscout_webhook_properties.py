"""Any delivery body, against the Help Scout webhook parser: refused as a 400 with one of its
reasons, or events of the conversation; never another exception (hypothesis, bounded)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from serviceflow_helpscout.models import Conversation, Thread
from test_helpscout_webhooks import OFFICIAL, Reads, body, parse

from serviceflow.plugins.webhooks import WebhookRejected

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(sorted({*OFFICIAL, "_embedded", "threads", "customFields"}))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """The official body with some fields replaced by anything, or anything at all."""
    if draw(st.booleans()):
        data: Any = body()
        for name in draw(st.lists(_fields, max_size=4)):
            data[name] = draw(_json)
        return json.dumps(data).encode()
    return draw(st.binary(max_size=60) | _json.map(lambda v: json.dumps(v).encode()))


@settings(max_examples=300, deadline=None)
@given(
    event=st.sampled_from(
        [
            "convo.created",
            "convo.note.created",
            "convo.status",
            "convo.assigned",
            "convo.tags",
            "convo.customer.reply.created",
            "convo.deleted",
            "helpscout.test",
            "x",
        ]
    ),
    raw=bodies(),
    threads=st.lists(_json, max_size=3),
)
def test_no_input_raises_anything_but_a_rejection(event: str, raw: bytes, threads: list[Any]) -> None:
    class AnyThreads(Reads):
        async def read(self, conversation: Conversation) -> Sequence[Thread]:
            from serviceflow_helpscout.webhooks import validated

            return [validated(Thread, t) for t in threads]  # a bad thread is a refusal too

    try:
        events = asyncio.run(parse(event, None, AnyThreads(), raw=raw))
    except WebhookRejected as exc:
        assert exc.status == 400 and exc.reason in {"missing_event", "not_json", "unknown_shape", "bad_id"}
    else:
        assert all(e.ticket.vendor == "helpscout" and e.ticket.id.isdigit() for e in events)
