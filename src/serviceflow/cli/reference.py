"""The reference pages written from the code: every command with its options
(``docs/reference/cli.md``) and every setting (``docs/reference/settings.md``).

    python -m serviceflow.cli.reference docs/reference

A test checks that the committed pages are what this writes, so they never drift from the CLI.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import typer

HEADER = "<!-- Written by `python -m serviceflow.cli.reference docs/reference`; do not edit by hand. -->\n"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("\\[", "[")


def _commands(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)] if path else []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            found.extend(_commands(sub, (*path, name)))
    return found


def cli_reference() -> str:
    from serviceflow.cli import app

    root = typer.main.get_command(app)
    lines = [HEADER, "# Command reference", ""]
    lines.append(
        "Every option that is a setting names its `SERVICEFLOW_*` variable; an option given on the "
        "command line wins over the environment, which wins over `.env`, which wins over the "
        "default. `serviceflow settings` prints what is in effect. Exit status of the commands "
        "that talk to Temporal: 0 done, 1 failed (an unknown case, a broken policy set), 2 a "
        "usage error or an invalid setting, 3 Temporal cannot be reached."
    )
    lines.append("")
    for path, command in _commands(root, ()):
        lines.append(f"## `serviceflow {' '.join(path)}`")
        lines.append("")
        lines.append((command.help or "").strip().replace("\\[", "["))
        lines.append("")
        params = [p for p in command.params if p.name not in ("help",)]
        arguments = [p for p in params if p.param_type_name == "argument"]
        options = [p for p in params if p.param_type_name == "option"]
        if arguments:
            for argument in arguments:
                lines.append(
                    f"- argument `{argument.name.upper()}`: {_cell(getattr(argument, 'help', '') or '')}"
                )
            lines.append("")
        if options and not getattr(command, "commands", None):
            lines.append("| option | variable | default | meaning |")
            lines.append("|--------|----------|---------|---------|")
            for option in options:
                flags = ", ".join(f"`{flag}`" for flag in [*option.opts, *option.secondary_opts])
                listed = re.search(r"env var: (SERVICEFLOW_\w+)", option.help or "")  # JSON lists
                envvar = option.envvar or (listed.group(1) if listed else None)
                variable = f"`{envvar}`" if envvar else "-"
                default = option.show_default if isinstance(option.show_default, str) else option.default
                shown = "-" if default in (None, False, "", ()) else f"`{_cell(default)}`"
                lines.append(f"| {flags} | {variable} | {shown} | {_cell(option.help or '')} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def settings_reference() -> str:
    from serviceflow.cli.settings_catalog import variables

    lines = [HEADER, "# Settings reference", ""]
    lines.append(
        "Every variable serviceflow and the installed plugins read. Set them in the environment "
        "or in a `.env` file in the working directory (one `NAME=value` a line; the environment "
        'wins). Lists and maps are JSON: `SERVICEFLOW_POLICIES=\'["policies", "workflows"]\'`. '
        "Secrets are never printed: `serviceflow settings` masks them."
    )
    lines.append("")
    owner = None
    for variable in variables():
        if variable.owner != owner:
            owner = variable.owner
            lines.extend(["", f"## {owner}", "", "| variable | default | meaning |", "|---|---|---|"])
        default = "-"
        if variable.settings_class is not None and variable.field is not None:
            value = variable.settings_class.model_fields[variable.field].get_default(
                call_default_factory=True
            )
            if isinstance(value, list) and value:
                default = "`" + json.dumps([str(v) for v in value]) + "`"
            elif value not in (None, [], {}):
                default = f"`{_cell(getattr(value, 'value', value))}`"
        secret = " (secret)" if variable.secret else ""
        lines.append(f"| `{variable.name}` | {default} | {_cell(variable.description)}{secret} |")
    return "\n".join(lines).rstrip() + "\n"


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cli.md").write_text(cli_reference())
    (folder / "settings.md").write_text(settings_reference())


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/reference"))
