"""Engine throughput: decisions per second over a realistic event mix with the default policy set,
evaluations per decision, and scenario steps per second of `serviceflow policy test`.

Each figure is put beside the raw CEL floor measured in the same run (the shipped expressions
evaluated on prebuilt activations, as bench_cel.py does): with cel-python, a decision's cost in
raw evaluations; with the fast backend, whose evaluations cost little, the engine's own
microseconds per decision (the decision's time less its evaluations at the raw rate).

Run: .venv/bin/python benchmarks/bench_engine.py [--tickets N] [--backend celpy|cel-expr|both]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cel import bench_facade, policy_cases  # noqa: E402
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
    if rules.cache is not None:
        rules.cache.hits = 0
    started = time.perf_counter()
    for ticket_id, engine_input, now in inputs:
        state = states.get(ticket_id)
        if state is None and not isinstance(engine_input, EventInput):
            continue
        outcome = decide(state, engine_input, now, rules, context)  # type: ignore[arg-type]
        states[ticket_id] = outcome.state
        evaluations += outcome.evaluations
        events += isinstance(engine_input, EventInput)
    seconds = time.perf_counter() - started
    return {
        "decisions": len(inputs),
        "seconds": seconds,
        "per_second": len(inputs) / seconds,
        "evaluations_per_event": evaluations / max(events, 1),
        "evaluations_per_decision": evaluations / len(inputs),
        "cache_hits_per_event": (rules.cache.hits if rules.cache else 0) / max(events, 1),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--backend", choices=["celpy", "cel-expr", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=20, help="Scenario suite repetitions.")
    args = parser.parse_args()
    inputs = workload(args.tickets)
    print(f"# bench_engine - {describe()}")
    print(f"workload: {args.tickets} tickets, {len(inputs)} inputs (events and wake-ups)")
    backends = ["celpy", "cel-expr"] if args.backend == "both" else [args.backend]
    cases = policy_cases([REPO / "policies", REPO / "workflows"])
    for name in backends:
        raw, _ = bench_facade(name, cases, 1.0)  # the floor, in this run
        try:
            environment = CelEnvironment(backend=backend_named(name))
            policy_set = load_policy_set([REPO / "policies", REPO / "workflows"], environment=environment)
            rules = Rules(policy_set, environment)
        except Exception as exc:  # the fast backend is optional
            print(f"{name:9} unavailable: {exc}")
            continue
        result = bench_decisions(rules, inputs)
        print(
            f"{name:9} {result['per_second']:9,.0f} decisions/s  "
            f"({result['evaluations_per_event']:.2f} CEL evaluations and "
            f"{result['cache_hits_per_event']:.2f} cached results per event; "
            f"{result['evaluations_per_decision']:.2f} evaluations per decision incl. wake-ups)"
        )
        if raw.per_second:
            per_decision_us = 1e6 / result["per_second"]
            own_us = per_decision_us - result["evaluations_per_decision"] * raw.us_per_eval
            print(
                f"{'':9} raw {name}: {raw.per_second:9,.0f} evaluations/s ({raw.us_per_eval:.1f} µs); "
                f"a decision costs {raw.per_second / result['per_second']:.1f} raw evaluations "
                f"({per_decision_us:.0f} µs, of which the engine's own {own_us:.0f} µs)"
            )
        if name == "celpy":
            uncached = Rules(policy_set, environment)
            uncached.cache = None
            bare = bench_decisions(uncached, inputs)
            print(
                f"{'':9} {bare['per_second']:9,.0f} decisions/s without the result cache "
                f"({bare['evaluations_per_event']:.2f} CEL evaluations per event)"
            )
            scenario = bench_scenarios(rules, args.rounds)
            print(
                f"{'':9} policy test: {scenario['per_second']:9,.0f} scenario steps/s "
                f"({scenario['scenarios']} scenario runs, {scenario['steps']} steps)"
            )


if __name__ == "__main__":
    main()
