"""The engine's cost per decision across its git history: where did decisions/s go?

For each commit named, a scratch worktree (``git worktree add --detach /tmp/sf-old-<commit>``,
removed again at the end unless it was there before) supplies ``src/`` and that commit's own
``policies/`` and ``workflows/``; bench_engine's workload (from this checkout, the same tickets
for every commit) runs through that commit's ``decide()`` with cel-python in a subprocess.
Reported per commit:

- **Python function calls per decision**, counted by cProfile over one pass: deterministic,
  so it compares commits without the noise of a shared machine;
- CEL evaluations per decision, and expression sites in the policy set;
- decisions/s, the best of ``--passes`` passes (a fresh result cache each), with the commits
  run in alternating order (forwards, then backwards) so that load drifts hit all alike.

``--callgrind`` instead counts the **machine instructions per decision** under valgrind's
callgrind, collecting only inside one pass (wrapped in ``functools.reduce`` so that
``--toggle-collect=functools_reduce`` isolates it from loading the policies): stable to a
fraction of a percent however busy the machine is, and about 80 s per commit for 40 tickets.
A commit may be given as ``engine:policies`` (``f079dca:ace2aaa``: today's engine on the old
policy set) to tell the engine's cost from the policy set's.

``--same`` instead decides bench_engine's workload once per commit (every commit on this
checkout's ``policies/`` and ``workflows/``: a policy set's version names its files' paths) and
prints a digest of every state, action list, decision, wake-up time and evaluation count as
JSON, and beside it a digest of the same without the evaluation counts ("decisions only"):
commits that decide alike, running CEL alike, print the same first digest; commits that decide
alike however often they run CEL (a condition answered in Python instead) the same second one.

Every probe measures the engine as the worker runs it: once the policies are loaded and the
workload is built, ``gc.collect()`` and ``gc.freeze()`` (durable/worker.py's ``freeze_startup``)
take what the process holds out of the collector's full collections; ``--unfrozen`` measures
each commit also without that, in the same run (callgrind and the timed passes).

Run: .venv/bin/python benchmarks/engine_history.py ace2aaa b3f4aef HEAD [--tickets 300]
     .venv/bin/python benchmarks/engine_history.py --same --tickets 200 --backend cel-expr main HEAD
     .venv/bin/python benchmarks/engine_history.py --callgrind --tickets 40 ace2aaa f079dca:ace2aaa
     .venv/bin/python benchmarks/engine_history.py --callgrind --backend cel-expr main HEAD
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

PROBE = r"""
import cProfile, json, pstats, sys, time
sys.path[:0] = [SRC, BENCHMARKS]
from bench_engine import ROSTER, workload
from serviceflow.cel import CelEnvironment, backend_named
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.rules import Rules
from serviceflow.policy import load_policy_set
environment = CelEnvironment(backend=backend_named(BACKEND))
policy_set = load_policy_set([ROOT + "/policies", ROOT + "/workflows"], environment=environment)
inputs = workload(TICKETS)
context = Context(roster=ROSTER)
if FROZEN:  # as the worker does once started (durable/worker.py's freeze_startup)
    import gc
    gc.collect()
    gc.freeze()

def decided(rules):
    # each input's outcome, every ticket's case carried from one input to its next
    states = {}
    for ticket_id, engine_input, now in inputs:
        state = states.get(ticket_id)
        if state is None and not isinstance(engine_input, EventInput):
            continue
        outcome = decide(state, engine_input, now, rules, context)
        states[ticket_id] = outcome.state
        yield outcome

def one_pass():
    return sum(outcome.evaluations for outcome in decided(Rules(policy_set, environment)))

if SAME:
    import hashlib
    # two digests: of everything, CEL evaluation counts included; and of the decisions alone
    # (states, actions, decisions, wake-ups), which an engine that runs CEL less often but
    # decides alike leaves unchanged
    digest, decisions, documents = hashlib.sha256(), hashlib.sha256(), 0
    for outcome in decided(Rules(policy_set, environment)):
        for document in (
            outcome.state.model_dump_json(),
            json.dumps([a.model_dump(mode="json") for a in outcome.actions]),
            outcome.decision.model_dump_json() if outcome.decision else "null",
        ):
            digest.update(document.encode() + b"\n")
            decisions.update(document.encode() + b"\n")
            documents += 1
        digest.update(json.dumps([str(outcome.wake_at), outcome.evaluations]).encode() + b"\n")
        decisions.update(json.dumps([str(outcome.wake_at)]).encode() + b"\n")
        documents += 1
    print(json.dumps({"digest": digest.hexdigest()[:16], "decisions": decisions.hexdigest()[:16],
                      "documents": documents}))
    raise SystemExit(0)
one_pass()
if CALLGRIND:
    import functools
    functools.reduce(lambda _, __: one_pass(), [None], None)  # callgrind collects in here only
    print(json.dumps({"decisions": len(inputs), "expressions": len(policy_set.expressions)}))
    raise SystemExit(0)
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


CREATED: list[Path] = []  # the scratch worktrees this run made, removed at its end


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
        CREATED.append(place)
    return place


def remove_checkouts() -> None:
    for place in CREATED:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(place)], check=False)


def probe(
    place: Path,
    policies: Path,
    tickets: int,
    passes: int,
    callgrind: bool = False,
    backend: str = "celpy",
    keep: Path | None = None,
    same: bool = False,
    frozen: bool = True,
) -> dict[str, Any]:
    code = (
        PROBE.replace("SRC", repr(str(place / "src")))
        .replace("BENCHMARKS", repr(str(HERE)))
        .replace("ROOT", repr(str(policies)))
        .replace("TICKETS", str(tickets))
        .replace("PASSES", str(passes))
        .replace("CALLGRIND", str(callgrind))
        .replace("BACKEND", repr(backend))
        .replace("SAME", str(same))
        .replace("FROZEN", str(frozen))
    )
    command = [sys.executable, "-c", code]
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        if callgrind:
            command = [
                "valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
                f"--callgrind-out-file={out}", *command,
            ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{place}: {done.stderr.strip().splitlines()[-1]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        if callgrind:
            totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
            result["instructions_per_decision"] = int(totals.group(1)) / result["decisions"] if totals else 0
            if keep is not None:
                keep.write_bytes(out.read_bytes())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("commits", nargs="+", help="commits, or engine:policies pairs of commits")
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true", help="instructions per decision under callgrind")
    parser.add_argument("--same", action="store_true", help="a digest of what each commit decides")
    parser.add_argument(
        "--keep", type=Path, help="with --callgrind: keep the last commit's callgrind.out here"
    )
    parser.add_argument("--backend", choices=["celpy", "cel-expr"], default="celpy", help="the CEL backend")
    parser.add_argument(
        "--unfrozen", action="store_true", help="measure each commit also with start-up's objects unfrozen"
    )
    args = parser.parse_args()
    ways = [True, False] if args.unfrozen else [True]  # frozen, and unfrozen
    specs = {spec: tuple(checkout(c) for c in (spec.split(":") + [spec])[:2]) for spec in args.commits}
    if args.same:
        for spec, (engine, policies) in specs.items():
            mine = policies if ":" in spec else REPO
            r = probe(engine, mine, args.tickets, 0, backend=args.backend, same=True)
            print(
                f"{spec:17} {r['digest']}  decisions only {r['decisions']}  "
                f"({r['documents']} documents, {args.backend})",
                flush=True,
            )
        return
    if args.callgrind:
        for spec, (engine, policies) in specs.items():
            for frozen in ways:
                try:
                    r = probe(
                        engine, policies, args.tickets, 0, callgrind=True, backend=args.backend,
                        keep=args.keep, frozen=frozen,
                    )  # fmt: skip
                except RuntimeError as exc:
                    print(f"{spec}: {exc}")
                    continue
                print(
                    f"{spec:17} {r['instructions_per_decision'] / 1e6:7.3f} M instructions/decision  "
                    f"{r['expressions']:3.0f} expressions  ({r['decisions']:.0f} decisions"
                    f"{'' if frozen else ', unfrozen'})",
                    flush=True,
                )
        return
    runs = [(spec, frozen) for spec in specs for frozen in ways]
    rates: dict[str, list[float]] = {spec + ("" if f else " unfrozen"): [] for spec, f in runs}
    found: dict[str, dict[str, float]] = {}
    for order in (runs, list(reversed(runs))):
        for spec, frozen in order:
            engine, policies = specs[spec]
            label = spec + ("" if frozen else " unfrozen")
            try:
                result = probe(
                    engine, policies, args.tickets, args.passes, backend=args.backend, frozen=frozen
                )
            except RuntimeError as exc:
                print(f"{spec}: {exc}")
                continue
            rates[label].append(result["per_second"])
            found[label] = result
    for spec, r in found.items():
        print(
            f"{spec:17} {r['calls_per_decision']:8.0f} calls/decision  "
            f"{r['evaluations_per_decision']:.2f} evaluations/decision  {r['expressions']:3.0f} expressions  "
            f"{max(rates[spec]):7,.0f} decisions/s (best of {len(rates[spec])} runs)"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        remove_checkouts()
