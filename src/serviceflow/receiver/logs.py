"""No request body in the logs: the receiver's own lines carry only what it chose, and a filter
withholds any other line that quotes the delivery being handled.

The receiver logs a refusal as ``vendor``, ``status``, ``reason`` (a bounded label), the field's
path and, for an exception, its type: never a plugin's detail text, an exception's message or a
pydantic ``input_value``, any of which can hold the body. Plugins log too, and their messages are
theirs; :class:`NoBodyText` stands guard on the handlers: while a delivery is handled (see
:func:`handling`), a record whose text contains :data:`WINDOW` consecutive characters of its body
is replaced by a line that says so, and a traceback is dropped for the exception's type.
"""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar

WINDOW = 24  # characters of the body that make a quote; shorter runs are field names and the like

_body: ContextVar[bytes | None] = ContextVar("serviceflow_receiver_body", default=None)


class handling(contextlib.AbstractContextManager[None]):  # noqa: N801 - used as a function
    """Mark the code inside as handling a delivery with this body (decoded only if a record
    is logged meanwhile). A class rather than a generator: one per webhook."""

    __slots__ = ("_body", "_token")

    def __init__(self, body: bytes) -> None:
        self._body = body if len(body) >= WINDOW else None

    def __enter__(self) -> None:
        self._token = _body.set(self._body)

    def __exit__(self, *_exc: object) -> None:
        _body.reset(self._token)


def quotes_body(text: str, body: str) -> bool:
    """Whether ``text`` contains a run of :data:`WINDOW` characters of ``body``."""
    step = WINDOW // 2  # every run of WINDOW characters holds one of these half-windows
    for start in range(0, max(len(text) - step + 1, 1), step):
        probe = text[start : start + step]
        if len(probe) < step:
            break
        at, tries = body.find(probe), 0
        while at != -1 and tries < 64:  # a body of one repeated pattern must not cost more
            tries += 1
            # Extend around the match to see whether a whole window of the body is quoted.
            left = start
            right = start + step
            body_left, body_right = at, at + step
            while left > 0 and body_left > 0 and text[left - 1] == body[body_left - 1]:
                left, body_left = left - 1, body_left - 1
            while right < len(text) and body_right < len(body) and text[right] == body[body_right]:
                right, body_right = right + 1, body_right + 1
            if right - left >= WINDOW:
                return True
            at = body.find(probe, at + 1)
    return False


#: The receiver's line for a delivery taken: its arguments are the vendor (an installed one's
#: name) and two counts, so it never quotes a body and skips the search (one per webhook).
ACCEPTED = "webhook vendor=%s status=200 events=%d duplicates=%d"


def accepted(logger: logging.Logger, vendor: str, events: int, duplicates: int) -> None:
    """``logger.info(ACCEPTED, vendor, events, duplicates)``, the same record to the same
    handlers, but for its caller's place: ``Logger._log`` walks the stack for it (findCaller and
    a ``_is_internal_frame`` per frame, about a sixth of the line's Python calls), and here the
    record names this function, a fixed place (the text and JSON formats show neither). Built by
    the public ``Logger.makeRecord`` and ``Logger.handle``, as ``_log`` builds and hands it."""
    if logger.isEnabledFor(logging.INFO):
        args = (vendor, events, duplicates)
        logger.handle(
            logger.makeRecord(logger.name, logging.INFO, __file__, _HERE, ACCEPTED, args, None, "accepted")
        )


_HERE = accepted.__code__.co_firstlineno


class NoBodyText(logging.Filter):
    """Withholds log records that quote the body of the delivery being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        raw = _body.get()
        if raw is None or record.msg is ACCEPTED:
            return True
        body = raw.decode("utf-8", "replace")
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            kind = type(record.exc_info[1]).__name__
            record.exc_info, record.exc_text = None, None
            text = f"{text} ({kind})"
            record.msg, record.args = text, ()
        if quotes_body(text, body):
            record.msg = f"{record.name}: a log line quoting the delivery's body was withheld"
            record.args = ()
        return True


def install(logger: logging.Logger | None = None) -> NoBodyText:
    """Put the filter on every handler of ``logger`` (the root logger by default)."""
    guard = NoBodyText()
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, NoBodyText) for f in handler.filters):
            handler.addFilter(guard)
    return guard
