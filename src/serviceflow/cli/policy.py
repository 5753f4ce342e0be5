"""``serviceflow policy``: check the policy set before it goes live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from serviceflow.errors import PolicyError
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
    ignore_warnings: Annotated[
        bool, typer.Option("--ignore-warnings", "-W", help="Warnings are printed but do not fail.")
    ] = False,
) -> None:
    """Load every policy and journey, compile and check every CEL expression.

    Prints one line per problem as [bold]file:line:col: rule: message[/bold], then a summary.
    Exits 0 when the set is valid, 1 when there is any problem (a warning too, unless
    --ignore-warnings), 2 on a usage error.
    """
    chosen = _chosen_paths(paths)
    try:
        report = validate(chosen)
    except PolicyPathError as exc:
        _usage_error(str(exc))
    for problem in report.problems:
        typer.echo(_line(problem))
    files = len(report.files)
    failing = report.errors if ignore_warnings else report.problems
    if failing:
        count = len(failing)
        bad_files = len({p.location.file for p in failing})
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


@app.command(name="test")
def test_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders with policies and their scenarios, or scenario files (the policy set is "
            "then the folder above that holds a PolicySet). Default: ./policies and ./workflows.",
            show_default=False,
        ),
    ] = None,
    keyword: Annotated[
        str | None,
        typer.Option("-k", help="Run only scenarios whose file::name contains this ('not x' excludes)."),
    ] = None,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here, for CI.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each scenario's steps and its rule errors.")
    ] = False,
    exitfirst: Annotated[bool, typer.Option("--exitfirst", "-x", help="Stop at the first failure.")] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="text (default) or json (one JSON document on stdout).")
    ] = "text",
    ignore_warnings: Annotated[
        bool, typer.Option("--ignore-warnings", "-W", help="Run even when the policy set has warnings.")
    ] = False,
) -> None:
    """Run the policy scenarios (kind: Scenario) against the policies, with a simulated clock.

    One line per scenario, a diff of expected and actual actions on failure (with the rule errors
    recorded on the way), a summary, and the rules that no scenario exercised. Exits 0 when all
    pass, 1 on any failure, 2 on a usage error or an invalid policy or scenario.
    """
    from serviceflow.scenarios.run_command import run_tests

    if output_format not in ("text", "json"):
        _usage_error(f"--format must be text or json, not {output_format!r}")
    code = run_tests(
        paths or [],
        _chosen_paths,
        keyword=keyword,
        junit_xml=junit_xml,
        verbose=verbose,
        exitfirst=exitfirst,
        json_output=output_format == "json",
        ignore_warnings=ignore_warnings,
        echo=typer.echo,
    )
    if code:
        raise typer.Exit(code=code)


def _chosen_paths(paths: list[Path] | None) -> list[Path]:
    """The given paths (plus the workflows/ folder beside a policies folder), or the defaults."""
    if not paths:
        chosen = [p for p in DEFAULT_PATHS if p.exists()]
        if not chosen:
            _usage_error("no policies/ or workflows/ here; give the path to your policies")
        return chosen
    chosen = list(paths)
    for path in paths:
        sibling = path.resolve().parent / "workflows"
        if path.is_dir() and sibling.is_dir() and sibling != path.resolve():
            if all(sibling != p.resolve() for p in chosen):
                chosen.append(sibling)
    return chosen


def _line(problem: PolicyError) -> str:
    kind = "warning: " if problem.warning else ""
    return f"{problem.location}: {problem.rule}: {kind}{problem.message}"


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
