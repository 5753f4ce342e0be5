"""Time: at-risk warnings, breaches and escalation ladders, fired in time order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from serviceflow.engine.people import resolve
from serviceflow.engine.run_base import RunBase
from serviceflow.model import (
    Action,
    Deferred,
    Notify,
    TargetState,
    TargetStatus,
)


@dataclass
class _Timed:
    time: datetime
    order: int
    action: Action


class Clock(RunBase):
    # -- time ----------------------------------------------------------------------------------

    def _advance(self, until: datetime) -> None:
        """Fire every warning, breach and escalation level due up to ``until``, in time order."""
        timed: list[_Timed] = []
        for target in list(self.state.targets):
            self._advance_target(target, until, timed)
        still_waiting = []
        for deferred in self.state.deferred:
            if deferred.send_at <= until:
                timed.append(_Timed(deferred.send_at, len(timed), deferred.action))
            else:
                still_waiting.append(deferred)
        if len(still_waiting) != len(self.state.deferred):
            self._update(deferred=tuple(still_waiting))
        for item in sorted(timed, key=lambda t: (t.time, t.order)):
            self._emit(item.action)

    def _advance_target(self, target: TargetState, until: datetime, timed: list[_Timed]) -> None:
        original = target
        if target.status is TargetStatus.RUNNING and target.due_at is not None:
            if target.warn_at is not None and not target.warned and target.warn_at <= until:
                if target.warn_at < target.due_at:
                    timed.append(_Timed(target.warn_at, len(timed), self._warning(target)))
                target = target.model_copy(update={"warned": True})
            assert target.due_at is not None  # the copy above changed only ``warned``
            if target.due_at <= until:
                target = target.model_copy(
                    update={
                        "status": TargetStatus.BREACHED,
                        "breached_at": target.due_at,
                        "warned": True,
                        "next_level_at": self._level_time(target, 0, target.due_at),
                    }
                )
                self.notes.append(f"{target.policy}/{target.name}: BREACHED at {self._fmt(target.due_at)}")
        while (
            target.status is TargetStatus.BREACHED
            and target.next_level_at is not None
            and target.next_level_at <= until
        ):
            fired_at = target.next_level_at
            self._escalate(target, fired_at, timed)
            target = target.model_copy(
                update={
                    "level": target.level + 1,
                    "next_level_at": self._level_time(target, target.level + 1, fired_at),
                }
            )
        if target is not original:
            self._replace_target(target)

    def _level_time(self, target: TargetState, level: int, base: datetime) -> datetime | None:
        ladder = self.rules.ladder(target.escalation)
        if ladder is None or level >= len(ladder.levels):
            return None
        span = self.rules.level_delay(target.escalation or "", level)
        if span is None:
            return base
        calendar_name = (
            ladder.levels[level].calendar
            or (target.calendar if span.clock.value != "elapsed" else None)
            or self.rules.defaults.calendar
        )
        calendar = self._calendar(calendar_name if span.clock.value != "elapsed" else None)
        return calendar.deadline(base, span)

    def _responsible(self, target: TargetState) -> str | None:
        return target.assignee or self.state.owner

    def _warning(self, target: TargetState) -> Notify:
        who = self._responsible(target)
        due = f"{self._fmt(target.due_at)}" if target.due_at else "soon"
        return Notify(
            key=self._key(f"warn/{target.id}"),
            reason=(
                f"{target.name} reached {round((target.at_risk or 0) * 100)} % of its time; "
                "only the owner is warned before a breach"
            ),
            policy=target.policy,
            rule=target.name,
            recipients=(who,) if who else (self.rules.fallback.owner,),
            subject=f"At risk: {target.name} on ticket {self.state.ticket.id} is due {due}",
            body=f"{target.detail or target.name} is due {due}.",
        )

    def _escalate(self, target: TargetState, fired_at: datetime, timed: list[_Timed]) -> None:
        ladder = self.rules.ladder(target.escalation)
        if ladder is None:
            return
        level = ladder.levels[target.level]
        wanted = resolve(level.notify, self._responsible(target), self.context.roster)
        if not wanted:
            wanted = [self.rules.fallback.owner]
        cooldown = self.rules.cooldown(target.escalation or "")
        recent = _recently_notified(self.state.notified, f"{target.policy}/{target.name}", fired_at, cooldown)
        recipients = [r for r in wanted if r not in recent]
        if not recipients:
            self.notes.append(f"{target.policy}/{target.name}: level {target.level + 1} skipped (cooldown)")
            return
        action = Notify(
            key=self._key(f"escalate/{target.id}/{target.level + 1}"),
            reason=(
                f"{target.name} breached at {self._fmt(target.breached_at)}; "
                f"escalation level {target.level + 1} of {len(ladder.levels)} ({target.escalation})"
            ),
            policy=target.policy,
            rule=target.name,
            recipients=tuple(recipients),
            subject=f"Breached: {target.name} on ticket {self.state.ticket.id}",
            body=level.message
            or f"{target.detail or target.name} was due {self._fmt(target.breached_at)} and is not met.",
            escalation_level=target.level + 1,
        )
        self._update(
            notified=(
                *self.state.notified,
                *(f"{target.policy}/{target.name}|{r}|{fired_at.isoformat()}" for r in recipients),
            )
        )
        send_at = fired_at
        if level.in_business_hours:
            calendar = self._calendar(level.calendar or target.calendar or self.rules.defaults.calendar)
            send_at = calendar.next_open(fired_at)
        if send_at > self.now:
            self._update(deferred=(*self.state.deferred, Deferred(send_at=send_at, action=action)))
            self.notes.append(
                f"{target.policy}/{target.name}: level {target.level + 1} held until "
                f"{self._fmt(send_at)} (business hours)"
            )
        else:
            timed.append(_Timed(send_at, len(timed), action))


def _recently_notified(notified: Iterable[str], target: str, at: datetime, cooldown: timedelta) -> set[str]:
    recent: set[str] = set()
    for entry in notified:
        name, recipient, when = entry.split("|")
        if name == target and at - datetime.fromisoformat(when) < cooldown:
            recent.add(recipient)
    return recent
