"""Reporting a suite's results: the failure lines a person reads, JUnit XML for CI, and JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from serviceflow.scenarios.runner import ScenarioResult
from serviceflow.scenarios.suite import LoadedScenario, SuiteResult


def failure_report(loaded: LoadedScenario, result: ScenarioResult) -> list[str]:
    """The lines that explain a failed scenario: which step, where, what differed, and the rule
    errors the engine recorded on the way (CEL that failed on a ticket, with what it used)."""
    lines: list[str] = []
    if result.error is not None:
        step = result.error_step or 0
        where = loaded.document.locate(("steps", step))
        lines.append(f"{where}: step {step + 1}: error: {result.error}")
    for failure in result.failures:
        where = loaded.document.locate(("steps", failure.step))
        lines.append(
            f"{where}: step {failure.step + 1} ({failure.kind} at {failure.time:%a %Y-%m-%d %H:%M %Z}):"
        )
        lines.extend(f"    {line}" for line in failure.lines)
        if failure.errors:
            lines.append("    rule errors since the previous expect:")
            lines.extend(f"      {error}" for error in failure.errors)
    if result.error is not None and result.rule_errors:
        lines.append("    rule errors:")
        lines.extend(f"      {error}" for error in result.rule_errors)
    return lines


def write_junit(suite: SuiteResult, path: Path) -> None:
    testsuite = ET.Element(
        "testsuite",
        name="serviceflow policy test",
        tests=str(len(suite.results)),
        failures=str(suite.failed),
        errors="0",
        skipped=str(suite.deselected),
        time=f"{suite.seconds:.3f}",
    )
    for loaded, result in suite.results:
        case = ET.SubElement(
            testsuite, "testcase", classname=loaded.document.file, name=loaded.scenario.name, time="0"
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message="scenario failed")
            failure.text = "\n".join(failure_report(loaded, result))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(testsuite).write(path, encoding="utf-8", xml_declaration=True)


def as_json(suite: SuiteResult, problems: list[Any] | None = None) -> str:
    """The whole run as one JSON document (``policy test --format json``)."""

    def scenario(loaded: LoadedScenario, result: ScenarioResult) -> dict[str, Any]:
        return {
            "id": loaded.id,
            "file": loaded.document.file,
            "name": loaded.scenario.name,
            "passed": result.passed,
            "steps": result.steps,
            "error": result.error,
            "failures": [
                {
                    "step": f.step + 1,
                    "kind": f.kind,
                    "location": str(loaded.document.locate(("steps", f.step))),
                    "time": f.time.isoformat(),
                    "lines": f.lines,
                    "rule_errors": f.errors,
                }
                for f in result.failures
            ],
            "rule_errors": result.rule_errors,
        }

    document = {
        "passed": suite.passed,
        "failed": suite.failed,
        "deselected": suite.deselected,
        "stopped_at_first_failure": suite.stopped,
        "seconds": round(suite.seconds, 3),
        "scenarios": [scenario(loaded, result) for loaded, result in suite.results],
        "unexercised": suite.unexercised,
        "problems": [
            {"location": str(p.location), "rule": p.rule, "message": p.message, "warning": p.warning}
            for p in problems or []
        ],
    }
    return json.dumps(document, indent=2)
