"""``serviceflow policy``: check the policy set before it goes live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from serviceflow.policy import PolicyPathError, validate
from serviceflow.policy.jsonschema import policy_json_schema_text

app = typer.Typer(
    help="Check the CEL policies in policies/ and the journeys in workflows/.",
    no_args_is_help=True,
)

DEFAULT_PATHS = (Path("policies"), Path("workflows"))


@app.command(name="validate")
def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Policy files or directories. Default: ./policies and ./workflows (those that exist).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
) -> None:
    """Load every policy and journey, compile and check every CEL expression.

    Prints one line per problem as [bold]file:line:col: rule: message[/bold], then a summary.
    Exits 0 when the set is valid, 1 when there is any problem, 2 on a usage error.
    """
    chosen = list(paths) if paths else [p for p in DEFAULT_PATHS if p.exists()]
    if not chosen:
        _usage_error("no policies/ or workflows/ here; give the path to your policies")
    try:
        report = validate(chosen)
    except PolicyPathError as exc:
        _usage_error(str(exc))
    for problem in report.problems:
        typer.echo(f"{problem.location}: {problem.rule}: {problem.message}")
    files = len(report.files)
    if report.problems:
        count = len(report.problems)
        bad_files = len({p.location.file for p in report.problems})
        typer.echo(
            f"{count} problem{'s' if count != 1 else ''} in {bad_files} of {files} "
            f"file{'s' if files != 1 else ''}",
            err=True,
        )
        raise typer.Exit(code=1)
    if not quiet:
        counts = report.counts
        version = report.policy_set.version if report.policy_set else "-"
        typer.echo(
            f"ok: {counts.get('policies', 0)} policies, {counts.get('journeys', 0)} journeys, "
            f"{counts.get('expressions', 0)} CEL expressions in {files} files "
            f"(policy set version {version})"
        )


@app.command(name="schema")
def schema_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of policy documents, for editor completion and checks."""
    text = policy_json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)


def _usage_error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
