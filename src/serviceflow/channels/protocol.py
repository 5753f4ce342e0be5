"""The contract between serviceflow and a notification channel, and how a plugin offers one.

A plugin offers a *kind* of channel (``slack``, ``email``, ``pagerduty``, ...) as a
:class:`ChannelType`: a pydantic model that validates one channel's settings, and a factory
that builds the channel from them. People configure named channels of those kinds
(``slack:support-leads``); a ladder level names them in ``via:``.

A channel makes *one attempt* per :meth:`NotificationChannel.send` and says how it went as a
:class:`~serviceflow.channels.model.Delivery`; waiting, retrying and logging are the caller's
(:class:`~serviceflow.channels.delivery.Channels`), so every channel gets them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from serviceflow.channels.model import Delivery, Notification
from serviceflow.errors import ServiceflowError


@runtime_checkable
class NotificationChannel(Protocol):
    """One configured channel: a Slack webhook, an SMTP server, a PagerDuty service."""

    @property
    def name(self) -> str:
        """The configured name, ``kind`` or ``kind:label`` (``slack:support-leads``)."""
        ...

    async def send(self, notification: Notification) -> Delivery:
        """Make one attempt to deliver ``notification``; never raise for what the channel
        answered (a refusal, a 429, a 5xx): say it in the :class:`Delivery`. An exception is
        taken as a bug of the channel (refused) or, for network errors, as retryable."""
        ...

    async def aclose(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...


class ChannelSpec(BaseModel):
    """Base of a channel kind's settings: unknown keys are refused, so a typo names itself."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class ChannelType:
    """A kind of channel a plugin offers.

    Attributes:
        kind: The name people write before the colon (``slack`` in ``slack:support-leads``):
            lower-case letters, digits, ``-`` and ``_``.
        spec: Validates one channel's settings (a :class:`ChannelSpec`; secrets as ``SecretStr``).
        build: Makes the channel from its configured name and validated settings.
        description: One line for ``serviceflow plugins`` and error messages.
    """

    kind: str
    spec: type[ChannelSpec]
    build: Callable[[str, ChannelSpec], NotificationChannel]
    description: str = ""


class ChannelSettingsError(ServiceflowError):
    """The channels' settings are wrong; ``problems`` names each channel and field to fix."""

    def __init__(self, problems: list[str]) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in SERVICEFLOW_CHANNELS: " + "; ".join(problems))
        self.problems = problems
