"""``serviceflow plugins``: what is installed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from serviceflow.plugins import installed_plugins


def list_plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the installed serviceflow plugins and the helpdesks they serve."""
    infos = installed_plugins()
    if as_json:
        import json

        typer.echo(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "distribution": i.distribution,
                        "version": i.version,
                        "vendors": list(i.vendors),
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    table = Table("plugin", "distribution", "version", "vendors")
    for info in infos:
        table.add_row(info.name, info.distribution or "-", info.version or "-", ", ".join(info.vendors))
    Console().print(table)
