"""Bounded CEL cost (issue 14, point 6): a rule over its budget is a rule error that falls back,
and a decision runs off the event loop, so one costly ticket never holds the other cases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from engine_support import MONDAY, event

from serviceflow.cel import CelEnvironment
from serviceflow.cel.celpy_backend import MAX_ITERATIONS
from serviceflow.cel.types import STRING, list_of
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import EventInput
from serviceflow.engine.offloop import decide_off_loop
from serviceflow.engine.rules import Rules
from serviceflow.errors import CelEvaluationError
from serviceflow.policy import load_policy_set

COSTLY = """\
apiVersion: serviceflow/v1
kind: Policy
name: costly
owner:
  - name: tag-pairs
    when: 'ticket.tags.all(a, ticket.tags.all(b, a == b || a != b))'
    from: [group:frontline]
"""


def test_a_rule_over_its_budget_fails_fast() -> None:
    env = CelEnvironment()
    expression = env.compile("t.all(a, t.all(b, a == b || a != b))", {"t": list_of(STRING)})
    assert expression.evaluate(env.activation({"t": [str(i) for i in range(40)]})) is True
    try:
        expression.evaluate(env.activation({"t": [str(i) for i in range(1000)]}))
    except CelEvaluationError as exc:
        assert f"over its budget of {MAX_ITERATIONS} iterations" in exc.message
    else:
        raise AssertionError("a million iterations ran")


def test_a_costly_ticket_is_a_rule_error_with_the_fallback(write_policies: Callable[..., Path]) -> None:
    rules = Rules(load_policy_set([write_policies({"p.yaml": COSTLY})]))
    many = tuple(f"tag-{i}" for i in range(400))
    outcome = decide(None, EventInput(event=event("created", tags=many)), MONDAY, rules)
    assert outcome.decision is not None
    assert any("costly/tag-pairs: over its budget" in e for e in outcome.decision.errors)
    assert outcome.state.owner == "group:triage"  # the fallback pool owns it
    assert any(a.type == "add_internal_note" and a.policy == "fallback" for a in outcome.actions)


async def test_a_decision_runs_off_the_event_loop(write_policies: Callable[..., Path]) -> None:
    """The loop runs a callback queued behind the decision's task while the decision is still
    going: run on the loop itself, the task's first step would finish the decision first."""
    rules = Rules(load_policy_set([write_policies({"p.yaml": COSTLY})]))
    many = tuple(f"tag-{i}" for i in range(400))
    pending = asyncio.ensure_future(
        decide_off_loop(None, EventInput(event=event("created", tags=many)), MONDAY, rules)
    )
    decision_done_when_loop_ran: list[bool] = []
    asyncio.get_running_loop().call_soon(lambda: decision_done_when_loop_ran.append(pending.done()))
    outcome = await asyncio.wait_for(pending, timeout=60)
    assert decision_done_when_loop_ran == [False], "the loop went on while the decision ran"
    assert outcome.decision is not None and outcome.state.owner == "group:triage"
