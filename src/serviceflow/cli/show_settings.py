"""``serviceflow settings``: the effective configuration, secrets masked, and where each value
came from (the environment, the ``.env`` file, or the default)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from serviceflow.cli.settings_catalog import effective


def show_settings(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Also list settings that are not set.")] = False,
) -> None:
    """Print every SERVICEFLOW_* setting of serviceflow and its plugins: the value in effect
    (secrets masked), and whether it came from the environment, the .env file or the default.

    Variables set here that nothing reads are named at the end (a typo, or a plugin not installed).
    """
    from serviceflow.cli.options import env_file_problem

    if (problem := env_file_problem()) is not None:
        Console(stderr=True, markup=False, highlight=False, soft_wrap=True).print(f"error: {problem}")
        raise typer.Exit(code=2)
    rows, unknown = effective()
    shown = [row for row in rows if all_ or row.source != "not set"]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "settings": [
                        {
                            "name": row.variable.name,
                            "value": None if row.value == "-" else row.value,
                            "source": row.source,
                            "secret": row.variable.secret,
                            "read_by": row.variable.owner,
                        }
                        for row in shown
                    ],
                    "unknown": unknown,
                },
                indent=2,
            )
        )
        return
    console = Console(width=None if sys.stdout.isatty() else 200, markup=False, emoji=False, highlight=False)
    table = Table("setting", "value", "from", "read by")
    for row in shown:
        table.add_row(row.variable.name, row.value, row.source, row.variable.owner)
    console.print(table)
    if not all_:
        console.print("settings with no value (not set, and no default) are left out; --all lists them")
    for name in unknown:
        Console(stderr=True, markup=False).print(
            f"warning: {name} is set but nothing reads it (a typo, or its plugin is not installed)"
        )
