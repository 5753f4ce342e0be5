"""Where the worker's roster comes from: the helpdesk (its adapter's ``load_roster``), a YAML file,
or both (the helpdesk's agents and groups, with leads, skills and absences from the file).

A helpdesk roster is read at start and refreshed every ``SERVICEFLOW_ROSTER_REFRESH`` seconds;
a refresh that fails keeps the last good roster (and says so in the log).

A roster file is read with the policy files' bounds (:func:`serviceflow.policy.files.read_policy_file`:
regular files only, at most 1 MiB, UTF-8 without NUL; :func:`serviceflow.policy.yaml_source.load_documents`:
at most 100 aliases, 64 levels of nesting, 100,000 values), so no file can hang or exhaust the
process, and every problem is one :class:`RosterFileError` naming ``file:line:col`` and the field.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pydantic

from serviceflow.adapters.registry import registry
from serviceflow.errors import PolicyError, ServiceflowError, field_problems
from serviceflow.model import Roster
from serviceflow.policy.files import read_policy_file
from serviceflow.policy.yaml_source import Document, load_documents

log = logging.getLogger(__name__)


class RosterUnavailable(ServiceflowError):
    """The helpdesk's roster could not be read."""


class RosterFileError(ServiceflowError, ValueError):
    """A roster file cannot be read or is invalid; the message starts with ``file:line:col``."""


def load_roster_file(path: Path | None) -> Roster:
    """The roster in the YAML file ``path`` (an empty roster for None or an empty file).

    Raises:
        RosterFileError: the file is not a regular file, too large, not UTF-8, not bounded YAML,
            more than one document, or not a roster (naming the field).
    """
    if path is None:
        return Roster()
    try:
        documents = load_documents(read_policy_file(path)[1], str(path))
    except PolicyError as exc:
        problem = exc.message.replace("policy file", "roster file")
        raise RosterFileError(f"{exc.location}: {problem}") from None
    if not documents or documents[0].data is None:
        return Roster()
    if len(documents) > 1:
        where = documents[1].locate(())
        raise RosterFileError(f"{where}: a roster file holds one YAML document, not {len(documents)}")
    document = documents[0]
    if not isinstance(document.data, dict):
        raise RosterFileError(
            f"{document.locate(())}: a roster is a mapping with 'agents' and 'groups', "
            f"not a {_kind(document.data)}"
        )
    try:
        return Roster.model_validate(document.data)
    except pydantic.ValidationError as exc:
        raise RosterFileError(_describe(document, exc)) from None


def _describe(document: Document, exc: pydantic.ValidationError) -> str:
    """The first problems (at most five), each ``file:line:col: field: what``; never the value."""
    problems = field_problems(exc, document)
    lines = [problem.line("roster") for problem in problems[:5]]
    more = len(problems) - len(lines)
    return "\n".join(lines) + (f"\n(and {more} more)" if more > 0 else "")


def _kind(data: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(data), type(data).__name__
    )


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
