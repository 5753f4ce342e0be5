"""What a policy change would do to running cases: each case decided again, now, under the old
and under the new rules, and what differs (owner, due times, ladders). Pure, like ``decide``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from serviceflow.engine.decide import decide
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import Context, WakeUp
from serviceflow.engine.people import choose_owner
from serviceflow.engine.rules import Rules
from serviceflow.model import CaseState, TargetState


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    changes: tuple[str, ...]


def _owner_pick(state: CaseState, rules: Rules, context: Context, now: datetime) -> str | None:
    """Who the owner rules would pick for this ticket now (the case keeps its owner)."""
    evaluator = Evaluator(rules.environment, {"ticket": state.ticket, "case": state.view, "now": now})
    kind = state.ticket.kind.value
    matching = [
        p
        for p in rules.policies
        if p.kind == kind and (p.match_reads_event or evaluator.test(p.match, policy=p.name, rule="match"))
    ]
    choice = choose_owner([o for p in matching for o in p.owners], evaluator, context.roster)
    return choice.owner if choice else None


def _shown(target: TargetState, when: datetime | None) -> str:
    return when.isoformat(timespec="minutes") if when else "-"


def case_changes(state: CaseState, old: Rules, new: Rules, now: datetime, context: Context) -> list[str]:
    """What would change for this case if the new rules replaced the old ones now."""
    before = decide(state, WakeUp(), now, old.for_version(state.policy_version) or old, context).state
    after_rules = Rules(new.policy_set, new.environment, previous=old)
    after = decide(state, WakeUp(), now, after_rules, context).state
    changes = []
    if after.policy_version != after_rules.version:
        changes.append(f"keeps policy set version {after.policy_version} (new_cases)")
    if before.owner != after.owner:
        changes.append(f"owner {before.owner} -> {after.owner}")
    picked = (_owner_pick(state, old, context, now), _owner_pick(state, new, context, now))
    if picked[0] != picked[1]:
        changes.append(f"owner rules would pick {picked[1]} (was {picked[0]}); the case keeps {state.owner}")
    earlier = {t.id: t for t in before.targets}
    for target in after.targets:
        was = earlier.get(target.id)
        if was is None:
            continue
        name = f"{target.policy}/{target.name}"
        if was.status != target.status:
            reason = f" ({target.cancel_reason})" if target.cancel_reason else ""
            changes.append(f"{name}: {was.status.value} -> {target.status.value}{reason}")
        elif was.due_at != target.due_at:
            changes.append(f"{name}: due {_shown(was, was.due_at)} -> {_shown(target, target.due_at)}")
        if was.escalation != target.escalation or (
            target.status.value == "breached" and was.next_level_at != target.next_level_at
        ):
            changes.append(
                f"{name}: ladder {was.escalation} next level {_shown(was, was.next_level_at)} -> "
                f"{target.escalation} {_shown(target, target.next_level_at)}"
            )
    return changes


def what_if(
    states: Iterable[CaseState], old: Rules, new: Rules, now: datetime, context: Context | None = None
) -> list[CaseChange]:
    """The running cases a change would touch, each with what would change."""
    found = []
    for state in states:
        changes = case_changes(state, old, new, now, context or Context())
        if changes:
            found.append(CaseChange(state.case_id, tuple(changes)))
    return found
