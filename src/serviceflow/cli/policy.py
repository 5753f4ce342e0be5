"""``serviceflow policy``: check the policy set before it goes live."""

from __future__ import annotations

import os
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
            f"ok: {_count(counts.get('policies', 0), 'policy', 'policies')}, "
            f"{_count(counts.get('journeys', 0), 'journey')}, "
            f"{_count(counts.get('expressions', 0), 'CEL expression')} in {_count(files, 'file')} "
            f"(policy set version {version})"
        )


def _count(number: int, one: str, many: str | None = None) -> str:
    """``1 journey``, ``2 journeys``."""
    return f"{number} {one if number == 1 else many or one + 's'}"


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
        return
    _writable(output, "--output")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
    except OSError as exc:
        _usage_error(f"--output {output}: cannot write there: {exc.strerror or exc}")


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
        typer.Option(
            "-k",
            help="Run only scenarios whose file::name or description contains this, ignoring case "
            "('not x' excludes; 'a and b' needs both).",
        ),
    ] = None,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here, for CI.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each scenario's step count and its rule errors.")
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
    if junit_xml is not None:
        _writable(junit_xml, "--junit-xml")
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


@app.command(name="diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The policy folder as it is (or was).")],
    new: Annotated[Path, typer.Argument(help="The policy folder as it would be.")],
    live: Annotated[
        bool,
        typer.Option(
            "--live", help="Also list the running cases whose owner, due times or ladder would change."
        ),
    ] = False,
    address: Annotated[
        str | None,
        typer.Option(envvar="SERVICEFLOW_TEMPORAL_ADDRESS", help="The Temporal frontend, for --live."),
    ] = None,
) -> None:
    """List the rules that changed between two policy sets and, with --live, a what-if over the
    running cases: each decided now under both, and what would differ. Exits 0 when nothing
    changed, 1 when something did, 2 on a usage error or an invalid set."""
    from serviceflow.policy.diff import diff

    sets = []
    for path in (old, new):
        try:
            report = validate(_chosen_paths([path]))
        except PolicyPathError as exc:
            _usage_error(str(exc))
        if report.policy_set is None:
            for problem in report.errors:
                typer.echo(_line(problem), err=True)
            _usage_error(f"{path} is not a valid policy set")
        sets.append(report.policy_set)
    lines = diff(sets[0], sets[1])
    for line in lines:
        typer.echo(line)
    typer.echo(
        f"{len(lines)} change{'s' if len(lines) != 1 else ''} (on_change: {sets[1].settings.on_change})"
    )
    if live:
        # After the Temporal client, the process leaves by os._exit once flushed (sdk-python #300:
        # a short process that used the client can abort at interpreter exit).
        from serviceflow.cli.boundary import leave

        try:
            _live(sets[0], sets[1], address)
        except typer.Exit as stop:
            leave(stop.exit_code)
        leave(1 if lines else 0)
    if lines:
        raise typer.Exit(code=1)


def _live(old_set: object, new_set: object, address: str | None) -> None:
    """The what-if over running cases, read from Temporal."""
    import asyncio
    from datetime import UTC, datetime

    from serviceflow.cli.run import _settings
    from serviceflow.durable.cases import list_cases
    from serviceflow.durable.worker import connect
    from serviceflow.engine.rules import Rules
    from serviceflow.engine.whatif import what_if
    from serviceflow.policy import PolicySet

    assert isinstance(old_set, PolicySet) and isinstance(new_set, PolicySet)

    from serviceflow.cli.boundary import CONNECT_TIMEOUT_SECONDS, explain, unexpected

    settings = None

    async def cases() -> list[object]:
        nonlocal settings
        settings = _settings(temporal_address=address)  # CliError: a setting is invalid
        client = await asyncio.wait_for(connect(settings), CONNECT_TIMEOUT_SECONDS)
        return [c.state for c in await list_cases(client) if c.state is not None]

    try:
        states = asyncio.run(cases())
    except Exception as exc:  # one line for each way it fails (attack14 F6), exit 2 as before
        where = settings.temporal_address if settings is not None else address or "?"
        error = explain(exc, where) or unexpected(exc)
        lines = [line.removeprefix("error: ") for line in str(error).splitlines()]
        _usage_error("cannot read the running cases: " + "; ".join(lines))
    old, new = Rules(old_set), Rules(new_set)
    changed = what_if(states, old, new, datetime.now(UTC))  # type: ignore[arg-type]
    typer.echo(f"{len(changed)} of {len(states)} running cases would change:")
    for case in changed:
        typer.echo(f"  {case.case_id}")
        for change in case.changes:
            typer.echo(f"    {change}")


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


def _writable(path: Path, option: str) -> None:
    """The output file can be made here (its folders are made as needed), or a usage error says
    why, before any work is done: writing it at the end raised a traceback (attack14 F5)."""
    problem = None
    if path.is_dir():
        problem = f"{path} is a folder; give a file's path"
    else:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            problem = f"{folder} is a file, not a folder"
        elif not os.access(folder if not path.exists() else path, os.W_OK):
            problem = f"{path if path.exists() else folder} is not writable"
    if problem:
        _usage_error(f"{option} {path}: cannot write there: {problem}")


def _line(problem: PolicyError) -> str:
    kind = "warning: " if problem.warning else ""
    return f"{problem.location}: {problem.rule}: {kind}{problem.message}"


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
