"""The policy set a worker runs, reloaded when its files change.

A change takes effect for the next decision. A broken change is refused and logged; the worker
keeps deciding with the last good set rather than running half of a broken one.

Looking costs a stat a folder and a stat a file: the files are found again (the folders walked,
as ``discover`` does) only when a folder's change time (ctime: an entry added, removed or renamed
moves it, and no tool can set it back as tar or ``cp -p`` set an mtime) moved, or is too recent
to be trusted (a folder changed twice within its clock's tick keeps one; :data:`SETTLED_NS`). Before, every
decision walked the folders: 0.5 ms of a decision, and ~0.7 ms of a case's CPU under load
(benchmarks/RESULTS.md, durable6 and durable7).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicyError, PolicySetError, SourceLocation
from serviceflow.policy import load_policy_set
from serviceflow.policy.files import fingerprint, folder_stamp, folders
from serviceflow.policy.loader import PolicyPathError, discover

log = logging.getLogger(__name__)

#: A folder whose ctime is younger than this (2 s) is walked again at every look: a file could
#: have been added in the same tick of the file system's clock as the last walk.
SETTLED_NS = 2_000_000_000

Fingerprint = tuple[tuple[str, int, int], ...]


def _default_paths() -> tuple[Path, ...]:
    from serviceflow.durable.settings import Settings

    factory = Settings.model_fields["policies"].default_factory
    return tuple(factory()) if factory is not None else ()  # type: ignore[call-arg]


def existing_paths(paths: Sequence[Path]) -> list[Path]:
    """The policy paths to load: every path named must exist, but the defaults may lack one.

    A path someone names (``SERVICEFLOW_POLICIES``, ``--policies``) that does not exist is an
    error naming it: dropping it silently ran a worker without the journeys of a misspelt
    ``workflowz``. The defaults (``policies``, ``workflows``: ``Settings.policies``) are the one
    exception: a project may have no journeys, and so no ``workflows/`` folder, so a default path
    that does not exist is skipped (naming the defaults explicitly is the same as the default).
    When none of the defaults exists, that is the error, naming them.

    Raises:
        PolicyPathError: a named path does not exist.
        PolicySetError: none of the defaults does (the set has no files).
    """
    given = list(paths)
    missing = [p for p in given if not p.exists() and not p.is_symlink()]
    if not missing:
        return given
    if tuple(given) == _default_paths():
        found = [p for p in given if p not in missing]
        if found:
            return found
        where = ", ".join(map(str, given))
        problem = PolicyError(
            f"no policy files (*.yaml) found in {where} (none of them exists): run in your project, "
            "or point SERVICEFLOW_POLICIES at your policy folders",
            location=SourceLocation(where),
        )
        raise PolicySetError([problem])
    noun = "path" if len(missing) == 1 else "paths"
    raise PolicyPathError(
        f"no such file or directory: {', '.join(map(str, missing))} (the policy {noun} named in "
        f"SERVICEFLOW_POLICIES or --policies: {', '.join(map(str, given))}); fix or remove it"
    )


class PolicyStore:
    def __init__(self, paths: Sequence[Path], *, settled_ns: int = SETTLED_NS) -> None:
        """Load the set now (``settled_ns``: see :data:`SETTLED_NS`).

        The paths are checked by :func:`existing_paths`: a named path that does not exist is an
        error, a default one (``workflows/`` in a project without journeys) is skipped.

        Raises:
            PolicySetError: the set is broken; a worker must not start on it.
            PolicyPathError: a path named does not exist.
        """
        self.paths = existing_paths(paths)
        self.settled_ns = settled_ns
        self._found: list[Path] | None = None  # the files discovered at the last walk
        self._folders: Fingerprint = ()  # the folders' stamps at that walk
        self._fingerprint = self._files()
        self._rules = Rules(load_policy_set(self.paths))

    def _files(self) -> Fingerprint:
        """The files' fingerprints; the folders walked again only when one of them moved."""
        if self._found is None or not self._settled():
            self._found = None
            # The stamps before the walk: a file added during it moves a stamp for the next look.
            stamps = tuple(folder_stamp(f) for f in folders(self.paths))
            try:
                found = discover(self.paths)
            except PolicyPathError:  # a folder went away: a change, refused by the reload
                return ((str(self.paths), -1, -1),)
            if all(ctime >= 0 for _, _, ctime in stamps):
                self._found, self._folders = found, stamps
            return tuple(fingerprint(f) for f in found)
        return tuple(fingerprint(f) for f in self._found)

    def _settled(self) -> bool:
        """Whether no folder changed since the last walk (and none too recently to tell)."""
        now = time.time_ns()
        for path, inode, ctime in self._folders:
            stamp = folder_stamp(Path(path))
            if stamp != (path, inode, ctime) or now - ctime < self.settled_ns:
                return False
        return True

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
