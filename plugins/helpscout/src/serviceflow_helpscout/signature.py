"""Help Scout webhook signatures: sign outgoing bodies (the fake) and verify incoming ones.

"Each webhook request contains an X-HelpScout-Signature header, which is generated using the
given secret key, along with the json encoded payload data sent in the request" (OFFICIAL,
developer.helpscout.com/webhooks, and its PHP sample, CONTRACTS.md §8.5)::

    $calculated = base64_encode(hash_hmac('sha1', $data, WEBHOOK_SECRET_KEY, true));

so the header is ``base64(HMAC-SHA1(key = the secret's UTF-8 bytes, message = the raw body))``:
standard base64 with padding over the binary digest (28 characters), computed over the bytes as
received, before any parsing (the official PHP client does the same over the unparsed body,
``IncomingWebhook::generateSignature``). Its test vector: secret ``asdfasdf``, body
``{"id":123}`` -> ``7S2+kN8bZsrdAEADJ+yYfWWsf/4=``. The scheme signs no timestamp, so there is
no replay window to check: a replayed delivery is a redelivery, which the event ids absorb.
Comparison is constant-time; reasons never contain the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from enum import StrEnum

SIGNATURE_HEADER = "x-helpscout-signature"
EVENT_HEADER = "x-helpscout-event"


class VerifyReason(StrEnum):
    """Why a delivery was refused; stable strings for logs and 4xx bodies."""

    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    MISSING_SIGNATURE = "missing_signature"
    MALFORMED_SIGNATURE = "malformed_signature"
    BAD_SIGNATURE = "bad_signature"


def sign(secret: str, body: bytes) -> str:
    """The ``X-HelpScout-Signature`` of ``body`` under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str | None, method: str, signature: str | None, body: bytes) -> VerifyReason:
    """Whether ``signature`` is Help Scout's for ``body`` under ``secret``."""
    if not secret:
        return VerifyReason.NOT_CONFIGURED
    if method.upper() != "POST":
        return VerifyReason.METHOD_NOT_ALLOWED
    if signature is None or not signature.strip():
        return VerifyReason.MISSING_SIGNATURE
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return VerifyReason.MALFORMED_SIGNATURE
    if len(given) != hashlib.sha1().digest_size:
        return VerifyReason.MALFORMED_SIGNATURE
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()
    return VerifyReason.OK if hmac.compare_digest(given, expected) else VerifyReason.BAD_SIGNATURE
