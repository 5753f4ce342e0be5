"""``serviceflow policy``: check the policy set before it goes live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

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
    chosen = _chosen_paths(paths)
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


@app.command(name="test")
def test_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders or files with policies and their scenarios. Default: ./policies and ./workflows.",
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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each scenario's steps.")] = False,
) -> None:
    """Run the policy scenarios (kind: Scenario) against the policies, with a simulated clock.

    One line per scenario, a diff of expected and actual actions on failure, a summary, and the
    rules that no scenario exercised. Exits 0 when all pass, 1 on any failure, 2 on a usage
    error or an invalid policy or scenario.
    """
    from serviceflow.engine.rules import Rules
    from serviceflow.scenarios.suite import (
        failure_report,
        load_scenarios,
        run_suite,
        write_junit,
    )

    chosen = _chosen_paths(paths)
    try:
        report = validate(chosen)
        scenarios, problems = load_scenarios(chosen)
    except PolicyPathError as exc:
        _usage_error(str(exc))
    if report.problems or problems or report.policy_set is None:
        for problem in {str(p): p for p in [*report.problems, *problems]}.values():  # a file's, once
            typer.echo(f"{problem.location}: {problem.rule}: {problem.message}", err=True)
        typer.echo("error: the policy set or its scenarios are invalid; nothing was run", err=True)
        raise typer.Exit(code=2)
    rules = Rules(report.policy_set)

    def show(loaded, result) -> None:  # type: ignore[no-untyped-def]
        outcome = "PASSED" if result.passed else "FAILED"
        typer.echo(f"{loaded.id} {outcome}" + (f" ({result.steps} steps)" if verbose else ""))

    suite = run_suite(scenarios, rules, keyword=keyword, on_result=show)
    failed = [(loaded, result) for loaded, result in suite.results if not result.passed]
    if failed:
        typer.echo("")
        typer.echo("=" * 30 + " FAILURES " + "=" * 30)
        for loaded, result in failed:
            typer.echo(f"_____ {loaded.scenario.name} _____")
            for line in failure_report(loaded, result):
                typer.echo(line)
    if suite.unexercised and not keyword:
        typer.echo("")
        typer.echo(f"rules no scenario exercised ({len(suite.unexercised)}):")
        for name in suite.unexercised:
            typer.echo(f"  {name}")
    if junit_xml is not None:
        write_junit(suite, junit_xml)
    parts = [f"{suite.passed} passed"]
    if suite.failed:
        parts.insert(0, f"{suite.failed} failed")
    if suite.deselected:
        parts.append(f"{suite.deselected} deselected")
    typer.echo(f"{'=' * 10} {', '.join(parts)} in {suite.seconds:.2f}s {'=' * 10}")
    if not suite.results:
        typer.echo("error: no scenario ran", err=True)
        raise typer.Exit(code=2 if not scenarios else 1)
    if suite.failed:
        raise typer.Exit(code=1)


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


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
