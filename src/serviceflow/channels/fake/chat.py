"""Fake Slack, Mattermost and Teams incoming webhooks, answering as their documentation says.

Sources are cited in :mod:`serviceflow.channels.slack`, ``.mattermost`` and ``.teams``; where a
vendor documents no answer, the fake says UNVERIFIED and picks the plain HTTP meaning.
"""

from __future__ import annotations

from typing import Any

from serviceflow.channels.fake.base import Answer, FakeReceiver, parse_json
from serviceflow.channels.slack import HEADER_CHARS, SECTION_CHARS
from serviceflow.channels.teams import THROTTLED
from serviceflow.fakes.faults import Fault


class FakeSlack(FakeReceiver):
    """``POST /services/T.../B.../<token>``: ``200 ok``, or Slack's documented error strings.

    - not JSON, or not an object: ``400 invalid_payload``
    - neither ``text`` nor ``blocks``: ``400 no_text``
    - a header over 150 characters or a section over 3,000: ``400 invalid_blocks``
    - another path (a removed or wrong webhook): ``404 no_service``
    - :attr:`archived`: ``410 channel_is_archived``
    - a queued 429: ``429 rate_limited`` with ``Retry-After``; a queued 5xx: ``rollup_error``.
    """

    name = "slack"

    def __init__(self) -> None:
        super().__init__()
        self.archived = False

    @property
    def path(self) -> str:
        return f"/services/T00000000/B00000000/{self.token}"

    def not_found(self) -> Answer:
        return Answer(404, "no_service")

    def rate_limited(self, fault: Fault) -> Answer:
        body = "rate_limited" if fault.status == 429 else "rollup_error"
        return Answer(fault.status, body, tuple(fault.headers().items()))

    def answer(self, body: bytes, headers: dict[str, str]) -> Answer:
        payload = parse_json(body)
        if not isinstance(payload, dict):
            return Answer(400, "invalid_payload")
        if self.archived:
            return Answer(410, "channel_is_archived")
        if not payload.get("text") and not payload.get("blocks"):
            return Answer(400, "no_text")
        if not _blocks_fit(payload.get("blocks", [])):
            return Answer(400, "invalid_blocks")
        return Answer(200, "ok")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The messages Slack took."""
        return [m for m in self.accepted if isinstance(m, dict)]


def _blocks_fit(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        text = block.get("text", {}).get("text", "") if isinstance(block, dict) else None
        if not isinstance(text, str):
            return False
        limit = HEADER_CHARS if block.get("type") == "header" else SECTION_CHARS
        if len(text) > limit:
            return False
    return True


class FakeMattermost(FakeReceiver):
    """``POST /hooks/<token>``: ``200 ok`` (text/plain), as documented.

    The error statuses are the server's own (mattermost/mattermost, server/channels/app/webhook.go,
    ``HandleIncomingWebhook``, commit 013f83cd94d50f786bbabf4997052f702f90327a; the page documents
    the messages only): a body it cannot parse is ``400`` ``web.incoming_webhook.parse.app_error``,
    a post with neither ``text`` nor ``attachments`` ``400`` ``...text.app_error``, and an unknown
    hook ``400`` ``...invalid.app_error`` (not 404). The bodies follow Mattermost's JSON error
    shape; their ``message`` wording is the fake's (UNVERIFIED).
    """

    name = "mattermost"

    @property
    def path(self) -> str:
        return f"/hooks/{self.token}"

    def not_found(self) -> Answer:
        return Answer(
            400, _mattermost_error("web.incoming_webhook.invalid.app_error", "Invalid webhook.", 400)
        )

    def answer(self, body: bytes, headers: dict[str, str]) -> Answer:
        payload = parse_json(body)
        if not isinstance(payload, dict):
            error = _mattermost_error(
                "web.incoming_webhook.parse.app_error", "Unable to parse incoming data", 400
            )
            return Answer(400, error)
        if not payload.get("text") and not payload.get("attachments"):
            error = _mattermost_error("web.incoming_webhook.text.app_error", "No text specified.", 400)
            return Answer(400, error)
        return Answer(200, "ok")


def _mattermost_error(error_id: str, message: str, status: int) -> dict[str, Any]:
    return {"id": error_id, "message": message, "detailed_error": "", "status_code": status}


class FakeTeams(FakeReceiver):
    """A Teams Workflows webhook (``202``), or with ``legacy=True`` a classic connector (``200 1``).

    It takes only the documented Adaptive Card envelope (``type`` ``message``, ``attachments``
    of ``application/vnd.microsoft.card.adaptive`` whose ``content`` is an ``AdaptiveCard``):
    "Workflows support Adaptive Cards only". Anything else is ``400`` (UNVERIFIED body). A
    legacy connector that is throttled answers ``200`` with the text "Microsoft Teams endpoint
    returned HTTP error 429" (:meth:`throttle_legacy`), as Microsoft documents.
    """

    name = "teams"

    def __init__(self, *, legacy: bool = False) -> None:
        super().__init__()
        self.legacy = legacy
        self._throttled = 0

    @property
    def path(self) -> str:
        if self.legacy:
            return f"/webhookb2/{self.token}/IncomingWebhook/{self.token}"
        return f"/workflows/{self.token}/triggers/manual/paths/invoke"

    def throttle_legacy(self, times: int = 1) -> None:
        self._throttled += times

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards Teams took."""
        return [m["attachments"][0]["content"] for m in self.accepted if isinstance(m, dict)]

    def answer(self, body: bytes, headers: dict[str, str]) -> Answer:
        payload = parse_json(body)
        if not _adaptive_card_message(payload):
            error = {
                "error": {"code": "InvalidRequestContent", "message": "expected an Adaptive Card message"}
            }
            return Answer(400, error)
        if self.legacy and self._throttled > 0:
            self._throttled -= 1
            return Answer(200, THROTTLED)
        return Answer(200, "1") if self.legacy else Answer(202, "")


def _adaptive_card_message(payload: Any) -> bool:
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return False
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return False
    return all(
        isinstance(a, dict)
        and a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        and isinstance(a.get("content"), dict)
        and a["content"].get("type") == "AdaptiveCard"
        and isinstance(a["content"].get("body"), list)
        for a in attachments
    )
