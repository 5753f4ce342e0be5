"""The policy set a worker runs, reloaded when its files change.

A change takes effect for the next decision. A broken change is refused and logged; the worker
keeps deciding with the last good set rather than running half of a broken one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicySetError
from serviceflow.policy import load_policy_set
from serviceflow.policy.files import fingerprint
from serviceflow.policy.loader import PolicyPathError, discover

log = logging.getLogger(__name__)


class PolicyStore:
    def __init__(self, paths: Sequence[Path]) -> None:
        """Load the set now.

        Raises:
            PolicySetError: the set is broken; a worker must not start on it.
        """
        self.paths = [p for p in paths if p.exists()]
        self._fingerprint = self._files()
        self._rules = Rules(load_policy_set(self.paths))

    def _files(self) -> tuple[tuple[str, int, int], ...]:
        try:
            return tuple(fingerprint(f) for f in discover(self.paths))
        except PolicyPathError:  # a folder went away: a change, refused by the reload
            return ((str(self.paths), -1, -1),)

    def current(self) -> Rules:
        """The rules to decide with: reloaded if a file changed since the last look."""
        fingerprint = self._files()
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            try:
                # The rules replaced are kept beside the new ones: under ``on_change: new_cases``
                # a running case goes on deciding with the version it started with.
                self._rules = Rules(load_policy_set(self.paths), previous=self._rules)
                log.info("policy set reloaded: version %s", self._rules.version)
            except (PolicySetError, PolicyPathError) as exc:
                log.error("policy change refused, still on version %s:\n%s", self._rules.version, exc)
        return self._rules
