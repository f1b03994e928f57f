"""The SLA clock: working-hours arithmetic, and the deadlines of a question.

The promise to a network ("answer within 48 working hours") is counted only
inside office hours on working days of a business calendar: by default
Monday–Friday, 09:00–17:00 Europe/London, without the bank holidays of England
and Wales (from the ``holidays`` library). Office hours are wall-clock local
times, so the clock is right on both sides of a change to or from British
Summer Time. Coordinators set office hours, the bank-holiday region and the
warning point in the admin (``SLASettings``).

The clock lives in the Q&A core because lifecycle transitions stop and start
it (a request for clarification pauses it; the adviser's reply resumes it);
the experts app owns what happens when time runs short (reminders, breaches).
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

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


def deadlines(*, submitted_at, sla_hours, paused_seconds, warning_fraction, calendar):
    """(warn_at, due_at) for a question: the promise counted from asking, pushed back by every pause.

    Pauses are measured in working time, so a pause of two working hours moves both moments
    exactly two working hours later.
    """
    paused_hours = paused_seconds / 3600
    return (
        calendar.add_working_hours(submitted_at, sla_hours * warning_fraction + paused_hours),
        calendar.add_working_hours(submitted_at, sla_hours + paused_hours),
    )
