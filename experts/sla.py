"""Working-hours arithmetic for the SLA clock.

The promise to a network ("answer within 48 working hours") is counted only
inside office hours on working days of a business calendar: by default
Monday–Friday, 09:00–17:00 Europe/London, without the bank holidays of England
and Wales (from the ``holidays`` library). Office hours are wall-clock local
times, so the clock is right on both sides of a change to or from British
Summer Time.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

_MAX_DAYS = 3660  # ten years of calendar: far beyond any SLA, a guard against bad input


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Europe/London"
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    weekdays: frozenset = frozenset({0, 1, 2, 3, 4})
    holiday_country: str = "GB"
    holiday_subdivision: str = "ENG"
    extra_closed_days: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        if self.closes <= self.opens:
            raise ValueError("Office hours must close after they open.")
        if not self.weekdays:
            raise ValueError("A business calendar needs at least one working weekday.")

    @cached_property
    def tz(self):
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self):
        return holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)

    def is_working_day(self, day):
        return day.weekday() in self.weekdays and day not in self._holidays and day not in self.extra_closed_days

    def _window(self, day):
        """The office hours of ``day`` in UTC, or None on a closed day.

        Sums are done in UTC: Python adds to zoned datetimes in wall-clock time,
        which would be wrong across a daylight-saving change.
        """
        if not self.is_working_day(day):
            return None
        return (
            dt.datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(dt.UTC),
            dt.datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(dt.UTC),
        )

    def add_working_hours(self, start, hours):
        """The moment ``hours`` working hours after ``start`` (an aware datetime)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if hours < 0:
            raise ValueError("hours must not be negative")
        remaining = dt.timedelta(hours=hours)
        cursor = start.astimezone(dt.UTC)
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            window = self._window(day)
            if window is not None:
                begin = max(cursor, window[0])
                # ``<=``: zero hours at closing time is closing time itself, so adding h1 then h2
                # always equals adding h1 + h2 (a sum can end exactly at closing time).
                if begin <= window[1]:
                    available = window[1] - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(self.tz)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("No working time found within ten years; check the business calendar.")

    def working_time_between(self, start, end):
        """Working time between two aware datetimes, as a timedelta (zero if end ≤ start)."""
        if end <= start:
            return dt.timedelta(0)
        last_day = end.astimezone(self.tz).date()
        day = start.astimezone(self.tz).date()
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        total = dt.timedelta(0)
        while day <= last_day:
            window = self._window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total


def default_calendar():
    config = getattr(settings, "SLA_CALENDAR", {})
    return BusinessCalendar(**config)


def due_at(asked_at, sla_hours, calendar=None):
    """When an answer to a question asked at ``asked_at`` is due under a plan of ``sla_hours``."""
    return (calendar or default_calendar()).add_working_hours(asked_at, sla_hours)


ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"
STATE_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", BREACHED: "Breached"}


def state(question, *, now, calendar=None, warning_fraction=None):
    """How an open question stands against its promise: on track, at risk, or breached."""
    calendar = calendar or default_calendar()
    if warning_fraction is None:
        warning_fraction = getattr(settings, "SLA_WARNING_FRACTION", 0.75)
    if question.due_at is not None and now >= question.due_at:
        return BREACHED
    used = calendar.working_time_between(question.submitted_at, now).total_seconds() / 3600
    return AT_RISK if used >= warning_fraction * question.sla_hours else ON_TRACK
