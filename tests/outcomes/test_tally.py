"""tally(): breach rates, distributions and counts, against numbers worked out by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from outcomes_support import MONDAY, hours

from serviceflow.outcomes import Dimension, Outcome, OutcomeKind, select, tally
from serviceflow.outcomes.tally import percentile

K = OutcomeKind


def row(
    case: str,
    kind: OutcomeKind,
    at_hours: float,
    *,
    target: str | None = "reply",
    policy: str | None = "simple",
    team: str | None = "frontline",
    agent: str | None = "cat",
    started_hours: float | None = 0.0,
    level: int | None = None,
    detail: str = "",
    would_have: bool = False,
    key: str | None = None,
) -> Outcome:
    target_id = f"{policy}/{target}#1" if target else None
    return Outcome(
        key=key or f"{case}|{kind.value}|{target_id}|{level}|{detail}",
        decision=f"{case}@x",
        case_id=case,
        vendor="demo",
        account="demo",
        ticket_id=case,
        policy=policy,
        target=target,
        target_id=target_id,
        team=team,
        agent=agent,
        kind=kind,
        level=level,
        at=MONDAY + hours(at_hours),
        started_at=MONDAY + hours(started_hours) if started_hours is not None else None,
        would_have=would_have,
        detail=detail,
    )


def case_wide(case: str, kind: OutcomeKind, at_hours: float, team: str = "frontline") -> Outcome:
    return row(case, kind, at_hours, target=None, policy=None, team=team)


#: Five cases. Targets: c1 met; c2 breached; c3 breached then met late (counts as breached);
#: c4 met (team billing, agent dan); c5 urgent/first met. First responses after 0.5, 1, 1.5, 3
#: and 6 hours; resolutions after 1 and 24 hours.
ROWS = [
    row("c1", K.TARGET_MET, 1),
    row("c2", K.TARGET_BREACHED, 2),
    row("c3", K.TARGET_BREACHED, 2),
    row("c3", K.TARGET_MET_LATE, 3),
    row("c4", K.TARGET_MET, 1, team="billing", agent="dan"),
    row("c5", K.TARGET_MET, 0.5, policy="urgent", target="first"),
    row("c2", K.WARNING_SENT, 1.5),
    row("c2", K.ESCALATION, 2, level=1),
    row("c3", K.ESCALATION, 2, level=1),
    row("c3", K.ESCALATION, 3, level=2),
    row("c1", K.PROMISE_KEPT, 5, target="refund"),
    row("c2", K.PROMISE_MISSED, 26, target="refund"),
    row("c4", K.PROMISE_KEPT, 6, target="refund", team="billing", agent="dan"),
    case_wide("c1", K.FIRST_RESPONSE, 0.5),
    case_wide("c2", K.FIRST_RESPONSE, 6),
    case_wide("c3", K.FIRST_RESPONSE, 3),
    case_wide("c4", K.FIRST_RESPONSE, 1, team="billing"),
    case_wide("c5", K.FIRST_RESPONSE, 1.5),
    case_wide("c1", K.RESOLVED, 1),
    case_wide("c2", K.RESOLVED, 24),
    case_wide("c1", K.REPEAT_CONTACT, 4),
    row("q1", K.QUARANTINE_REVIEWED, 2, policy="quarantine", target="review"),
    row("q2", K.QUARANTINE_REVIEWED_LATE, 5, policy="quarantine", target="review"),
    row("c1", K.ACTION_DONE, 0, target="desk", detail="assign_owner", started_hours=None),
    row("c2", K.ACTION_DONE, 2, detail="notify", level=1, started_hours=None),
    row("c2", K.ACTION_WOULD_HAVE, 2, detail="notify", would_have=True, started_hours=None),
]


def rates(dimension: Dimension) -> dict[str, tuple[int, int, int, float]]:
    return {r.name: (r.met, r.met_late, r.breached, r.rate) for r in tally(select(ROWS)).rates_by(dimension)}


def test_breach_rate_per_target_policy_team_and_agent() -> None:
    assert rates(Dimension.TARGET) == {"simple/reply": (2, 1, 2, 0.5), "urgent/first": (1, 0, 0, 0.0)}
    assert rates(Dimension.POLICY) == {"simple": (2, 1, 2, 0.5), "urgent": (1, 0, 0, 0.0)}
    assert rates(Dimension.TEAM) == {"billing": (1, 0, 0, 0.0), "frontline": (2, 1, 2, 0.5)}
    assert rates(Dimension.AGENT) == {"cat": (2, 1, 2, 0.5), "dan": (1, 0, 0, 0.0)}


def test_distributions_by_nearest_rank() -> None:
    counted = tally(select(ROWS))
    # first responses 1800, 3600, 5400, 10800, 21600 s: p50 is the 3rd, p90 the 5th
    assert counted.first_response.model_dump() == {"count": 5, "p50": 5400.0, "p90": 21600.0, "max": 21600.0}
    # resolutions 3600, 86400 s: p50 the 1st, p90 the 2nd
    assert counted.resolution.model_dump() == {"count": 2, "p50": 3600.0, "p90": 86400.0, "max": 86400.0}
    assert percentile([], 0.5) is None and percentile([7.0], 0.9) == 7.0


def test_counts() -> None:
    counted = tally(select(ROWS))
    assert (counted.promises_kept, counted.promises_missed) == (2, 1)
    assert counted.repeat_contacts == 1
    assert (counted.quarantine_in_time, counted.quarantine_late) == (1, 1)
    assert counted.warnings == 1
    assert counted.escalations == {1: 2, 2: 1}
    assert counted.actions == {"assign_owner": 1, "notify": 1}
    assert counted.cases == 7


def test_select_by_time_team_policy_and_shadow() -> None:
    assert tally(select(ROWS, team="billing")).cases == 1
    urgent = select(ROWS, policy="urgent")
    assert {(r.case_id, r.kind) for r in urgent} == {("c5", K.TARGET_MET), ("c5", K.FIRST_RESPONSE)}
    late = select(ROWS, since=MONDAY + hours(5))
    assert {r.kind for r in late} == {
        K.FIRST_RESPONSE,
        K.PROMISE_KEPT,
        K.PROMISE_MISSED,
        K.RESOLVED,
        K.QUARANTINE_REVIEWED_LATE,
    }
    shadow = tally(select(ROWS, would_have=True))
    assert shadow.actions == {"notify": 1} and shadow.rows == 1


def test_a_row_recorded_twice_counts_once() -> None:
    assert tally(ROWS + ROWS[:5]) == tally(ROWS)
    earlier = ROWS[0].model_copy(update={"at": MONDAY})  # the same fact, seen earlier: the earliest wins
    assert tally([ROWS[0], earlier]).rows == 1


KINDS = sorted(OutcomeKind, key=str)


@st.composite
def outcome_rows(draw: st.DrawFn) -> list[Outcome]:
    found = []
    for i in range(draw(st.integers(0, 30))):
        case = draw(st.sampled_from(["a", "b", "c", "d"]))
        kind = draw(st.sampled_from(KINDS))
        found.append(
            row(
                case,
                kind,
                draw(st.floats(0, 100)),
                target=draw(st.sampled_from(["reply", "next"])),
                team=draw(st.sampled_from(["t1", "t2", None])),
                agent=draw(st.sampled_from(["x", "y", None])),
                level=draw(st.integers(1, 3)) if kind is K.ESCALATION else None,
                key=f"k{draw(st.integers(0, 12))}" if draw(st.booleans()) else f"u{i}",
            )
        )
    return found


@settings(max_examples=100, deadline=None)
@given(outcome_rows(), st.randoms(use_true_random=False))
def test_the_tally_is_the_same_in_any_order_and_rates_add_up(rows: list[Outcome], rnd: object) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    counted = tally(rows)
    assert tally(shuffled) == counted == tally(rows + shuffled)
    totals = {d: sum(r.settled for r in counted.rates_by(d)) for d in Dimension}
    assert len(set(totals.values())) <= 1  # every dimension splits the same settled instances
    for rate in counted.rates:
        assert 0.0 <= rate.rate <= 1.0 and rate.met_late <= rate.breached
    for dist in (counted.first_response, counted.resolution):
        if dist.count:
            assert dist.p50 is not None and dist.p90 is not None and dist.max is not None
            assert dist.p50 <= dist.p90 <= dist.max
    assert counted.rows == len({r.key for r in rows})


def test_teams_and_agents_are_named_as_the_roster_named_them_last() -> None:
    named = [
        ROWS[0].model_copy(update={"agent_name": "Cat Old", "team_name": "Front"}),
        ROWS[1].model_copy(update={"agent_name": "Cat Stevens", "at": ROWS[1].at}),
        *ROWS[2:],
    ]
    counted = tally(select(named))
    agents = {r.name: r.shown for r in counted.rates_by(Dimension.AGENT)}
    assert agents == {"cat": "Cat Stevens (cat)", "dan": "dan"}
    assert {r.name: r.shown for r in counted.rates_by(Dimension.TEAM)}["frontline"] == "Front (frontline)"
