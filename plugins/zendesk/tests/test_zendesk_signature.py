"""Webhook signatures: Zendesk's real test vector, and every way a request is refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from serviceflow_zendesk.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ZENDESK_TEST_SECRET,
    VerifyReason,
    sign,
    verify,
)

# aaronellington/zendesk-go Test_WebhookVerifySignature_200 (CONTRACTS.md §1.9): the body is the
# exact bytes of group_membership_created.json, reconstructed here byte for byte.
VECTOR_BODY = (Path(__file__).parent / "data" / "zendesk_group_membership_created.json").read_bytes()
VECTOR_TIMESTAMP = "1234"
VECTOR_SIGNATURE = "10IqYzYTLHRftNsNE+im0DeOM6/JactIRuy0XCHJ9B8="

NOW = datetime(2021, 3, 25, 5, 9, 27, tzinfo=UTC)
FRESH = "2021-03-25T05:09:27Z"
BODY = b'{"ticket_id":"35436","status":"Open"}'


def headers(signature: str | None, timestamp: str | None) -> dict[str, str]:
    found = {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: timestamp}
    return {k: v for k, v in found.items() if v is not None}


def test_the_vector_body_is_the_exact_534_bytes() -> None:
    assert len(VECTOR_BODY) == 534
    assert VECTOR_BODY.count(b"\t") == 25 and VECTOR_BODY.endswith(b"}\n")
    assert hashlib.sha256(VECTOR_BODY).hexdigest() == (
        "99ea3ee87a1131f583105cda2225e7bbbf371072ada32bfde0cf2e89e9b49f2d"
    )


def test_real_vector_signs_as_timestamp_then_body() -> None:
    assert sign(ZENDESK_TEST_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_real_vector_verifies_with_the_window_explicitly_disabled() -> None:
    # "1234" is no date-time, so no replay window can apply to it: switch it off, on purpose.
    result = verify(
        ZENDESK_TEST_SECRET, headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP), VECTOR_BODY, now=NOW, tolerance=None
    )
    assert result.accepted and result.reason is VerifyReason.OK


def test_real_vector_with_the_default_window_is_refused_as_unparseable() -> None:
    result = verify(ZENDESK_TEST_SECRET, headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP), VECTOR_BODY, now=NOW)
    assert not result.accepted and result.reason is VerifyReason.UNPARSEABLE_TIMESTAMP


def test_body_then_timestamp_order_is_refused() -> None:
    # The older doc page's order (CONTRACTS.md "Doc discrepancy"): a valid HMAC, wrong message.
    reversed_order = sign(ZENDESK_TEST_SECRET, "", VECTOR_BODY + VECTOR_TIMESTAMP.encode())
    assert reversed_order != VECTOR_SIGNATURE
    result = verify(
        ZENDESK_TEST_SECRET, headers(reversed_order, VECTOR_TIMESTAMP), VECTOR_BODY, now=NOW, tolerance=None
    )
    assert not result.accepted and result.reason is VerifyReason.BAD_SIGNATURE


def test_derived_extra_vector() -> None:
    assert sign(ZENDESK_TEST_SECRET, FRESH, BODY) == "iSG+VHZzB4fIphXkKvsOH+NgM/jIb8Ufxy4rdH1KNVs="


def test_fresh_iso_timestamp_is_accepted() -> None:
    result = verify(
        ZENDESK_TEST_SECRET, headers(sign(ZENDESK_TEST_SECRET, FRESH, BODY), FRESH), BODY, now=NOW
    )
    assert result.accepted and result.reason is VerifyReason.OK


def test_header_names_are_case_insensitive() -> None:
    signed = {"X-Zendesk-Webhook-Signature": sign(ZENDESK_TEST_SECRET, FRESH, BODY)}
    signed["X-Zendesk-Webhook-Signature-Timestamp"] = FRESH
    assert verify(ZENDESK_TEST_SECRET, signed, BODY, now=NOW).accepted


@pytest.mark.parametrize(
    ("secret", "body", "reason"),
    [
        ("another-secret", BODY, VerifyReason.BAD_SIGNATURE),
        (ZENDESK_TEST_SECRET, BODY.replace(b"Open", b"Opem"), VerifyReason.BAD_SIGNATURE),
    ],
    ids=["wrong-secret", "changed-byte"],
)
def test_tampering_is_refused(secret: str, body: bytes, reason: VerifyReason) -> None:
    good = sign(ZENDESK_TEST_SECRET, FRESH, BODY)
    result = verify(secret, headers(good, FRESH), body, now=NOW)
    assert not result.accepted and result.reason is reason


@pytest.mark.parametrize(
    ("sent_at", "reason"),
    [
        (NOW - timedelta(minutes=5, seconds=1), VerifyReason.STALE_TIMESTAMP),
        (NOW + timedelta(minutes=5, seconds=1), VerifyReason.FUTURE_TIMESTAMP),
    ],
    ids=["stale", "future"],
)
def test_timestamps_outside_the_window_are_refused(sent_at: datetime, reason: VerifyReason) -> None:
    stamp = sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = verify(
        ZENDESK_TEST_SECRET, headers(sign(ZENDESK_TEST_SECRET, stamp, BODY), stamp), BODY, now=NOW
    )
    assert not result.accepted and result.reason is reason


def test_the_window_edge_is_inclusive() -> None:
    stamp = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert verify(
        ZENDESK_TEST_SECRET, headers(sign(ZENDESK_TEST_SECRET, stamp, BODY), stamp), BODY, now=NOW
    ).accepted


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (headers(None, FRESH), VerifyReason.MISSING_SIGNATURE),
        (headers("", FRESH), VerifyReason.MISSING_SIGNATURE),
        (headers(sign(ZENDESK_TEST_SECRET, FRESH, BODY), None), VerifyReason.MISSING_TIMESTAMP),
        (
            headers(sign(ZENDESK_TEST_SECRET, "yesterday", BODY), "yesterday"),
            VerifyReason.UNPARSEABLE_TIMESTAMP,
        ),
        (headers("ÿ-not-ascii", FRESH), VerifyReason.BAD_SIGNATURE),
    ],
    ids=["no-signature", "empty-signature", "no-timestamp", "unparseable-timestamp", "non-ascii-signature"],
)
def test_missing_or_malformed_headers_have_their_own_reason(
    given: dict[str, str], reason: VerifyReason
) -> None:
    result = verify(ZENDESK_TEST_SECRET, given, BODY, now=NOW)
    assert not result.accepted and result.reason is reason
    assert ZENDESK_TEST_SECRET not in result.detail


def test_every_refusal_reason_is_distinct() -> None:
    assert len({r.value for r in VerifyReason}) == len(VerifyReason)


def test_naive_now_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(ZENDESK_TEST_SECRET, headers("x", FRESH), BODY, now=datetime(2021, 3, 25))
