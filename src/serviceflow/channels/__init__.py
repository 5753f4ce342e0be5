"""Notification channels: how people outside the helpdesk are told about their cases.

- :mod:`.model`: :class:`Notification` (what any channel is given: recipients with names and
  addresses, the ticket, the target, the level, warning/breach/resolve) and :class:`Delivery`
  (what became of it: delivered, skipped, refused, retryable).
- :mod:`.protocol`: the :class:`NotificationChannel` protocol and :class:`ChannelType`, what a
  plugin registers through ``serviceflow_register_channels`` (:mod:`.hookspecs`).
- :mod:`.registry`, :mod:`.settings`: kinds by name; ``SERVICEFLOW_CHANNELS`` into channels.
- :mod:`.delivery`: :class:`Channels`, one delivery through one channel, logged and retried.
- :mod:`.compose`: the engine's ``Notify`` action into a :class:`Notification`.
- The built-in kinds (:mod:`.builtin`): ``slack``, ``mattermost``, ``teams``, ``email``,
  ``pagerduty`` and ``webhook``; fake receivers for tests in :mod:`.fake`.
"""

from serviceflow.channels.compose import notification_for, recipients_of
from serviceflow.channels.delivery import Channels, DeliveryRetry, log_notification
from serviceflow.channels.model import (
    Delivery,
    DeliveryOutcome,
    Notification,
    NotificationKind,
    Recipient,
    TicketRef,
)
from serviceflow.channels.protocol import (
    ChannelSettingsError,
    ChannelSpec,
    ChannelType,
    LadderChannelError,
    NotificationChannel,
)
from serviceflow.channels.registry import ChannelRegistry, ChannelTypeConflict
from serviceflow.channels.settings import DEFAULT_CHANNEL, HELPDESK, ChannelConfig, parse_channels

__all__ = [
    "DEFAULT_CHANNEL",
    "HELPDESK",
    "ChannelConfig",
    "ChannelRegistry",
    "ChannelSettingsError",
    "ChannelSpec",
    "ChannelType",
    "ChannelTypeConflict",
    "Channels",
    "Delivery",
    "DeliveryOutcome",
    "LadderChannelError",
    "DeliveryRetry",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "Recipient",
    "TicketRef",
    "log_notification",
    "notification_for",
    "parse_channels",
    "recipients_of",
]
