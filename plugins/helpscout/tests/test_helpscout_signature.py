"""``X-HelpScout-Signature``: base64 of the HMAC-SHA1 of the raw body under the webhook secret
(CONTRACTS.md §8.5), checked before anything is parsed."""

from __future__ import annotations

import pytest
from helpscout_testing import SECRET, delivery, settings_for
from serviceflow_helpscout.adapter import HelpScoutAdapter
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.signature import VerifyReason, sign, verify

from serviceflow.adapters import WebhookRequest


def test_the_official_php_clients_test_vector() -> None:
    """helpscout-api-php ``examples/incoming_webhook.php``: secret ``asdfasdf``, body ``{"id":123}``."""
    assert sign("asdfasdf", b'{"id":123}') == "7S2+kN8bZsrdAEADJ+yYfWWsf/4="
    assert verify("asdfasdf", "POST", "7S2+kN8bZsrdAEADJ+yYfWWsf/4=", b'{"id":123}') is VerifyReason.OK


@pytest.mark.parametrize(
    ("secret", "body", "expected"),
    [
        ("asdfasdf", b'{"id": 123}', "Fbf77pPmq340/ryQOGgCV3AYh9I="),  # one space: another signature
        ("mZ9XbGHodX", b'{"id":123,"number":12,"status":"active"}', "4rr60lXJoZAaxtky+Wc1admgqKY="),
        ("mZ9XbGHodX", b'{"id":123}', "Ow9uXjYuhKAnjNXIwOGqoi7lh9E="),
        ("mZ9XbGHodX", b"", "tApg4YwhkK9reRdl+dcsQ8n1TsQ="),
    ],
)
def test_the_research_vectors(secret: str, body: bytes, expected: str) -> None:
    assert sign(secret, body) == expected
    assert len(expected) == 28 and expected.endswith("=")


@pytest.mark.parametrize(
    ("secret", "method", "signature", "reason"),
    [
        (None, "POST", "7S2+kN8bZsrdAEADJ+yYfWWsf/4=", VerifyReason.NOT_CONFIGURED),
        ("asdfasdf", "GET", "7S2+kN8bZsrdAEADJ+yYfWWsf/4=", VerifyReason.METHOD_NOT_ALLOWED),
        ("asdfasdf", "POST", None, VerifyReason.MISSING_SIGNATURE),
        ("asdfasdf", "POST", "  ", VerifyReason.MISSING_SIGNATURE),
        (
            "asdfasdf",
            "POST",
            "7S2-kN8bZsrdAEADJ-yYfWWsf_4=",
            VerifyReason.MALFORMED_SIGNATURE,
        ),  # url-safe: not sent
        (
            "asdfasdf",
            "POST",
            "ed2dbe90df1b66cadd00400327ec987d65ac7ffe",
            VerifyReason.MALFORMED_SIGNATURE,
        ),  # hex
        ("asdfasdf", "POST", "≠≠≠", VerifyReason.MALFORMED_SIGNATURE),
        ("other", "POST", "7S2+kN8bZsrdAEADJ+yYfWWsf/4=", VerifyReason.BAD_SIGNATURE),
    ],
)
def test_every_way_a_signature_fails_has_its_reason(
    secret: str | None, method: str, signature: str | None, reason: VerifyReason
) -> None:
    assert verify(secret, method, signature, b'{"id":123}') is reason


async def test_the_adapter_accepts_the_fakes_deliveries_for_its_account(fake: FakeHelpScout) -> None:
    adapter = HelpScoutAdapter(settings_for(fake, company="acme"))
    good = delivery("convo.deleted", b'{"id":123}')
    verdict = adapter.verify_webhook(good)
    assert verdict.accepted and verdict.account == "acme"
    tampered = WebhookRequest("POST", dict(good.headers), b'{"id":124}')
    assert adapter.verify_webhook(tampered).reason == "bad_signature"
    unsigned = HelpScoutAdapter(settings_for(fake, webhook_secret=None))
    refused = unsigned.verify_webhook(good)
    assert not refused.accepted and refused.reason == "not_configured" and SECRET not in refused.reason
