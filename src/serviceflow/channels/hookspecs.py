"""The hook through which plugins offer notification channels.

Built on the same ``serviceflow`` markers as the helpdesk hooks, so one plugin module can
implement both (``from serviceflow.plugins import hookimpl``)::

    @hookimpl
    def serviceflow_register_channels(register):
        register(ChannelType(kind="sms", spec=SmsSpec, build=SmsChannel))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    pass

hookspec = pluggy.HookspecMarker("serviceflow")


@hookspec
def serviceflow_register_channels(register: Callable[..., Any]) -> None:
    """Register the kinds of notification channel this plugin offers.

    Call ``register(channel_type)`` once per kind, with a
    :class:`serviceflow.channels.ChannelType`; a kind registered twice is an error that names
    both plugins.

    :param register: the callback; it may gain keyword arguments, so pass them by name.
    """
