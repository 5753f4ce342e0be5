"""Engine throughput: decisions per second over a realistic event mix with the default policy set,
as a ratio of raw CEL evaluation of the same expressions in the same run; evaluations per
decision; the engine's own cost per decision; scenario steps per second of `serviceflow policy test`.

The floor is the policy set's own expressions (every expression site in policies/ and
workflows/), each compiled once and evaluated on its scope's sample values with a prebuilt
activation, through serviceflow.cel with the same backend: what CEL costs without the engine.
Rounds alternate an engine pass over the workload (a fresh result cache each time) with one second
of raw evaluations; the ratio (decisions/s over raw evaluations/s) is the median of the rounds'.
The engine's own cost per decision is its time per decision less its evaluations per decision at
the raw cost of one; printed also from the process's CPU time per pass (the median round's),
which leaves out the time a loaded machine made the process wait for a core.

The engine is measured as the worker runs it: once the policies are loaded and the workload is
built, what the process holds is frozen out of the cyclic collector (``gc.collect()`` and
``gc.freeze()``, as durable/worker.py's ``freeze_startup``), so that a full collection during a
pass walks what the decisions made, not the ~125,000 objects of start-up. ``--unfrozen`` also
runs every round unfrozen (``gc.unfreeze()``), paired with the frozen pass in the same process,
and prints both.

Run: .venv/bin/python benchmarks/bench_engine.py [--tickets N] [--backend celpy|cel-expr|both]
     [--rounds 3] [--unfrozen] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cel import policy_cases, timed  # noqa: E402
from machine import describe  # noqa: E402

from serviceflow.cel import CelEnvironment, backend_named  # noqa: E402
from serviceflow.engine.decide import decide  # noqa: E402
from serviceflow.engine.inputs import Context, EngineInput, EventInput, WakeUp  # noqa: E402
from serviceflow.engine.rules import Rules  # noqa: E402
from serviceflow.model import (  # noqa: E402
    Actor,
    ActorRole,
    Agent,
    EventKind,
    Requester,
    Roster,
    Ticket,
    TicketEvent,
)
from serviceflow.policy import load_policy_set  # noqa: E402
from serviceflow.scenarios.suite import load_scenarios, run_suite  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
ROSTER = Roster(
    agents=tuple(
        Agent(id=f"a{i}", groups=("frontline" if i % 3 else "billing",), lead="lead", open_cases=i)
        for i in range(12)
    )
    + (Agent(id="lead", groups=("leads",), lead="boss"), Agent(id="key-accounts-lead"))
)

# A ticket's life, as (minutes after creation, event kind, role, ticket changes, body).
LIFE = [
    (0, "created", "customer", {}, "My order arrived broken"),
    (35, "agent_reply", "agent", {"status": "open"}, "Sorry to hear that"),
    (50, "internal_note", "agent", {}, "checked with the warehouse"),
    (120, "customer_message", "customer", {}, "When will the new one ship?"),
    (150, "fields_changed", "agent", {"tags": ("refund_approved",)}, ""),
    (180, "agent_reply", "agent", {"status": "pending"}, "Could you send a photo?"),
    (1500, "customer_message", "customer", {"status": "open"}, "Here it is"),
    (1560, "internal_note", "agent", {}, "#promise refund within 5 business days"),
    (1600, "agent_reply", "agent", {"status": "solved"}, "Refunded, sorry again"),
]


SUBJECTS = [
    "Order {n} arrived broken", "Charged twice for order {n}", "Where is my parcel {n}?",
    "Invoice {n} is wrong", "Cannot log in", "Refund for order {n}", "Change my address",
    "Cancel subscription {n}", "Question about warranty", "Complaint about delivery {n}",
]  # fmt: skip
TAGS = ["billing", "vip", "warranty", "delivery", "newsletter", "returns", "de", "fr"]


def workload(tickets: int, seed: int = 7) -> list[tuple[str, EngineInput, datetime]]:
    """Every ticket's events plus a wake-up after each, in time order.

    Tickets differ as real ones do (subjects, tags, priorities, channels, bodies, timing), so
    that the result cache only helps where real traffic would let it.
    """
    rng = random.Random(seed)
    inputs: list[tuple[str, EngineInput, datetime]] = []
    for n in range(tickets):
        opened = START + timedelta(minutes=rng.randint(0, 60 * 24 * 5))
        ticket = Ticket(
            id=str(n), vendor="zendesk", account="bench",
            subject=rng.choice(SUBJECTS).format(n=n),
            priority=rng.choices(["low", "normal", "high", "urgent"], [2, 6, 2, 1])[0],
            channel=rng.choices(["email", "web", "phone", "chat", "api"], [5, 3, 2, 2, 1])[0],
            requester=Requester(id=f"c{n}", email=f"c{n}@customer{n % 50}.example"),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
            created_at=opened, updated_at=opened,
        )  # fmt: skip
        for index, (minutes, kind, role, changes, body) in enumerate(LIFE):
            if index and rng.random() < 0.15:
                continue  # not every ticket lives every step
            at = opened + timedelta(minutes=minutes + rng.randint(0, 90))
            body = f"{body} (ticket {n}, note {rng.randint(0, 10**6)})" if body else body
            if "tags" in changes:
                changes = {**changes, "tags": ticket.tags + changes["tags"]}
            ticket = Ticket.model_validate({**ticket.model_dump(), **changes, "updated_at": at})
            event = TicketEvent(
                id=f"{n}-{index}", kind=EventKind(kind), time=at,
                actor=Actor(role=ActorRole(role), id="a1" if role == "agent" else f"c{n}"),
                ticket=ticket, body=body,
            )  # fmt: skip
            inputs.append((str(n), EventInput(event=event), at))
            inputs.append((str(n), WakeUp(), at + timedelta(minutes=20)))
    inputs.sort(key=lambda item: item[2])
    return inputs


def bench_decisions(rules: Rules, inputs: list[tuple[str, EngineInput, datetime]]) -> dict[str, float]:
    states: dict[str, object] = {}
    context = Context(roster=ROSTER)
    evaluations = 0
    events = 0
    cache = getattr(rules, "cache", None)
    if cache is not None:
        cache.hits = 0
    started, cpu = time.perf_counter(), time.process_time()
    for ticket_id, engine_input, now in inputs:
        state = states.get(ticket_id)
        if state is None and not isinstance(engine_input, EventInput):
            continue
        outcome = decide(state, engine_input, now, rules, context)  # type: ignore[arg-type]
        states[ticket_id] = outcome.state
        evaluations += outcome.evaluations
        events += isinstance(engine_input, EventInput)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {
        "decisions": len(inputs),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "per_second": len(inputs) / seconds,
        "evaluations_per_event": evaluations / max(events, 1),
        "evaluations_per_decision": evaluations / len(inputs),
        "cache_hits_per_event": (cache.hits if cache else 0) / max(events, 1),
    }


def raw_evaluations(environment: CelEnvironment, budget: float) -> float:
    """Evaluations per second of the policy set's own expressions, alone: each compiled once and
    evaluated on its scope's sample values with a prebuilt activation (no engine, no cache)."""
    cases = policy_cases([REPO / "policies", REPO / "workflows"])
    activations: dict[tuple[str, ...], Any] = {}
    runnable = []
    for case in cases:
        key = tuple(sorted(case.values))
        if key not in activations:
            activations[key] = environment.activation(case.values)
        expression = environment.compile(case.source, case.variables)
        try:
            expression.evaluate(activations[key])
        except Exception:  # fails on the samples: not timed (bench_cel reports these)
            continue
        runnable.append((expression, activations[key]))

    def one_pass() -> int:
        for expression, activation in runnable:
            expression.evaluate(activation)
        return len(runnable)

    done, seconds = timed(budget, one_pass)
    return done / seconds


def collector(frozen: bool) -> None:
    """Start-up's objects out of the collector's reach (as the worker's ``freeze_startup``), or
    back in its oldest generation."""
    if frozen:
        gc.collect()
        gc.freeze()
    else:
        gc.unfreeze()


def own_cost(passes: list[dict[str, float]], rate: float, raw: float) -> tuple[float, float]:
    """The engine's own µs per decision, from the wall clock and from the CPU time (median pass)."""
    per_decision = passes[-1]["evaluations_per_decision"]
    # On a shared machine the wall clock also counts the time the process waited for a core,
    # which CPU time leaves out.
    cpu = statistics.median(p["cpu_seconds"] / p["decisions"] for p in passes)
    return 1e6 * (1 / rate - per_decision / raw), 1e6 * (cpu - per_decision / raw)


def bench_backend(
    name: str, inputs: list[tuple[str, EngineInput, datetime]], rounds: int, unfrozen: bool = False
) -> dict[str, Any]:
    """Alternating rounds of the engine over the workload (a fresh result cache each round) and
    of the raw evaluations of the same expressions; the ratio is taken round by round. Frozen
    (see the module's docstring); with ``unfrozen``, each round runs an unfrozen pass too."""
    environment = CelEnvironment(backend=backend_named(name))
    policy_set = load_policy_set([REPO / "policies", REPO / "workflows"], environment=environment)
    collector(frozen=True)
    bench_decisions(Rules(policy_set, environment), inputs[: len(inputs) // 10])  # warm up
    passes: list[dict[str, float]] = []
    loose: list[dict[str, float]] = []  # the unfrozen passes
    raws: list[float] = []
    for round_number in range(rounds):
        engine_first = round_number % 2 == 0
        if not engine_first:
            raws.append(raw_evaluations(environment, 1.0))
        for frozen in (True, False)[: 1 + unfrozen][:: 1 if engine_first else -1]:
            collector(frozen)
            (passes if frozen else loose).append(bench_decisions(Rules(policy_set, environment), inputs))
        collector(frozen=True)
        if engine_first:
            raws.append(raw_evaluations(environment, 1.0))
    ratios = [p["per_second"] / raw for p, raw in zip(passes, raws, strict=True)]
    ratio = statistics.median(ratios)
    rate = statistics.median(p["per_second"] for p in passes)
    raw = statistics.median(raws)
    own_us, own_cpu_us = own_cost(passes, rate, raw)
    result = {
        "backend": name,
        "decisions_per_second": rate,
        "raw_evaluations_per_second": raw,
        "ratio": ratio,
        "ratios": ratios,
        "own_microseconds_per_decision": own_us,
        "own_cpu_microseconds_per_decision": own_cpu_us,
        **{key: passes[-1][key] for key in ("evaluations_per_event", "evaluations_per_decision")},
        "cache_hits_per_event": passes[-1]["cache_hits_per_event"],
        "policy_set": policy_set,
        "environment": environment,
    }
    if loose:
        loose_rate = statistics.median(p["per_second"] for p in loose)
        result["unfrozen"] = (loose_rate, *own_cost(loose, loose_rate, raw))
    return result


def bench_scenarios(rules: Rules, rounds: int) -> dict[str, float]:
    scenarios, problems = load_scenarios([REPO / "policies"])
    assert not problems, problems
    steps = sum(len(s.scenario.steps) for s in scenarios) * rounds
    started = time.perf_counter()
    for _ in range(rounds):
        suite = run_suite(scenarios, rules)
        assert suite.failed == 0
    seconds = time.perf_counter() - started
    return {"scenarios": len(scenarios) * rounds, "steps": steps, "per_second": steps / seconds}


def celpy_extras(
    result: dict[str, Any], inputs: list[tuple[str, EngineInput, datetime]], rounds: int
) -> None:
    """cel-python without the result cache, and `policy test`'s scenario steps per second."""
    uncached = Rules(result["policy_set"], result["environment"])
    uncached.cache = None
    bare = bench_decisions(uncached, inputs)
    print(
        f"{'':9} {bare['per_second']:9,.0f} decisions/s without the result cache "
        f"({bare['evaluations_per_event']:.2f} CEL evaluations per event)"
    )
    if rounds:
        scenario = bench_scenarios(Rules(result["policy_set"], result["environment"]), rounds)
        print(
            f"{'':9} policy test: {scenario['per_second']:9,.0f} scenario steps/s "
            f"({scenario['scenarios']} scenario runs, {scenario['steps']} steps)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--backend", choices=["celpy", "cel-expr", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per backend")
    parser.add_argument("--scenario-rounds", type=int, default=20, help="policy test repetitions (0: none)")
    parser.add_argument(
        "--unfrozen", action="store_true", help="also measure each round with start-up's objects unfrozen"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file (make bench-check)")
    args = parser.parse_args()
    inputs = workload(args.tickets)
    print(f"# bench_engine - {describe()}")
    print(
        f"workload: {args.tickets} tickets, {len(inputs)} inputs (events and wake-ups); "
        f"{args.rounds} rounds; start-up's objects frozen out of the collector once loaded, as in the worker"
        + (" (and unfrozen, paired)" if args.unfrozen else "")
    )
    backends = ["celpy", "cel-expr"] if args.backend == "both" else [args.backend]
    figures: dict[str, float] = {}  # ratios, higher is better: what make bench-check compares
    context: dict[str, float] = {}
    for name in backends:
        try:
            result = bench_backend(name, inputs, args.rounds, args.unfrozen)
        except Exception as exc:  # the fast backend is optional
            print(f"{name:9} unavailable: {exc}")
            continue
        print(
            f"{name:9} {result['decisions_per_second']:9,.0f} decisions/s = {result['ratio']:.3f}x the raw "
            f"evaluation rate of the same expressions ({result['raw_evaluations_per_second']:,.0f}/s; "
            f"rounds {', '.join(f'{r:.3f}' for r in result['ratios'])}): a decision costs "
            f"{1 / result['ratio']:.1f} evaluations' time"
        )
        print(
            f"{'':9} {result['evaluations_per_event']:.2f} CEL evaluations and "
            f"{result['cache_hits_per_event']:.2f} cached results per event; "
            f"{result['evaluations_per_decision']:.2f} evaluations per decision incl. wake-ups; the "
            f"engine's own cost: {result['own_microseconds_per_decision']:.0f} µs per decision "
            f"({result['own_cpu_microseconds_per_decision']:.0f} µs of CPU time)"
        )
        if "unfrozen" in result:
            rate, own, own_cpu = result["unfrozen"]
            print(
                f"{'':9} unfrozen: {rate:9,.0f} decisions/s; the engine's own cost {own:.0f} µs per "
                f"decision ({own_cpu:.0f} µs of CPU time)"
            )
        key = name.replace("-", "_")
        figures[f"engine_{key}_vs_raw_cel"] = result["ratio"]
        context[f"engine_{key}_decisions_per_second"] = result["decisions_per_second"]
        context[f"engine_{key}_own_us_per_decision"] = result["own_microseconds_per_decision"]
        context[f"engine_{key}_own_cpu_us_per_decision"] = result["own_cpu_microseconds_per_decision"]
        if name == "celpy":
            celpy_extras(result, inputs, args.scenario_rounds)
        # The next backend runs with this one's policy set, environment and caches let go, as a
        # worker runs one backend: kept, they lengthened every full collection of its passes.
        del result
        gc.unfreeze()  # this backend's objects were frozen with the rest: let them be collected
        gc.collect()
    if args.json:
        args.json.write_text(
            json.dumps({"machine": describe(), "figures": figures, "context": context}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
