"""The scenario's simulated time: the times people write, read in the policy set's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from serviceflow.engine.rules import Rules
from serviceflow.policy.durations import DurationSyntaxError, parse_duration

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AT = re.compile(r"(?:(next)\s+)?([a-z]+)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


class ScenarioError(Exception):
    """The scenario itself is wrong (a bad step), as opposed to an expectation that failed."""


class SimulatedClock:
    """The scenario's current moment, always held in UTC so that arithmetic on it is real time,
    never wall time (a ``timedelta`` added to a local time across a DST change is 23 or 25 real
    hours for ``24h``); ``zone`` is only for reading and writing the times people write."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.zone = zone
        self.now = now

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)  # an ``at:`` step's moment is a local time

    @classmethod
    def starting(cls, start: datetime, rules: Rules) -> SimulatedClock:
        calendar = rules.defaults.calendar
        zone = rules.calendars[calendar].zone if calendar and calendar in rules.calendars else ZoneInfo("UTC")
        return cls(start, zone)

    def after(self, text: str, rules: Rules) -> datetime:
        try:
            span = parse_duration(text)
        except DurationSyntaxError as exc:
            raise ScenarioError(f"advance: {exc}") from None
        if span.clock.value == "elapsed":
            return self.now + span.delta  # real time, as the engine counts it (BusinessCalendar.deadline)
        return rules.calendar(rules.defaults.calendar).deadline(self.now, span)

    def moment(self, value: datetime | str, what: str = "at") -> datetime:
        """``HH:MM`` (the next one), ``Tuesday 09:00`` (the next Tuesday), or a timestamp."""
        if isinstance(value, datetime):
            return value
        match = _AT.fullmatch(value.strip().lower())
        if not match:
            raise ScenarioError(
                f"{what}: '{value}' is not a time; write e.g. 'Tuesday 09:00', '14:30' or an ISO timestamp"
            )
        day, hour, minute = match.group(2), int(match.group(3)), int(match.group(4))
        second = int(match.group(5) or 0)
        local = self.now.astimezone(self.zone)
        try:
            candidate = local.replace(hour=hour, minute=minute, second=second, microsecond=0)
        except ValueError as exc:  # 25:61: "hour must be in 0..23"
            raise ScenarioError(f"{what}: '{value}' is not a time of day ({exc})") from None
        if day is not None:
            names = [d for d in WEEKDAYS if d.startswith(day)] if len(day) >= 3 else []
            if len(names) != 1:
                raise ScenarioError(f"at: '{day}' is not a weekday")
            ahead = (WEEKDAYS.index(names[0]) - local.weekday()) % 7
            candidate = (candidate + timedelta(days=ahead)).replace(tzinfo=self.zone)
        if candidate.astimezone(UTC) < self.now:
            candidate = candidate + timedelta(days=7 if day else 1)
        return self._local(candidate.date(), candidate.time(), what, value)

    def _local(self, day: date, wall: time, what: str, value: str) -> datetime:
        """``wall`` on ``day`` in the zone: in a DST fold (autumn) the first of the two, as
        zoneinfo's ``fold=0``; a time in a DST gap (spring: the clocks skip it) does not exist,
        and is the step's error rather than an hour moved silently."""
        moment = datetime.combine(day, wall, self.zone)
        if moment.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
            raise ScenarioError(
                f"{what}: '{value}' does not exist on {day} in {self.zone.key}: the clocks skip it "
                "(daylight saving time begins); write a time before or after the change"
            )
        return moment

    def on_this_day(self, value: datetime | str, what: str = "at") -> datetime:
        """In an expectation, a time without a date ("14:00") is on the current simulated day."""
        if isinstance(value, datetime):
            return value
        match = _TIME.fullmatch(value.strip())
        if not match:
            raise ScenarioError(f"{what}: '{value}' is not a time; write HH:MM, HH:MM:SS or an ISO timestamp")
        day = self.now.astimezone(self.zone).date()
        try:
            wall = time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
        except ValueError as exc:  # 99:99: "hour must be in 0..23"
            raise ScenarioError(f"{what}: '{value}' is not a time of day ({exc})") from None
        return self._local(day, wall, what, value)

    @staticmethod
    def precision(value: datetime | str) -> float:
        """A time written with seconds is checked to the second, else to the minute."""
        if isinstance(value, datetime):
            return 1.0 if value.second or value.microsecond else 60.0
        text = value.strip()
        clock = text.split("T")[-1].split(" ")[-1]
        return 1.0 if clock.count(":") >= 2 else 60.0

    def fmt(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        return local.strftime("%a %Y-%m-%d %H:%M" + (":%S" if local.second else ""))
