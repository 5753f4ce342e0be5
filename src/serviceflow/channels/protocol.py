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

import re
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
    """The channels' settings are wrong; ``problems`` names each channel and field to fix.

    Attributes:
        problems: One sentence per problem.
        variable: The setting they are in: ``SERVICEFLOW_CHANNELS`` unless given, or unless every
            problem begins by naming another one (``SERVICEFLOW_REVIEW_VIA names 'x', ...``).
    """

    def __init__(self, problems: list[str], *, variable: str | None = None) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        self.variable = variable or _named(problems) or "SERVICEFLOW_CHANNELS"
        super().__init__(f"{len(problems)} {noun} in {self.variable}: " + "; ".join(problems))
        self.problems = problems


class LadderChannelError(ServiceflowError):
    """Escalation ladders name channels that are not configured; the worker does not start.

    Attributes:
        problems: One line per unknown name: the policy file and position, the ladder and level,
            the name, and the channels that are configured.
    """

    def __init__(self, problems: list[str]) -> None:
        noun = "a channel" if len(problems) == 1 else "channels"
        super().__init__(
            "\n".join(
                [
                    *problems,
                    f"error: escalation ladders name {noun} SERVICEFLOW_CHANNELS does not configure: fix "
                    "the via: names, or configure them",
                ]
            )
        )
        self.problems = problems


_VARIABLE = re.compile(r"SERVICEFLOW_[A-Z_]+")


def _named(problems: list[str]) -> str | None:
    """The variable every problem begins by naming, if they all name the same one."""
    first = {p.split(" ", 1)[0] for p in problems}
    if len(first) == 1:
        (word,) = first
        if _VARIABLE.fullmatch(word):
            return word
    return None
