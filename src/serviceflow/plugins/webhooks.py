"""What webhook hooks answer with: a verdict on authenticity, or a rejection with its reason."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from serviceflow.errors import ServiceflowError


class WebhookVerdict(BaseModel):
    """Whether a delivery is authentic; ``reason`` says why not, without any secret in it."""

    model_config = ConfigDict(frozen=True)

    accepted: bool
    reason: str = ""
    account: str | None = None

    @classmethod
    def accept(cls, account: str | None = None) -> WebhookVerdict:
        return cls(accepted=True, account=account)

    @classmethod
    def refuse(cls, reason: str) -> WebhookVerdict:
        return cls(accepted=False, reason=reason)


class WebhookRejected(ServiceflowError):
    """A delivery that cannot be taken: not JSON, an unknown shape, too large.

    Attributes:
        reason: short and machine-readable, e.g. "not_json", "unknown_shape".
        status: the HTTP status the receiver answers with (400 unless said otherwise).
    """

    def __init__(self, reason: str, detail: str = "", *, status: int = 400) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.status = status
