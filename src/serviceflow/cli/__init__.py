"""The ``serviceflow`` command line."""

from __future__ import annotations

from typing import Annotated

import typer

from serviceflow import __version__
from serviceflow.cli import backtest, cases, plugins, policy, reconcile, report, run, show_settings

app = typer.Typer(
    name="serviceflow",
    help="Make your helpdesk's service standards enforceable: every ticket a durable case, "
    "every standard a tested CEL policy, every promise a real deadline.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(policy.app, name="policy")
app.add_typer(cases.app, name="case")
app.command(name="plugins")(plugins.list_plugins)
app.command(name="worker")(run.worker)
app.command(name="serve")(run.serve)
app.command(name="dev")(run.dev)
app.command(name="settings")(show_settings.show_settings)
app.command(name="reconcile")(reconcile.reconcile)
app.command(name="backtest")(backtest.backtest)
app.command(name="report")(report.report)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"serviceflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """serviceflow: durable cases and CEL policies beside your helpdesk."""


def main() -> None:
    app()
