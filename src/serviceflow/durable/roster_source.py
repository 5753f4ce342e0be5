"""Where the worker's roster comes from: the helpdesk (its adapter's ``load_roster``), a YAML file,
or both (the helpdesk's agents and groups, with leads, skills and absences from the file).

A helpdesk roster is read at start and refreshed every ``SERVICEFLOW_ROSTER_REFRESH`` seconds;
a refresh that fails keeps the last good roster (and says so in the log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import yaml

from serviceflow.adapters.registry import registry
from serviceflow.errors import ServiceflowError
from serviceflow.model import Roster

log = logging.getLogger(__name__)


class RosterUnavailable(ServiceflowError):
    """The helpdesk's roster could not be read."""


def load_roster_file(path: Path | None) -> Roster:
    if path is None:
        return Roster()
    return Roster.model_validate(yaml.safe_load(path.read_text()) or {})


async def load_helpdesk_roster(source: str) -> Roster:
    """The roster of ``vendor:account`` through its plugin.

    Raises:
        RosterUnavailable: the source is malformed, no plugin serves it, or the helpdesk failed.
    """
    vendor, _, account = source.partition(":")
    if not vendor or not account:
        raise RosterUnavailable(
            f"SERVICEFLOW_ROSTER_FROM {source!r} is not 'vendor:account' (e.g. zendesk:acme)"
        )
    adapter = registry().get(vendor)
    if adapter is None:
        raise RosterUnavailable(f"no installed plugin loads a roster for vendor {vendor!r}")
    try:
        roster: Roster = await adapter.load_roster(account)
    except Exception as exc:  # the helpdesk's own errors: keep what we have, say why
        raise RosterUnavailable(f"reading the roster of {source} failed: {exc}") from exc
    return roster


class RosterSource:
    """The current roster, kept fresh from the helpdesk when one is configured."""

    def __init__(self, file: Path | None, helpdesk: str | None, refresh_seconds: float = 300.0) -> None:
        self.file = file
        self.helpdesk = helpdesk
        self.refresh_seconds = refresh_seconds
        self.overlay = load_roster_file(file)
        self.roster = self.overlay

    async def refresh(self) -> Roster:
        """Read the helpdesk's roster now (when configured); on failure keep the last one."""
        if self.helpdesk is None:
            return self.roster
        try:
            fresh = await load_helpdesk_roster(self.helpdesk)
        except RosterUnavailable as exc:
            log.error("%s; keeping the roster of %d agents", exc, len(self.roster.agents))
            return self.roster
        self.roster = fresh.overlaid(self.overlay)
        log.info("roster from %s: %d agents, %d groups", self.helpdesk, len(fresh.agents), len(fresh.groups))
        return self.roster

    async def keep_fresh(self, apply: Callable[[Roster], None], stop: asyncio.Event) -> None:
        """Refresh every ``refresh_seconds`` until ``stop``, handing each roster to ``apply``."""
        while self.helpdesk is not None:
            try:
                await asyncio.wait_for(stop.wait(), self.refresh_seconds)
                return
            except TimeoutError:
                apply(await self.refresh())
