"""CLI options made from the settings, so each setting is declared once (in ``Settings``).

``@settings_options("temporal_address", "task_queue", ...)`` gives a command one option per
setting: its help is the field's description, its default the field's, and it names its
``SERVICEFLOW_*`` variable (typer's ``envvar=``, shown in ``--help``). The command receives one
``settings: Settings`` built from the options, the environment and ``.env`` (in that order of
precedence); an invalid value ends the command with one line per field and exit status 2.

List settings (``SERVICEFLOW_POLICIES``) are JSON in the environment, which click cannot split:
their options take repeated flags, and the variable is read by the settings alone.
Credentials (``SecretStr``, ``repr=False``) get no option at all: a secret on a command line is
visible to every user of the machine. They are listed in the command's help instead.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from enum import Enum
from pathlib import Path, PurePath
from typing import Annotated, Any, TypeVar

import typer
from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import SettingsError
from rich.markup import escape

from serviceflow.cli.boundary import EXIT_USAGE, CliError, fail
from serviceflow.durable.settings import Settings

R = TypeVar("R")

#: Flags that are shorter than the field name (and already in use).
FLAGS = {"temporal_address": "--address", "temporal_namespace": "--namespace"}

CONNECTION = (
    "temporal_address",
    "temporal_namespace",
    "temporal_tls_cert",
    "temporal_tls_key",
    "temporal_tls_ca",
    "temporal_api_key",
)
LOGGING = ("log_format", "log_level")


def env_name(field: str, cls: type[Any] = Settings) -> str:
    prefix = str(cls.model_config.get("env_prefix") or "")
    return f"{prefix}{field}".upper()


def is_secret(field: FieldInfo) -> bool:
    """A credential: a ``SecretStr``, a field marked ``SECRET``, or one kept out of ``repr``."""
    extra = field.json_schema_extra
    marked = isinstance(extra, dict) and bool(extra.get("secret"))
    return SecretStr in _members(field.annotation) or marked or field.repr is False


def _members(annotation: Any) -> tuple[Any, ...]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(a for a in args if a is not type(None))
    return (annotation,)


def _default_text(field: FieldInfo) -> str | bool:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return False
    if isinstance(value, list):
        return ", ".join(map(str, value)) or False
    return str(value.value if isinstance(value, Enum) else value)


def setting_option(name: str) -> Any | None:
    """The typer annotation of the option for one setting; None for a credential (env only)."""
    field = Settings.model_fields[name]
    if is_secret(field):
        return None
    (kind,) = _members(field.annotation)[:1]
    flag = FLAGS.get(name, "--" + name.replace("_", "-"))
    help_text = escape(field.description or name.replace("_", " "))
    if typing.get_origin(kind) is list:
        item = typing.get_args(kind)[0]
        option = typer.Option(
            flag,
            help=f"{help_text} Repeat the flag for more. \\[env var: {env_name(name)}, a JSON list]",
            show_default=_default_text(field),
        )
        return Annotated[list[item] | None, option]  # type: ignore[valid-type]
    option = typer.Option(
        flag, envvar=env_name(name), show_envvar=True, help=help_text, show_default=_default_text(field)
    )
    return Annotated[kind | None, option]


def env_file_problem(path: Path = Path(".env")) -> str | None:
    """Why the ``.env`` here cannot be read as the settings read it, or None (attack14 F14): not
    UTF-8 was a UnicodeDecodeError traceback in every command; a UTF-8 byte-order mark made the
    first variable's name begin with U+FEFF, so nothing read it."""
    try:
        raw = path.read_bytes() if path.is_file() else b""
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror})"
    if raw.startswith(b"\xef\xbb\xbf"):
        return (
            f"{path}: starts with a byte-order mark, which hides its first variable; "
            "save it as UTF-8 without one"
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
    return None


#: What a list or map variable that is not JSON is told (core's settings and a plugin's alike).
NOT_JSON = 'not valid JSON (lists and maps are JSON: ["a", "b"], {"k": "v"})'


def refusal_lines(
    exc: ValidationError, variable_of: Callable[[str], tuple[str, bool] | None], unknown: str = "?"
) -> list[str]:
    """A settings class's refusal as ``error: SERVICEFLOW_X: what is wrong (got 'value')`` lines,
    one a problem: ``variable_of(field)`` is the variable's name and whether it is secret (its
    value never shown), or None for a field it does not know (named ``unknown``, value not
    shown). A file setting's value is shown as it was written, not as ``PosixPath(...)``."""
    lines = []
    for problem in exc.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        found = variable_of(field)
        name, secret = found if found is not None else (unknown, True)
        given = problem.get("input")
        if isinstance(given, PurePath):
            given = str(given)
        shown = "" if secret else f" (got {given!r})"
        lines.append(f"error: {name}: {problem['msg']}{shown}")
    return lines


def load_settings(**overrides: Any) -> Settings:
    """Settings from the options given (None: not given), the environment and ``.env``.

    Raises:
        CliError: a value is invalid; the message names each variable and what is wrong.
    """
    if (unreadable := env_file_problem()) is not None:
        raise CliError(f"error: {unreadable}", code=EXIT_USAGE)
    try:
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        secret = _secret_fields()
        lines = refusal_lines(exc, lambda field: (env_name(field), field in secret))
        raise CliError("\n".join(lines), code=EXIT_USAGE) from None
    except SettingsError as exc:  # a list or map variable that is not JSON
        found = re.search(r'field "([a-z_]+)"', str(exc))
        name = env_name(found.group(1)) if found else "a SERVICEFLOW_* variable"
        raise CliError(f"error: {name}: {NOT_JSON}", code=EXIT_USAGE) from None
    for field in ("task_queue", "temporal_namespace"):  # "" was Temporal's refusal of each delivery
        if not getattr(settings, field).strip():
            raise CliError(
                f"error: {env_name(field)}: {getattr(settings, field)!r} is empty; set it to a name, "
                "or unset it for the default",
                code=EXIT_USAGE,
            )
    return settings


def require_tls_pair(settings: Settings) -> None:
    """A client certificate comes with its key: the SDK refused one alone as a bug's ValueError,
    and a key alone was ignored where no CA was set (attack14 F8).

    Raises:
        CliError: one is set without the other (a usage error naming both).
    """
    cert, key = "SERVICEFLOW_TEMPORAL_TLS_CERT", "SERVICEFLOW_TEMPORAL_TLS_KEY"
    if (settings.temporal_tls_cert is None) != (settings.temporal_tls_key is None):
        given, missing = (cert, key) if settings.temporal_tls_cert is not None else (key, cert)
        raise CliError(
            f"error: {given} is set without {missing}: mTLS needs the client certificate and its private "
            "key; set both (--temporal-tls-cert, --temporal-tls-key), or neither",
            code=EXIT_USAGE,
        )


def require_policy_paths(paths: list[Path]) -> None:
    """At least one of the policy paths exists: the policy store drops those that do not, and
    with none left the loader's problem names no path (attack14 F4).

    Raises:
        CliError: none does (a usage error naming them and the variable).
    """
    if not paths:
        raise CliError(
            "error: SERVICEFLOW_POLICIES is an empty list: name your policy folders, "
            'e.g. ["policies", "workflows"]',
            code=EXIT_USAGE,
        )
    if not any(path.exists() for path in paths):
        raise CliError(
            f"error: no policies at {', '.join(map(str, paths))} (no such file or directory): point "
            'SERVICEFLOW_POLICIES (--policies) at your policy folders, e.g. ["policies", "workflows"] in '
            "your project",
            code=EXIT_USAGE,
        )


def _expanded(value: Any) -> Any:
    """A list option given as the JSON list its help shows (``--reconcile '["zendesk:acme"]'``)
    is that list's items; it was taken as one entry, '["zendesk:acme"]' (attack14 F12)."""
    if not isinstance(value, list):
        return value
    items: list[Any] = []
    for item in value:
        text = str(item).strip()
        parsed = None
        if text.startswith("["):
            with contextlib.suppress(ValueError):
                parsed = json.loads(text)
        if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
            items.extend(type(item)(p) for p in parsed)
        else:
            items.append(item)
    return items


def _secret_fields() -> set[str]:
    return {name for name, field in Settings.model_fields.items() if is_secret(field)}


def settings_options(*names: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Give a command an option for each named setting and a ``settings`` argument built from
    them (see the module docstring)."""

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        hints = typing.get_type_hints(command, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in _params(command)]
        added = []
        env_only = []
        for name in names:
            annotation = setting_option(name)
            if annotation is None:
                env_only.append(name)
                continue
            added.append(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
            )

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> R:
            given = {name: _expanded(kwargs.pop(name)) for name in names if name in kwargs}
            try:
                settings = load_settings(**given)
                if "temporal_tls_cert" in names:  # a command that connects to Temporal
                    require_tls_pair(settings)
            except CliError as error:
                fail(error)
            return command(settings=settings, **kwargs)

        wrapper.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
        if env_only:
            listed = "; ".join(
                f"{env_name(n)}: {(Settings.model_fields[n].description or n).rstrip('.')}" for n in env_only
            )
            doc = inspect.cleandoc(command.__doc__ or "")
            wrapper.__doc__ = f"{doc}\n\nRead from the environment only: {escape(listed)}."
        return wrapper

    return decorate


def _params(command: Callable[..., Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(command).parameters.values() if p.name != "settings"]
