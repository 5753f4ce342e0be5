"""``serviceflow plugins``: what is installed, and the helpdesks the plugins' adapters serve."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from serviceflow.adapters.registry import registry
from serviceflow.plugins import installed_plugins


def _helpdesk(vendor: str) -> dict[str, Any]:
    adapter = registry().require(vendor)
    return {
        "vendor": vendor,
        "description": getattr(adapter, "description", ""),
        "quarantine": getattr(adapter, "quarantine", None) is not None,
        "demo": (getattr(adapter, "demo_helpdesk", None) or (lambda: None))() is not None,
    }


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
                        "helpdesks": [_helpdesk(v) for v in i.vendors],
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    table = Table("plugin", "distribution", "version", "helpdesks", "quarantine", "demo helpdesk")
    for info in infos:
        desks = [_helpdesk(v) for v in info.vendors]
        table.add_row(
            info.name,
            info.distribution or "-",
            info.version or "-",
            ", ".join(info.vendors) or "-",
            ", ".join(d["vendor"] for d in desks if d["quarantine"]) or "-",
            ", ".join(d["vendor"] for d in desks if d["demo"]) or "-",
        )
    Console().print(table)
