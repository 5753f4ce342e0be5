"""Zendesk webhook signatures: sign outgoing bodies (the fake) and verify incoming ones (the app).

Zendesk signs every webhook request as ``base64(HMAC-SHA256(key=secret, msg=timestamp + body))``:
the raw ``x-zendesk-webhook-signature-timestamp`` header value directly followed by the raw body
bytes, no separator, keyed by the signing secret's UTF-8 bytes (not base64-decoded). An older doc
page says body + timestamp; the current doc and a real test vector both say timestamp + body, so
that is the only order accepted here (CONTRACTS.md §1.9).

Zendesk documents no replay window, so ``verify`` takes one (five minutes by default) and reports
each way a request can fail as its own machine-readable reason: the webhook app logs it and answers
a 4xx that says why, instead of a bare "forbidden".
"""

from __future__ import annotations

import binascii
import functools
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
DEFAULT_TOLERANCE = timedelta(minutes=5)

#: Zendesk's static signing secret for "Test webhook" calls made before a webhook exists
#: (base64 text of ``this_secret_is_for_testing_only``; used as-is, never decoded).
ZENDESK_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="


class VerifyReason(StrEnum):
    """Why a webhook request was accepted or refused; stable strings for logs and 4xx bodies."""

    OK = "ok"
    MISSING_SIGNATURE = "missing_signature"
    MISSING_TIMESTAMP = "missing_timestamp"
    BAD_SIGNATURE = "bad_signature"
    UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of :func:`verify`.

    Attributes:
        accepted: True only when the signature matches and the timestamp is inside the window.
        reason: Machine-readable reason; ``VerifyReason.OK`` when accepted.
        detail: A human sentence for logs. Never contains the secret or the expected signature.
    """

    accepted: bool
    reason: VerifyReason
    detail: str = ""


def sign(secret: str | bytes, timestamp: str, body: bytes | str) -> str:
    """Return the ``x-zendesk-webhook-signature`` value for a body sent at ``timestamp``.

    Args:
        secret: The webhook's signing secret, used as its UTF-8 bytes exactly as Zendesk shows it.
        timestamp: The exact ``x-zendesk-webhook-signature-timestamp`` header value.
        body: The raw request body; text is encoded as UTF-8.

    Returns:
        The base64 text of the HMAC-SHA256 digest.
    """
    return _signature(secret, timestamp, body).decode("ascii")


def _signature(secret: str | bytes, timestamp: str, body: bytes | str) -> bytes:
    """``base64(HMACSHA256(TIMESTAMP + BODY))`` (developer.zendesk.com/documentation/webhooks/
    verifying: "Represented simply"), as ASCII bytes: the HMAC from a copy of the secret's keyed
    state (RFC 2104's inner and outer pads, hashed once per secret instead of once per delivery),
    base64 without a newline (what ``base64.b64encode`` returns, without its wrapper)."""
    key = secret.encode() if isinstance(secret, str) else secret
    raw = body.encode() if isinstance(body, str) else body
    mac = _keyed(key).copy()
    mac.update(timestamp.encode() + raw)
    return binascii.b2a_base64(mac.digest(), newline=False)


@functools.lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``key`` and fed nothing: copied for each message (``copy()``,
    docs.python.org/3/library/hmac.html: "Return a copy ("clone") of the hmac object. This can be
    used to efficiently compute the digests of strings that share a common initial substring")."""
    return hmac.new(key, digestmod="sha256")


def verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: datetime,
    tolerance: timedelta | None = DEFAULT_TOLERANCE,
) -> VerifyResult:
    """Check a webhook request's signature and, unless disabled, the freshness of its timestamp.

    The signature is checked before the window, so ``stale_timestamp`` means "authentic but old"
    (a replay or a very late retry) rather than "someone sent garbage".

    Args:
        secret: The webhook's signing secret.
        headers: The request headers; looked up case-insensitively, so a plain dict works.
        body: The raw body bytes exactly as received (re-serialised JSON will not verify).
        now: The receiver's current time, timezone-aware; passed in so tests need no clock.
        tolerance: How far the timestamp may be from ``now`` either way. ``None`` disables the
            window explicitly (for fixed vectors such as Zendesk's, whose timestamp is ``1234``);
            the timestamp is then not parsed at all.

    Returns:
        A :class:`VerifyResult`; never raises for bad input.

    Raises:
        ValueError: ``now`` is naive, a caller bug that would make the window meaningless.
    """
    if now.tzinfo is None:
        raise ValueError("verify() needs a timezone-aware `now`")
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        return VerifyResult(False, VerifyReason.MISSING_SIGNATURE, f"no {SIGNATURE_HEADER} header")
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not timestamp:
        return VerifyResult(False, VerifyReason.MISSING_TIMESTAMP, f"no {TIMESTAMP_HEADER} header")
    expected = _signature(secret, timestamp, body)
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        given = b""
    if not hmac.compare_digest(expected, given):
        return VerifyResult(False, VerifyReason.BAD_SIGNATURE, "signature does not match timestamp + body")
    if tolerance is None:
        return VerifyResult(True, VerifyReason.OK, "signature valid; replay window disabled")
    sent_at = parse_timestamp(timestamp)
    if sent_at is None:
        return VerifyResult(
            False, VerifyReason.UNPARSEABLE_TIMESTAMP, f"timestamp {timestamp!r} is not ISO-8601"
        )
    skew = now - sent_at
    if skew > tolerance:
        return VerifyResult(False, VerifyReason.STALE_TIMESTAMP, f"timestamp is {skew} old (max {tolerance})")
    if -skew > tolerance:
        return VerifyResult(
            False, VerifyReason.FUTURE_TIMESTAMP, f"timestamp is {-skew} ahead (max {tolerance})"
        )
    return VerifyResult(True, VerifyReason.OK, "signature valid and fresh")


def parse_timestamp(value: str) -> datetime | None:
    """Parse Zendesk's ISO-8601 signature timestamp (``2021-03-25T05:09:27Z``); None if it isn't one.

    Only full date-times are accepted: a bare year or an epoch number is not what Zendesk sends,
    and guessing would widen what an attacker can replay. A value without an offset is taken as
    UTC, which is what Zendesk's ``Z`` means.
    """
    text = value.strip()
    if "T" not in text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():
        if key.lower() == name:
            return candidate
    return None
