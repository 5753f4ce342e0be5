"""Every ``SERVICEFLOW_*`` variable serviceflow and its installed plugins read, and the value
each has here and now, with where it came from.

The variables are the fields of the settings classes: core's ``Settings`` and each plugin's own
(any ``pydantic_settings.BaseSettings`` with a ``SERVICEFLOW_`` prefix that the loaded plugins
define; core names no vendor), plus the few variables read directly (``EXTRA_VARIABLES``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsError

from serviceflow.cli.options import NOT_JSON, is_secret, refusal_lines
from serviceflow.durable.settings import Settings
from serviceflow.plugins.demo import LOG_ENV
from serviceflow.plugins.manager import LOAD_PLUGINS_ENV

PREFIX = "SERVICEFLOW_"
#: Variables read outside a settings class: (name, what it does).
EXTRA_VARIABLES = (
    (LOAD_PLUGINS_ENV, "A comma-separated list of the plugins to load (unset: every installed one)."),
    (LOG_ENV, "The built-in demo helpdesk's action log (JSON lines)."),
)
MASK = "********"


@dataclass(frozen=True)
class Variable:
    name: str
    owner: str  # "serviceflow" or the settings class's module (a plugin)
    description: str
    secret: bool
    field: str | None = None
    settings_class: type[BaseSettings] | None = None


@dataclass(frozen=True)
class Effective:
    variable: Variable
    value: str  # masked when secret
    source: str  # environment, .env file, default, not set


def settings_classes() -> list[type[BaseSettings]]:
    """Core's settings and every installed plugin's (classes defined in a plugin's own package),
    whether or not ``SERVICEFLOW_LOAD_PLUGINS`` loads the plugin in this process."""
    from serviceflow.plugins import get_plugin_manager
    from serviceflow.plugins.manager import ENTRY_POINT_GROUP

    packages = {"serviceflow"}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        packages.add(entry_point.module.partition(".")[0])
        importlib.import_module(entry_point.module)  # its settings classes exist once imported
    packages |= {
        str(getattr(p, "__name__", "")).partition(".")[0] for p in get_plugin_manager().get_plugins()
    }
    found: list[type[BaseSettings]] = [Settings]
    stack = list(BaseSettings.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        prefix = str(cls.model_config.get("env_prefix") or "")
        ours = cls.__module__.partition(".")[0] in packages
        if cls not in found and ours and prefix.upper().startswith(PREFIX):
            found.append(cls)
    return sorted(found, key=lambda c: (c is not Settings, c.__module__, c.__name__))


def variables() -> list[Variable]:
    """Every variable, core's first, each plugin's after, in declaration order."""
    found = []
    for cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix") or "")
        owner = "serviceflow" if cls is Settings else cls.__module__.partition(".")[0]
        for name, field in cls.model_fields.items():
            found.append(
                Variable(
                    name=f"{prefix}{name}".upper(),
                    owner=owner,
                    description=field.description or _attribute_doc(cls, name),
                    secret=is_secret(field),
                    field=name,
                    settings_class=cls,
                )
            )
    for name, description in EXTRA_VARIABLES:
        found.append(Variable(name=name, owner="serviceflow", description=description, secret=False))
    return found


def setting_problems(exc: BaseException) -> list[str] | None:
    """What a settings class's refusal says, one ``error: SERVICEFLOW_X: ...`` line a problem
    (never a secret's value); None when ``exc`` is no settings class's refusal. Core's
    ``Settings`` is read (and reported) by ``options.load_settings``; this is for a plugin's,
    which its adapter reads when it is first used (attack14 F2)."""
    if isinstance(exc, SettingsError):  # a list or map variable that is not JSON
        found = re.search(r'field "([A-Za-z0-9_]+)"', str(exc))
        names = [v.name for v in variables() if found and v.field == found.group(1)]
        name = " or ".join(names) if names else "a SERVICEFLOW_* variable"
        return [f"error: {name}: {NOT_JSON}"]
    if not isinstance(exc, ValidationError):
        return None
    owner = next((cls for cls in settings_classes() if cls.__name__ == exc.title), None)
    if owner is None:
        return None
    fields = {v.field: (v.name, v.secret) for v in variables() if v.settings_class is owner}
    prefix = str(owner.model_config.get("env_prefix") or PREFIX).upper()
    return refusal_lines(exc, fields.get, f"the {prefix}* settings")


def plugin_setting_problems() -> list[str]:
    """Every loaded plugin's ``SERVICEFLOW_*`` value its settings class refuses, one line each
    (empty: all valid): checked before a worker or receiver starts, which read them only later."""
    from serviceflow.plugins import get_plugin_manager

    loaded = {str(getattr(p, "__name__", "")).partition(".")[0] for p in get_plugin_manager().get_plugins()}
    lines: list[str] = []
    for cls in settings_classes():
        if cls is Settings or cls.__module__.partition(".")[0] not in loaded:
            continue
        try:
            cls()
        except (ValidationError, SettingsError) as exc:
            lines.extend(setting_problems(exc) or [f"error: {exc}"])
    return lines


def variable_names() -> set[str]:
    return {v.name for v in variables()}


def _attribute_doc(cls: type[BaseSettings], name: str) -> str:
    """A field's line from the class's ``Attributes:`` docstring section, if it has one."""
    for line in (cls.__doc__ or "").splitlines():
        stripped = line.strip()
        if stripped.startswith(f"{name}:"):
            return stripped.partition(":")[2].strip()
    return ""


def effective(env_file: Path = Path(".env")) -> tuple[list[Effective], list[str]]:
    """The value of every variable and where it came from; and the ``SERVICEFLOW_*`` variables
    set here that nothing reads (a typo, or a plugin that is not installed)."""
    environment = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(PREFIX)}
    dotenv = {k.upper(): v or "" for k, v in (dotenv_values(env_file) if env_file.is_file() else {}).items()}
    built: dict[type[BaseSettings], BaseSettings | None] = {}
    rows = []
    for variable in variables():
        if variable.name in environment:
            source = "environment"
        elif variable.name in dotenv:
            source = f"{env_file} file"
        else:
            source = "default"
        value = _value(variable, built, environment, dotenv)
        if value is None and source == "default":
            source = "not set"
        # A default is in the code, not a secret of this install (SERVICEFLOW_CHANNELS' {}, the
        # outcome store's file): shown as it is; whatever was set is masked.
        shown = "-" if value is None else (MASK if variable.secret and source != "default" else value)
        rows.append(Effective(variable, shown, source))
    known = {v.name for v in variables()}
    unknown = sorted(name for name in {*environment, *dotenv} if name not in known)
    return rows, unknown


def _value(
    variable: Variable,
    built: dict[type[BaseSettings], BaseSettings | None],
    environment: dict[str, str],
    dotenv: dict[str, str],
) -> str | None:
    if variable.settings_class is None or variable.field is None:
        raw = environment.get(variable.name, dotenv.get(variable.name))
        return raw if raw else None
    cls = variable.settings_class
    if cls not in built:
        try:
            built[cls] = cls()
        except Exception:  # an invalid value: show what is set, `serviceflow worker` says why
            built[cls] = None
    instance = built[cls]
    if instance is None:
        raw = environment.get(variable.name, dotenv.get(variable.name))
        return f"{raw} (invalid)" if raw is not None else None
    return _text(getattr(instance, variable.field))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value() and MASK
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) if value else "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) if value else "{}"
    return str(value)
