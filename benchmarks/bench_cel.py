"""CEL evaluation throughput of the shipped policy expressions, per backend, in one run.

Measures, on the same expressions and the same inputs:

  celpy             the serviceflow facade with cel-python (the default backend), compiled once
  cel-expr          the facade with cel-expr-python (serviceflow[fast])
  cel-expr raw      cel-expr-python used directly: NewEnv().compile(), eval() on a prebuilt
                    Activation, no conversion of the result; the ceiling for any facade over it

and what building an activation costs per decision (models -> plain values -> backend values).
Each measurement is time-boxed, so a run takes well under 30 seconds.

Run: .venv/bin/python benchmarks/bench_cel.py [--seconds N] [--json] [--expressions FILE]

``--expressions FILE`` takes one CEL expression per line (blank lines and ``#`` comments skipped)
and evaluates them against a built-in sample context (ticket, event, case, agent, now) instead
of loading the policy set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from serviceflow.cel import CelEnvironment, backend_named
from serviceflow.cel.types import DYN, TIMESTAMP, CelType, map_of
from serviceflow.cel.values import to_plain

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One expression and the values it is evaluated against."""

    source: str
    variables: Mapping[str, CelType]
    values: Mapping[str, Any]
    where: str


@dataclass
class Result:
    backend: str
    evaluations: int = 0
    seconds: float = 0.0
    activation_us: float | None = None
    skipped: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def per_second(self) -> float:
        return self.evaluations / self.seconds if self.seconds else 0.0

    @property
    def us_per_eval(self) -> float:
        return 1e6 * self.seconds / self.evaluations if self.evaluations else 0.0


# --- the expressions ---------------------------------------------------------------------------


def policy_cases(paths: Sequence[Path]) -> list[Case]:
    """Every expression site of the shipped policy set, with realistic sample models."""
    from serviceflow.policy import load_policy_set
    from serviceflow.policy.samples import sample_values

    policy_set = load_policy_set(list(paths))
    return [
        Case(site.source, site.variables, sample_values(site.variables), f"{site.location} {site.rule}")
        for site in policy_set.expressions
    ]


def file_cases(path: Path) -> list[Case]:
    """One expression per line, all against the built-in sample context."""
    now = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
    ticket = {
        "id": "1042",
        "subject": "Charged twice for order 7781",
        "status": "open",
        "priority": "high",
        "channel": "email",
        "requester": {"id": "u-77", "email": "dana@customer.example", "name": "Dana Smith"},
        "assignee": "a-1",
        "group": "frontline",
        "tags": ["billing", "refund"],
        "custom_fields": {"order_id": "7781", "amount": 49.5},
        "created_at": now - timedelta(hours=3),
        "updated_at": now - timedelta(minutes=5),
    }
    values = {
        "ticket": ticket,
        "event": {
            "kind": "customer_message",
            "time": now,
            "actor": {"id": "u-77", "role": "customer"},
            "body": "Any news on my refund?",
            "public": True,
            "ticket": ticket,
        },
        "case": {"id": "zendesk:example:1042", "opened_at": now - timedelta(hours=3), "contacts": 2},
        "agent": {"id": "a-2", "groups": ["frontline"], "skills": ["billing"], "open_cases": 4},
        "now": now,
    }
    variables = {name: TIMESTAMP if name == "now" else map_of(DYN) for name in values}
    lines = path.read_text().splitlines()
    return [
        Case(line.strip(), variables, values, f"{path}:{number}")
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


# --- measuring ---------------------------------------------------------------------------------


def timed(budget: float, one_pass: Callable[[], int]) -> tuple[int, float]:
    """Repeat ``one_pass`` (which returns how many evaluations it did) for ``budget`` seconds."""
    one_pass()  # warm up: caches, lazy conversions, branch predictors
    done = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < budget:
        done += one_pass()
        elapsed = time.perf_counter() - started
    return done, elapsed


def touch_all(names: Sequence[str]) -> str:
    """An expression reading every variable: the first read is where cel-expr converts one."""
    return f"size([{', '.join(names)}]) == {len(names)}"


def activation_cost(budget: float, build: Callable[[], Any], evaluate: Callable[[Any], Any]) -> float:
    """Microseconds per decision for its variables: building the activation, plus whatever the
    backend defers to the first evaluation that reads them (less that evaluation's own cost)."""
    warm = build()
    count, seconds = timed(budget / 2, lambda: (evaluate(warm), 1)[1])
    fresh_count, fresh_seconds = timed(budget / 2, lambda: (evaluate(build()), 1)[1])
    return 1e6 * (fresh_seconds / fresh_count - seconds / count)


def bench_facade(name: str, cases: Sequence[Case], budget: float) -> tuple[Result, list[Any]]:
    """Compile every case once, build one activation per variable set, then evaluate them all."""
    result = Result(name)
    try:
        env = CelEnvironment(backend=backend_named(name))
    except Exception as exc:  # the fast backend is an optional extra
        result.error = str(exc)
        return result, []
    activations: dict[tuple[str, ...], Any] = {}
    runnable: list[tuple[Any, Any]] = []
    answers: list[Any] = []
    for case in cases:
        key = tuple(sorted(case.values))
        if key not in activations:
            activations[key] = env.activation(case.values)
        expression = env.compile(case.source, case.variables)
        try:
            answers.append(expression.evaluate(activations[key]))
        except Exception as exc:  # a policy that fails on the samples is reported, not timed
            answers.append(exc)
            result.skipped.append(f"{case.where}: {case.source}: {exc}")
            continue
        runnable.append((expression, activations[key]))

    def one_pass() -> int:
        for expression, activation in runnable:
            expression.evaluate(activation)
        return len(runnable)

    if runnable:
        result.evaluations, result.seconds = timed(budget, one_pass)
    widest = max(cases, key=lambda case: len(case.values))
    touch = env.compile(touch_all(sorted(widest.values)), widest.variables)
    result.activation_us = activation_cost(budget / 4, lambda: env.activation(widest.values), touch.evaluate)
    return result, answers


def bench_raw(cases: Sequence[Case], budget: float) -> Result:
    """cel-expr-python without the facade: checked compile with every variable dyn, prebuilt
    Activations, results left as cel Values. Timestamps still need protobuf messages."""
    result = Result("cel-expr raw")
    try:
        from cel_expr_python import cel  # type: ignore[import-untyped]

        from serviceflow.cel.celexpr_backend import function_declarations, to_celexpr
        from serviceflow.cel.functions import BUILTIN_FUNCTIONS
    except Exception as exc:
        result.error = str(exc)
        return result
    names = sorted({name for case in cases for name in case.values})
    env = cel.NewEnv(
        variables=dict.fromkeys(names, cel.Type.DYN),
        functions=function_declarations(BUILTIN_FUNCTIONS),
    )
    activations: dict[tuple[str, ...], Any] = {}
    runnable: list[tuple[Any, Any]] = []
    for case in cases:
        key = tuple(sorted(case.values))
        if key not in activations:
            activations[key] = env.Activation(to_celexpr(to_plain(dict(case.values))))
        try:
            expression = env.compile(case.source)
        except RuntimeError:  # cel-cpp's checker is stricter than serviceflow's: run unchecked
            expression = env.compile(case.source, disable_check=True)
        value = expression.eval(activations[key])
        if value.type() == cel.Type.ERROR:
            result.skipped.append(f"{case.where}: {case.source}: {value.value()}")
            continue
        runnable.append((expression, activations[key]))

    def one_pass() -> int:
        for expression, activation in runnable:
            expression.eval(activation)
        return len(runnable)

    if runnable:
        result.evaluations, result.seconds = timed(budget, one_pass)
    widest = to_plain(dict(max(cases, key=lambda case: len(case.values)).values))
    touch = env.compile(touch_all(sorted(widest)))
    result.activation_us = activation_cost(budget / 4, lambda: env.Activation(to_celexpr(widest)), touch.eval)
    return result


# --- reporting ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("cel-python", "cel-expr-python", "protobuf"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": f"{platform.system()} {platform.machine()}",
        **versions,
    }


def mismatches(cases: Sequence[Case], slow: Sequence[Any], fast: Sequence[Any]) -> list[str]:
    """Where the two facades disagree on the samples; errors agree if both raised."""
    found = []
    for case, left, right in zip(cases, slow, fast, strict=False):
        both_failed = isinstance(left, Exception) and isinstance(right, Exception)
        if not both_failed and (type(left) is not type(right) or left != right):
            found.append(f"{case.where}: {case.source}: celpy {left!r}, cel-expr {right!r}")
    return found


def report(info: dict[str, Any], source: str, count: int, results: list[Result], notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))  # piped output would wrap at 80
    console.print(
        f"[bold]CEL evaluation[/] - {info['date']}; {info['cpu']}, {info['cores']} cores; "
        f"{info['python']} on {info['platform']}\n"
        f"cel-python {info['cel-python']}, cel-expr-python {info['cel-expr-python']}, "
        f"protobuf {info['protobuf']}; {count} expressions from {source}",
        highlight=False,
    )
    table = Table()
    for column in ("backend", "evals/s", "µs/eval", "vs celpy", "activation µs", "evaluations timed"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    base = next((r.per_second for r in results if r.backend == "celpy" and r.per_second), 0.0)
    for r in results:
        if r.error:
            table.add_row(r.backend, "unavailable", "", "", "", r.error[:50])
            continue
        table.add_row(
            r.backend,
            f"{r.per_second:,.0f}",
            f"{r.us_per_eval:.2f}",
            f"{r.per_second / base:.1f}x" if base else "",
            f"{r.activation_us:,.1f}" if r.activation_us is not None else "",
            f"{r.evaluations:,} in {r.seconds:.1f} s",
        )
    console.print(table)
    console.print(
        "activation µs: preparing one decision's variables (the widest scope) from the sample values,"
        " incl. cel-expr's conversion on first read; raw starts from plain values.",
        highlight=False,
    )
    for note in notes:
        console.print(f"[yellow]{note}[/]", highlight=False)


def ratios(results: Sequence[Result]) -> dict[str, float]:
    """What make bench-check compares (higher is better): serviceflow's interface over
    cel-expr-python used raw, for each backend."""
    by_name = {r.backend: r.per_second for r in results if r.per_second}
    raw = by_name.get("cel-expr raw")
    if not raw:
        return {}
    return {
        f"cel_{name.replace('-', '_')}_vs_cel_expr_raw": by_name[name] / raw
        for name in ("celpy", "cel-expr")
        if name in by_name
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per backend (default 2)")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="JSON instead of a table (to FILE if named)"
    )
    parser.add_argument("--expressions", type=Path, help="one CEL expression per line")
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[REPO / "policies", REPO / "workflows"],
        help="policy set to take expressions from (default: the shipped one)",
    )
    args = parser.parse_args(argv)
    if args.expressions:
        cases, source = file_cases(args.expressions), str(args.expressions)
    else:
        cases, source = policy_cases(args.paths), " ".join(map(str, args.paths))
    if not cases:
        parser.error(f"no expressions in {source}")

    slow, slow_answers = bench_facade("celpy", cases, args.seconds)
    fast, fast_answers = bench_facade("cel-expr", cases, args.seconds)
    results = [slow, fast, bench_raw(cases, args.seconds)]
    notes = [f"skipped by {r.backend}: {s}" for r in results for s in r.skipped]
    if fast_answers:
        notes += [f"backends disagree: {m}" for m in mismatches(cases, slow_answers, fast_answers)]

    info = machine()
    if args.json:
        payload = {
            "machine": info,
            "source": source,
            "expressions": len(cases),
            "unique_expressions": len({case.source for case in cases}),
            "results": [
                {
                    "backend": r.backend,
                    "evaluations_per_second": round(r.per_second, 1),
                    "microseconds_per_evaluation": round(r.us_per_eval, 3),
                    "activation_microseconds": r.activation_us and round(r.activation_us, 2),
                    "evaluations": r.evaluations,
                    "seconds": round(r.seconds, 3),
                    "skipped": r.skipped,
                    "error": r.error,
                }
                for r in results
            ],
            "notes": notes,
            "figures": ratios(results),
        }
        if args.json == "-":
            print(json.dumps(payload, indent=2))
        else:
            report(info, source, len(cases), results, notes)
            Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    else:
        report(info, source, len(cases), results, notes)


if __name__ == "__main__":
    main()
