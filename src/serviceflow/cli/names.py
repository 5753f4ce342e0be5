"""People by name in the CLI's output: owners and recipients are ids in a case, names here.

Names come from the roster the CLI can read: ``SERVICEFLOW_ROSTER`` (a file) and
``SERVICEFLOW_ROSTER_FROM`` (the helpdesk, read once, within a timeout), and the names of the
last ``serviceflow dev`` run (``.serviceflow/names.json``, which it writes: its helpdesk is a
fake only that process can reach). An id no roster knows is shown as it is.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from serviceflow.durable.settings import Settings
from serviceflow.model import Roster

DEV_NAMES = Path(".serviceflow") / "names.json"
ROSTER_TIMEOUT_SECONDS = 10.0


@dataclass
class Names:
    """Display names by agent id or email, and by group id or name."""

    people: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # why some names may be missing

    def add(self, roster: Roster) -> None:
        for agent in roster.agents:
            if agent.name:
                self.people[agent.id] = agent.name
                if agent.email:
                    self.people[agent.email] = agent.name
        for group in roster.groups:
            self.groups[group.id] = group.name

    def of(self, key: str | None) -> str:
        """The name for an owner or recipient: ``Ada Agent``, ``Billing (team)``, or the key."""
        if not key:
            return "-"
        if key.startswith("group:"):
            group = key.removeprefix("group:")
            return f"{self.groups.get(group, group)} (team)"
        return self.people.get(key, key)

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"people": self.people, "groups": self.groups}


def save_dev_names(roster: Roster, path: Path = DEV_NAMES) -> None:
    """What ``serviceflow dev`` leaves for ``case list`` in another terminal."""
    names = Names()
    names.add(roster)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(names.to_json(), indent=2))


async def load_names(settings: Settings, dev_names: Path = DEV_NAMES) -> Names:
    """Names from every roster the CLI can read; a roster that fails leaves a note, not an error."""
    from serviceflow.durable.roster_source import (
        RosterFileError,
        RosterUnavailable,
        load_helpdesk_roster,
        load_roster_file,
    )

    names = Names()
    if dev_names.is_file():
        try:
            saved = json.loads(dev_names.read_text())
            names.people.update(saved.get("people", {}))
            names.groups.update(saved.get("groups", {}))
        except (OSError, ValueError, AttributeError):
            names.notes.append(f"{dev_names} is not readable; ignored")
    if settings.roster is not None:
        try:
            names.add(load_roster_file(settings.roster))
        except RosterFileError as exc:  # a broken roster file must not hide the cases
            first = str(exc).splitlines()[0]
            names.notes.append(f"SERVICEFLOW_ROSTER {settings.roster} is not readable ({first}); ids shown")
    if settings.roster_from:
        try:
            names.add(
                await asyncio.wait_for(load_helpdesk_roster(settings.roster_from), ROSTER_TIMEOUT_SECONDS)
            )
        except (RosterUnavailable, TimeoutError) as exc:
            names.notes.append(
                f"names from {settings.roster_from} are unavailable ({exc or 'timed out'}); ids shown"
            )
    return names
