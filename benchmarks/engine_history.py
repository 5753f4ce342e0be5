"""The engine's cost per decision across its git history: where did decisions/s go?

For each commit named, a scratch worktree (``git worktree add --detach /tmp/sf-old-<commit>``)
supplies ``src/`` and that commit's own ``policies/`` and ``workflows/``; bench_engine's
workload (from this checkout, the same tickets for every commit) runs through that commit's
``decide()`` with cel-python in a subprocess. Reported per commit:

- **Python function calls per decision**, counted by cProfile over one pass: deterministic,
  so it compares commits without the noise of a shared machine;
- CEL evaluations per decision, and expression sites in the policy set;
- decisions/s, the best of ``--passes`` passes (a fresh result cache each), with the commits
  run in alternating order (forwards, then backwards) so that load drifts hit all alike.

Run: .venv/bin/python benchmarks/engine_history.py ace2aaa b3f4aef HEAD [--tickets 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

PROBE = r"""
import cProfile, json, pstats, sys, time
sys.path[:0] = [SRC, BENCHMARKS]
from bench_engine import ROSTER, workload
from serviceflow.cel import CelEnvironment
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.rules import Rules
from serviceflow.policy import load_policy_set
environment = CelEnvironment()
policy_set = load_policy_set([ROOT + "/policies", ROOT + "/workflows"], environment=environment)
inputs = workload(TICKETS)
context = Context(roster=ROSTER)

def one_pass():
    rules, states, evaluations = Rules(policy_set, environment), {}, 0
    for ticket_id, engine_input, now in inputs:
        state = states.get(ticket_id)
        if state is None and not isinstance(engine_input, EventInput):
            continue
        outcome = decide(state, engine_input, now, rules, context)
        states[ticket_id] = outcome.state
        evaluations += outcome.evaluations
    return evaluations

one_pass()
best = float("inf")
for _ in range(PASSES):
    started = time.perf_counter()
    evaluations = one_pass()
    best = min(best, time.perf_counter() - started)
profile = cProfile.Profile()
profile.enable()
one_pass()
profile.disable()
calls = pstats.Stats(profile).total_calls
print(json.dumps({"per_second": len(inputs) / best, "calls_per_decision": calls / len(inputs),
                  "evaluations_per_decision": evaluations / len(inputs),
                  "expressions": len(policy_set.expressions), "decisions": len(inputs)}))
"""


def checkout(commit: str) -> Path:
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", commit], capture_output=True, text=True, check=True
    ).stdout.strip()
    place = Path(f"/tmp/sf-old-{sha}")
    if not place.exists():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(place), sha],
            check=True,
            capture_output=True,
        )
    return place


def probe(place: Path, tickets: int, passes: int) -> dict[str, float]:
    code = (
        PROBE.replace("SRC", repr(str(place / "src")))
        .replace("BENCHMARKS", repr(str(HERE)))
        .replace("ROOT", repr(str(place)))
        .replace("TICKETS", str(tickets))
        .replace("PASSES", str(passes))
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{place}: {done.stderr.strip().splitlines()[-1]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    places = {commit: checkout(commit) for commit in args.commits}
    rates: dict[str, list[float]] = {commit: [] for commit in args.commits}
    found: dict[str, dict[str, float]] = {}
    for order in (args.commits, list(reversed(args.commits))):
        for commit in order:
            try:
                result = probe(places[commit], args.tickets, args.passes)
            except RuntimeError as exc:
                print(f"{commit}: {exc}")
                continue
            rates[commit].append(result["per_second"])
            found[commit] = result
    for commit in args.commits:
        if commit not in found:
            continue
        r = found[commit]
        print(
            f"{commit:9} {r['calls_per_decision']:8.0f} calls/decision  "
            f"{r['evaluations_per_decision']:.2f} evaluations/decision  {r['expressions']:3.0f} expressions  "
            f"{max(rates[commit]):7,.0f} decisions/s (best of {len(rates[commit])} runs)"
        )


if __name__ == "__main__":
    main()
