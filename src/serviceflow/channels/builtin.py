"""The built-in channel kinds, registered through the same hook a third party's plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serviceflow.channels.email import EMAIL
from serviceflow.channels.mattermost import MATTERMOST
from serviceflow.channels.pagerduty import PAGERDUTY
from serviceflow.channels.slack import SLACK
from serviceflow.channels.teams import TEAMS
from serviceflow.channels.webhook import WEBHOOK
from serviceflow.plugins.hookspecs import hookimpl

BUILTIN = (SLACK, MATTERMOST, TEAMS, EMAIL, PAGERDUTY, WEBHOOK)


@hookimpl
def serviceflow_register_channels(register: Callable[..., Any]) -> None:
    for channel_type in BUILTIN:
        register(channel_type)
