"""The policy sets a scenario decides under: the one it sits beside, and those its
``change_policies`` steps switch to (a folder, or the current set with documents replaced,
added or removed). Each new set is validated like any other and replaces the old one as a
worker's reload would, with the old version kept for its ``on_change``.

A ``change_policies`` ``path`` stays inside the scenario's project: the folder above the policy
folder the scenario sits in (the nearest of the three folders above it that holds a PolicySet),
or, without one, the folder above the scenario's own. An absolute path, or one that leaves the
project (``../../../..``, a symbolic link out), is refused naming the step, so a scenario cannot
make ``policy test`` read the whole disk."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from serviceflow.engine.rules import Rules
from serviceflow.policy.loader import PolicyPathError, Report, check_documents, validate
from serviceflow.policy.yaml_source import Document
from serviceflow.scenarios.clock import ScenarioError
from serviceflow.scenarios.model import PolicyChange
from serviceflow.scenarios.simulate import PolicyLoader

_POLICY_SET = re.compile(r"^kind:\s*PolicySet\s*$", re.MULTILINE)  # a document's own kind, not one inside


def _holds_policy_set(folder: Path) -> bool:
    """Whether a YAML file directly in ``folder`` is a PolicySet document."""
    for file in sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        try:
            if _POLICY_SET.search(file.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def policy_folder_of(file: Path) -> Path | None:
    """The nearest folder above a scenario file (at most three up) that holds a PolicySet."""
    here = Path.cwd()
    for folder in list(file.resolve().parents)[:3]:
        if _holds_policy_set(folder):
            return folder.relative_to(here) if folder.is_relative_to(here) else folder
    return None


def project_of(file: Path) -> Path:
    """The folder a scenario's ``change_policies`` paths must stay in (resolved)."""
    folder = policy_folder_of(file)
    return (folder.resolve() if folder is not None else file.resolve().parent).parent


def confined(scenario_file: str, path: str) -> Path:
    """``path`` (relative to the scenario file) when it stays inside the scenario's project.

    Raises:
        ScenarioError: the path is absolute or leaves the project.
    """
    project = project_of(Path(scenario_file))
    where = "change_policies.path"
    if os.path.isabs(path) or "\x00" in path:
        raise ScenarioError(f"{where}: '{path}' must be relative to the scenario file, inside {project}")
    folder = Path(scenario_file).parent / path
    if not folder.resolve().is_relative_to(project):
        raise ScenarioError(f"{where}: '{path}' leaves the scenario's project {project}")
    return folder


def _inline(document: Document, prefix: tuple[str | int, ...]) -> Document:
    """The document written at ``prefix`` inside a scenario, with its own positions."""
    size = len(prefix)
    data = document.data
    for part in prefix:
        data = data[part]
    return Document(
        file=document.file,
        data=data,
        values={p[size:]: v for p, v in document.values.items() if p[:size] == prefix},
        keys={p[size:]: v for p, v in document.keys.items() if p[:size] == prefix},
    )


def _key(document: Document) -> str:
    data = document.data if isinstance(document.data, dict) else {}
    return f"{data.get('kind')}/{data.get('name')}"


#: Policy sets loaded by change steps, by (scenario file, step, the version changed from): a suite
#: run again (or ``policy test`` in a benchmark) validates each change once.
_LOADED: dict[tuple[str, int, str, str], Rules] = {}
_LOADED_KEPT = 64


def policy_loader(scenario: Document) -> PolicyLoader:
    """What a scenario's ``change_policies`` steps load, relative to the scenario's own file."""

    def load(change: PolicyChange, rules: Rules, step: int) -> Rules:
        key = (scenario.file, step, rules.version, change.model_dump_json())
        if key not in _LOADED:
            if len(_LOADED) >= _LOADED_KEPT:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[key] = _load(change, rules, step)
        return _LOADED[key]

    def _load(change: PolicyChange, rules: Rules, step: int) -> Rules:
        if change.path is not None:
            folder = confined(scenario.file, change.path)
            try:
                report = validate([folder], environment=rules.environment)
            except PolicyPathError as exc:
                raise ScenarioError(f"change_policies: {exc}") from None
        else:
            base = rules.policy_set
            replacing = [
                _inline(scenario, ("steps", step, "change_policies", "replace", index))
                for index in range(len(change.replace))
            ]
            dropped = set(change.remove) | {_key(d) for d in replacing}
            unknown = set(change.remove) - {_key(d) for d in base.documents}
            if unknown:
                known = ", ".join(sorted(_key(d) for d in base.documents))
                raise ScenarioError(
                    f"change_policies: no document {', '.join(sorted(unknown))}; the set's: {known}"
                )
            documents = [d for d in base.documents if _key(d) not in dropped] + replacing
            digest = hashlib.sha256(base.version.encode())
            digest.update(json.dumps([d.data for d in replacing], sort_keys=True, default=str).encode())
            digest.update(json.dumps(sorted(change.remove)).encode())
            report = check_documents(
                documents,
                digest.hexdigest()[:16],
                Report(files=list(base.files)),
                environment=rules.environment,
            )
        if report.policy_set is None:
            problems = "; ".join(f"{p.location}: {p.rule}: {p.message}" for p in report.errors)
            raise ScenarioError(f"change_policies: the new policy set is invalid: {problems}")
        return Rules(report.policy_set, rules.environment, previous=rules)

    return load
