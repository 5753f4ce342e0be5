"""Channels from settings: ``SERVICEFLOW_CHANNELS``, a JSON object of channel name -> settings.

::

    SERVICEFLOW_CHANNELS='{
      "slack:support-leads": {"url": "https://hooks.slack.com/services/T0/B0/XXXX"},
      "email": {"host": "smtp.example.com", "from": "serviceflow@example.com",
                "username": "serviceflow", "password": "..."},
      "pagerduty:oncall": {"routing_key": "0123456789abcdef0123456789abcdef"}
    }'

A name is ``kind`` or ``kind:label``; the kind (``slack``, ``email``, ...) picks the channel type
unless the settings say ``"type"``. Each kind validates its own settings, secrets become
``SecretStr`` (never logged or shown), and every problem is reported at once, naming the channel
and the field. ``helpdesk`` is reserved: it is the helpdesk itself, which the shell reaches
through the vendor plugin. The old ``SERVICEFLOW_NOTIFY_URL`` is the channel ``default`` (a
``webhook``), unless ``SERVICEFLOW_CHANNELS`` defines ``default`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from serviceflow.channels.protocol import ChannelSettingsError, ChannelSpec, ChannelType
from serviceflow.channels.registry import KIND, ChannelRegistry

#: The most channels one worker configures; more is surely a mistake (and each holds a client).
MAX_CHANNELS = 50
#: The name the helpdesk itself has in a ladder's ``via:``; no channel may take it.
HELPDESK = "helpdesk"
#: The channel ``SERVICEFLOW_NOTIFY_URL`` becomes, and where review cases' notices go by default.
DEFAULT_CHANNEL = "default"
NAME = re.compile(rf"(?P<kind>{KIND.pattern})(?::(?P<label>[A-Za-z0-9][A-Za-z0-9_.@-]{{0,63}}))?")


@dataclass(frozen=True)
class ChannelConfig:
    """One configured channel: its name, its kind and its validated settings."""

    name: str
    type: ChannelType
    spec: ChannelSpec


def parse_channels(
    raw: Mapping[str, Any] | None,
    registry: ChannelRegistry,
    *,
    notify_url: str | None = None,
) -> dict[str, ChannelConfig]:
    """Validate the channels' settings into typed configurations, by name.

    Args:
        raw: ``SERVICEFLOW_CHANNELS`` as parsed JSON (a mapping of name to settings object).
        registry: The installed channel kinds.
        notify_url: ``SERVICEFLOW_NOTIFY_URL``, which becomes the ``default`` webhook channel.

    Raises:
        ChannelSettingsError: anything is wrong; every problem is listed.
    """
    entries: dict[Any, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    problems: list[str] = []
    if raw is not None and not isinstance(raw, Mapping):
        problems.append(f"must be a JSON object of channel name -> settings, not {type(raw).__name__}")
    if notify_url and DEFAULT_CHANNEL not in entries:
        entries[DEFAULT_CHANNEL] = {"type": "webhook", "url": notify_url}
    if len(entries) > MAX_CHANNELS:
        problems.append(f"{len(entries)} channels configured; at most {MAX_CHANNELS} are allowed")
        entries = {}
    configs: dict[str, ChannelConfig] = {}
    for name, settings in entries.items():
        config = _channel(name, settings, registry, problems)
        if config is not None:
            configs[config.name] = config
    if problems:
        raise ChannelSettingsError(problems)
    return configs


def _channel(
    name: Any, settings: Any, registry: ChannelRegistry, problems: list[str]
) -> ChannelConfig | None:
    if not isinstance(name, str) or (match := NAME.fullmatch(name)) is None:
        problems.append(
            f"{_shown(name)}: a channel name is 'kind' or 'kind:label' (slack:support-leads): a "
            "lower-case kind of up to 32 letters, digits, '-' or '_', and a label of up to 64 "
            "letters, digits, '.', '@', '-' or '_'"
        )
        return None
    if name == HELPDESK:
        problems.append(f"{name!r}: the name is reserved for the helpdesk itself; choose another")
        return None
    if not isinstance(settings, Mapping):
        problems.append(f"{name!r}: its settings must be a JSON object, not {type(settings).__name__}")
        return None
    fields = dict(settings)
    kind = fields.pop("type", match.group("kind"))
    channel_type = registry.get(kind) if isinstance(kind, str) else None
    if channel_type is None:
        known = ", ".join(registry.kinds) or "none"
        problems.append(f"{name!r}: unknown channel type {_shown(kind)}; installed types: {known}")
        return None
    try:
        spec = channel_type.spec.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"]) or "(settings)"
            problems.append(f"{name!r}.{where}: {error['msg']}")
        return None
    return ChannelConfig(name=name, type=channel_type, spec=spec)


def _shown(value: Any) -> str:
    """A value as an error message shows it: quoted and cut short (never a whole secret blob)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_via(
    ladders: Mapping[str, Sequence[Sequence[str]]], configured: Sequence[str]
) -> list[tuple[str, int, int, str]]:
    """The ``via:`` names of escalation ladders that name no configured channel.

    Args:
        ladders: Each ladder's levels, each level's ``via`` names.
        configured: The channels configured (``SERVICEFLOW_CHANNELS``, ``default`` from
            ``SERVICEFLOW_NOTIFY_URL``); ``helpdesk`` is always there.

    Returns:
        ``(ladder, level index, name index, name)`` for each unknown name, in ladder order.
    """
    known = {HELPDESK, *configured}
    return [
        (ladder, i, j, name)
        for ladder, levels in ladders.items()
        for i, via in enumerate(levels)
        for j, name in enumerate(via)
        if name not in known
    ]
