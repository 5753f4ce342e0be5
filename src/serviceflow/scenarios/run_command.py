"""``serviceflow policy test``: find the policy set and its scenarios, run them, and report.

Given a scenario file (``policy test policies/scenarios/refund-story.yaml``), the policy set is
the nearest folder above it that holds a PolicySet, and only that file's scenarios run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicyError
from serviceflow.policy import PolicyPathError, validate
from serviceflow.scenarios.policies import policy_folder_of
from serviceflow.scenarios.report import as_json, failure_report, write_junit
from serviceflow.scenarios.runner import ScenarioResult
from serviceflow.scenarios.suite import LoadedScenario, SuiteResult, load_scenarios, run_suite

Echo = Callable[..., None]


def _resolve(
    paths: Sequence[Path], choose: Callable[[list[Path] | None], list[Path]]
) -> tuple[list[Path], set[str] | None]:
    """The policy paths to load, and the scenario files to run (None: all under the paths)."""
    files = [p for p in paths if p.is_file()]
    if not files or any(p.is_dir() for p in paths):
        return choose(list(paths) or None), None
    folders: list[Path] = []
    for file in files:
        folder = policy_folder_of(file)
        if folder is None:
            raise PolicyPathError(f"{file}: no folder above it holds a PolicySet; give the policy folder")
        folders.append(folder)
    return choose(list(dict.fromkeys(folders))), {str(f.resolve()) for f in files}


def run_tests(
    paths: Sequence[Path],
    choose: Callable[[list[Path] | None], list[Path]],
    *,
    keyword: str | None,
    junit_xml: Path | None,
    verbose: bool,
    exitfirst: bool,
    json_output: bool,
    ignore_warnings: bool,
    echo: Echo,
) -> int:
    """Run the scenarios; the exit status (0 passed, 1 failed, 2 nothing could be run)."""
    try:
        chosen, only = _resolve(paths, choose)
        report = validate(chosen)
        scenarios, problems = load_scenarios(chosen)
    except PolicyPathError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    if only is not None:  # the files given: another file's broken scenario does not hold them up
        scenarios = [s for s in scenarios if str(Path(s.document.file).resolve()) in only]
        problems = [p for p in problems if str(Path(p.location.file).resolve()) in only]
    blocking = [*(report.errors if ignore_warnings else report.problems), *problems]
    if blocking or report.policy_set is None:
        for line in dict.fromkeys(_line(p) for p in [*report.problems, *problems]):
            echo(line, err=True)
        if report.policy_set is None and not report.errors and not problems:
            echo(f"error: no PolicySet in {', '.join(map(str, chosen))}", err=True)
        hint = (
            ""
            if ignore_warnings or report.errors or problems
            else " (warnings only: --ignore-warnings runs it)"
        )
        echo(f"error: the policy set or its scenarios are invalid; nothing was run{hint}", err=True)
        return 2
    for warning in report.warnings:
        echo(_line(warning), err=True)
    rules = Rules(report.policy_set)

    def show(loaded: LoadedScenario, result: ScenarioResult) -> None:
        if json_output:
            return
        outcome = "PASSED" if result.passed else "FAILED"
        echo(f"{loaded.id} {outcome}" + (f" ({result.steps} steps)" if verbose else ""))
        if verbose and result.rule_errors:
            echo("  rule errors:")
            for error in result.rule_errors:
                echo(f"    {error}")

    suite = run_suite(scenarios, rules, keyword=keyword, on_result=show, exitfirst=exitfirst)
    if junit_xml is not None:
        write_junit(suite, junit_xml)
    if json_output:
        echo(as_json(suite, report.warnings))
    else:
        _text_report(suite, keyword or ("file" if only else None), echo)
    if not suite.results:
        echo("error: no scenario ran", err=True)
        return 2 if not scenarios else 1
    return 1 if suite.failed else 0


def _text_report(suite: SuiteResult, keyword: str | None, echo: Echo) -> None:
    failed = [(loaded, result) for loaded, result in suite.results if not result.passed]
    if failed:
        echo("")
        echo("=" * 30 + " FAILURES " + "=" * 30)
        for loaded, result in failed:
            echo(f"_____ {loaded.scenario.name} _____")
            for line in failure_report(loaded, result):
                echo(line)
    if suite.unexercised and not keyword and not suite.stopped:
        echo("")
        echo(f"rules no scenario exercised ({len(suite.unexercised)}):")
        for name in suite.unexercised:
            echo(f"  {name}")
    parts = [f"{suite.passed} passed"]
    if suite.failed:
        parts.insert(0, f"{suite.failed} failed")
    if suite.deselected:
        parts.append(f"{suite.deselected} deselected")
    if suite.stopped:
        parts.append("stopped at the first failure (-x)")
    echo(f"{'=' * 10} {', '.join(parts)} in {suite.seconds:.2f}s {'=' * 10}")


def _line(problem: PolicyError) -> str:
    kind = "warning: " if problem.warning else ""
    return f"{problem.location}: {problem.rule}: {kind}{problem.message}"
