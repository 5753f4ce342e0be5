"""Authenticating Freshdesk webhooks: a shared secret, since Freshdesk signs nothing.

A "Trigger webhook" action can send custom headers and, with "Requires authentication", HTTP
Basic credentials (CONTRACTS.md §2.6; the exact custom-header UI is UNVERIFIED). serviceflow
accepts a delivery that carries the configured secret either

- in the custom header (``X-Serviceflow-Secret`` unless ``SERVICEFLOW_FRESHDESK_WEBHOOK_HEADER``
  says otherwise), or
- as the Basic-auth password (any username), or as the username ("API key" mode, where
  Freshdesk puts the key in the username; UNVERIFIED).

Only ``POST`` is taken (the README's rules use it; serviceflow's receiver answers 405 to any
other method before the plugin sees it). Every comparison is constant-time
(:func:`hmac.compare_digest`) and runs for every candidate, so neither the timing nor the reason
tells an attacker which part was close. Reasons never contain the secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from enum import StrEnum


class AuthReason(StrEnum):
    """Why a delivery was refused; stable strings for logs and 4xx bodies."""

    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    MISSING_SECRET = "missing_secret"
    BAD_SECRET = "bad_secret"
    MALFORMED_AUTHORIZATION = "malformed_authorization"
    METHOD_NOT_ALLOWED = "method_not_allowed"


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(username, password)`` of a ``Basic`` Authorization header; None if it is not one.

    Raises:
        ValueError: it says Basic but the credentials are not base64 of ``user:password``.
    """
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("Basic credentials are not base64 of UTF-8 text") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise ValueError("Basic credentials have no ':'")
    return username, password


def _same(candidate: str, secret: str) -> bool:
    return hmac.compare_digest(candidate.encode("utf-8"), secret.encode("utf-8"))


def check(secret: str | None, method: str, headers: Mapping[str, str], *, header_name: str) -> AuthReason:
    """Whether a delivery carries ``secret``; ``headers`` must have lower-case names."""
    if not secret or not secret.strip():
        return AuthReason.NOT_CONFIGURED  # unset, empty or only whitespace: fail closed
    if method.upper() != "POST":
        # The rule's Request Type offers GET, POST, PUT, PATCH and DELETE (CONTRACTS.md §2.6); the
        # README says POST, and serviceflow's receiver routes only POST (any other is its 405).
        return AuthReason.METHOD_NOT_ALLOWED
    candidates: list[str] = []
    custom = headers.get(header_name.lower())
    if custom is not None:
        candidates.append(custom.strip())
    authorization = headers.get("authorization")
    malformed = False
    if authorization:
        try:
            credentials = basic_credentials(authorization)
        except ValueError:
            credentials, malformed = None, True
        if credentials is not None:
            candidates.extend(credentials[::-1])  # the password first, then the username
    if not candidates:
        return AuthReason.MALFORMED_AUTHORIZATION if malformed else AuthReason.MISSING_SECRET
    matched = False
    for candidate in candidates:  # no early exit: every candidate costs the same
        matched |= _same(candidate, secret)
    return AuthReason.OK if matched else AuthReason.BAD_SECRET
