"""Reading an export file: JSON Lines, the format chosen by its first record, one helpdesk only.

Limits (explicit, and tested): a line holds at most :data:`MAX_LINE_BYTES` (a Zendesk export
page of 1,000 tickets is a few MB); a file is read one line at a time, but a format may keep
what it needs to join records (a ticket with its audits) until the end.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.formats import ExportFormat, Record
from serviceflow.model import TicketEvent

#: The longest line (one record) read, in bytes.
MAX_LINE_BYTES = 64 * 1024 * 1024
_HINT = "an export file is JSON Lines: one JSON object per line (`jq -c .` writes a document so)"


def _records(stream: IO[bytes]) -> Iterator[Record]:
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ExportError(f"the line is longer than {MAX_LINE_BYTES} bytes", line=number)
        text = raw.strip()
        if not text:
            continue
        encoding = json.detect_encoding(text)  # as json.loads does with bytes (a BOM too)
        try:
            decoded = text.decode(encoding, "surrogatepass")
        except UnicodeDecodeError as exc:  # JSON text is UTF-8 (RFC 8259 section 8.1)
            raise ExportError(
                f"not {encoding.upper()} text ({exc.reason} at byte {exc.start} of the line); {_HINT}",
                line=number,
            ) from None
        try:
            data = json.loads(decoded)
        except (ValueError, RecursionError) as exc:
            if not raw.endswith(b"\n") and text.startswith(b"{"):
                raise ExportError(
                    "the file is truncated: its last line ends in the middle of a record", line=number
                ) from None
            raise ExportError(f"not JSON ({_reason(exc)}); {_HINT}", line=number) from None
        if not isinstance(data, dict):
            raise ExportError(
                f"a record must be a JSON object, not {type(data).__name__}; {_HINT}", line=number
            )
        yield Record(number, data)


def _reason(exc: ValueError | RecursionError) -> str:
    """Why ``json.loads`` refused a line, in words: its own message, Python's integer limit
    (``sys.get_int_max_str_digits``, 4,300 digits by default: "Exceeds the limit ... for integer
    string conversion"), or nesting deeper than the parser's recursion allows."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "integer string conversion" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _describe(record: Record) -> str:
    keys = sorted(record.data)
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"an object with keys {shown or '(none)'}"


def choose_format(record: Record, formats: Sequence[ExportFormat]) -> ExportFormat:
    """The first format that recognises the file's first record."""
    for fmt in formats:
        if fmt.recognises(record.data):
            return fmt
    known = "; ".join(f"{f.name} ({f.description})" for f in formats)
    raise ExportError(
        f"not a known export format: {_describe(record)}; known formats: {known}", line=record.line
    )


def _same_format(
    records: Iterator[Record], fmt: ExportFormat, formats: Sequence[ExportFormat]
) -> Iterator[Record]:
    for record in records:
        if not fmt.recognises(record.data):
            other = next((f for f in formats if f is not fmt and f.recognises(record.data)), None)
            if other is not None:
                raise ExportError(
                    f"a {other.name} record ({other.vendor}) in a {fmt.name} file ({fmt.vendor}): "
                    "one file holds one helpdesk's export; split it",
                    line=record.line,
                )
            raise ExportError(f"not a {fmt.name} record: {_describe(record)}", line=record.line)
        yield record


def read_export(
    path: Path, formats: Sequence[ExportFormat], *, account: str | None = None, format_name: str | None = None
) -> Iterator[TicketEvent]:
    """Every event in the file at ``path``, through the format its first record (or
    ``format_name``) chooses.

    Raises:
        ExportError: naming the file and the line: not the format, truncated, mixed helpdesks.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ExportError(f"cannot read it: {exc.strerror or exc}", file=str(path)) from None
    with stream:
        try:
            records = _records(stream)
            first = next(records, None)
            if first is None:
                raise ExportError("the file holds no records")
            if format_name is not None:
                fmt = _named(format_name, formats)
            else:
                fmt = choose_format(first, formats)
            chained = _chain(first, records)
            yield from fmt.read(_same_format(chained, fmt, formats), account=account)
        except ExportError as exc:
            raise exc.located(str(path)) from None


def _named(name: str, formats: Sequence[ExportFormat]) -> ExportFormat:
    for fmt in formats:
        if fmt.name == name:
            return fmt
    raise ExportError(f"no export format {name!r}; known: {', '.join(f.name for f in formats)}")


def _chain(first: Record, rest: Iterator[Record]) -> Iterator[Record]:
    yield first
    yield from rest
