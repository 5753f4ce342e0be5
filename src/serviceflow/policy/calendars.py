"""Business-hours calendars as policy sets write them: weekly hours in a time zone, and holidays."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- calendars -------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def expand_days(spec: str) -> list[str]:
    """``mon-fri`` -> [mon..fri]; ``sat,sun`` -> [sat, sun]; ``fri-mon`` wraps the weekend."""
    days: list[str] = []
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"'{spec}' is not a day or range of days; use e.g. mon-fri, sat, sat,sun")
        start = WEEKDAYS.index(first)
        stop = WEEKDAYS.index(last) if last else start
        days.extend(WEEKDAYS[(start + i) % 7] for i in range((stop - start) % 7 + 1))
    return days


def _check_ranges(value: str | list[str]) -> list[str]:
    ranges = [value] if isinstance(value, str) else value
    for item in ranges:
        match = _RANGE.match(item.replace(" ", ""))
        if not match:
            raise ValueError(f"'{item}' is not a time range; write HH:MM-HH:MM, e.g. 09:00-17:30")
        if match.group(3) == "24" and match.group(4) != "00":
            raise ValueError(f"'{item}': the day ends at 24:00")
        if item.replace(" ", "")[:5] == item.replace(" ", "")[6:]:
            raise ValueError(f"'{item}' is empty; for around the clock write 00:00-24:00")
    return ranges


TimeRanges = Annotated[str | list[str], AfterValidator(_check_ranges)]


class Holiday(_Spec):
    date: date
    name: str = ""


class Calendar(_Spec):
    """Business hours: a weekly schedule in a time zone, with holidays.

    A range that ends before it starts (``22:00-06:00``) runs past midnight into the next day.
    """

    timezone: str = Field(description="An IANA time zone, e.g. Europe/Amsterdam.")
    hours: dict[str, TimeRanges] = Field(
        description="Days (mon-fri, sat, sat,sun) to one or more HH:MM-HH:MM ranges."
    )
    holidays: list[date | Holiday] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'; use an IANA name like Europe/Berlin") from None
        return value

    @field_validator("hours")
    @classmethod
    def _days_once(cls, value: dict[str, TimeRanges]) -> dict[str, TimeRanges]:
        seen: dict[str, str] = {}
        for key in value:
            for day in expand_days(key):
                if day in seen:
                    raise ValueError(f"'{day}' is listed twice (in '{seen[day]}' and '{key}')")
                seen[day] = key
        if not any(_check_ranges(ranges) for ranges in value.values()):
            # What BusinessCalendar refuses to be built from (engine/calendar.py): checked here
            # so that validate, test, the worker, the receiver and a reload all refuse it alike.
            raise ValueError(
                "no open hours; a business-time clock on this calendar would never run: "
                "give at least one day a range, e.g. mon-fri: 09:00-17:00"
            )
        return value
