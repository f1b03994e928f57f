"""The SLA clock: working hours, weekends, bank holidays, clock changes, and the deadlines it sets."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa_site.knowledge.clock import BusinessCalendar, deadlines

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
CALENDAR = BusinessCalendar()


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


# --- Examples -----------------------------------------------------------------------------------------------------


def test_add_working_hours_friday_afternoon_rolls_over_the_weekend():
    # Friday 6 March 2026, 16:00: one hour on Friday, one on Monday.
    assert CALENDAR.add_working_hours(london(2026, 3, 6, 16), 2) == london(2026, 3, 9, 10)


def test_add_working_hours_inside_one_day_stays_on_that_day():
    assert CALENDAR.add_working_hours(london(2026, 3, 10, 9, 30), 7.5) == london(2026, 3, 10, 17)


def test_add_working_hours_question_asked_on_saturday_starts_counting_monday_morning():
    saturday = london(2026, 3, 7, 11, 15)
    assert CALENDAR.add_working_hours(saturday, 0) == london(2026, 3, 9, 9)
    assert CALENDAR.add_working_hours(saturday, 1) == london(2026, 3, 9, 10)
    assert CALENDAR.working_time_between(saturday, london(2026, 3, 9, 9)) == dt.timedelta(0)


def test_add_working_hours_zero_hours_in_the_evening_gives_the_next_opening():
    assert CALENDAR.add_working_hours(london(2026, 3, 10, 20), 0) == london(2026, 3, 11, 9)


def test_add_working_hours_zero_hours_before_opening_gives_that_mornings_opening():
    assert CALENDAR.add_working_hours(london(2026, 3, 10, 7, 45), 0) == london(2026, 3, 10, 9)


def test_add_working_hours_zero_hours_inside_office_hours_is_the_start_itself():
    start = london(2026, 3, 10, 14, 12, 5)
    assert CALENDAR.add_working_hours(start, 0) == start


def test_add_working_hours_zero_hours_at_closing_time_is_closing_time():
    # Where a sum can end (Monday 09:00 + 8 hours), adding nothing more stays put.
    assert CALENDAR.add_working_hours(london(2026, 3, 9, 9), 8) == london(2026, 3, 9, 17)
    assert CALENDAR.add_working_hours(london(2026, 3, 9, 17), 0) == london(2026, 3, 9, 17)
    assert CALENDAR.add_working_hours(london(2026, 3, 9, 17), 0.25) == london(2026, 3, 10, 9, 15)


def test_add_working_hours_48_hours_is_six_working_days():
    assert CALENDAR.add_working_hours(london(2026, 3, 9, 9), 48) == london(2026, 3, 16, 17)
    assert CALENDAR.add_working_hours(london(2026, 3, 9, 12), 48) == london(2026, 3, 17, 12)
    assert CALENDAR.working_time_between(london(2026, 3, 9, 12), london(2026, 3, 17, 12)) == dt.timedelta(hours=48)


def test_holidays_library_has_the_2026_christmas_substitute_day():
    """Christmas Day 2026 is a Friday and Boxing Day a Saturday, so Monday 28 December is the substitute."""
    england = holidays.country_holidays("GB", subdiv="ENG", years=2026)
    assert dt.date(2026, 12, 25).weekday() == 4
    assert dt.date(2026, 12, 26).weekday() == 5
    assert dt.date(2026, 12, 25) in england
    assert dt.date(2026, 12, 26) in england
    assert dt.date(2026, 12, 28) in england
    assert "Boxing Day" in england[dt.date(2026, 12, 28)]
    assert dt.date(2026, 12, 29) not in england


def test_is_working_day_skips_england_and_wales_bank_holidays():
    assert [CALENDAR.is_working_day(dt.date(2026, 12, day)) for day in range(24, 30)] == [
        True,  # Thu 24
        False,  # Fri 25, Christmas Day
        False,  # Sat 26
        False,  # Sun 27
        False,  # Mon 28, Boxing Day (substitute)
        True,  # Tue 29
    ]


def test_add_working_hours_skips_christmas_and_the_substitute_boxing_day():
    assert CALENDAR.add_working_hours(london(2026, 12, 24, 16), 2) == london(2026, 12, 29, 10)
    assert CALENDAR.working_time_between(london(2026, 12, 24, 9), london(2026, 12, 29, 17)) == dt.timedelta(hours=16)


def test_add_working_hours_skips_good_friday_and_easter_monday():
    # Good Friday 3 April and Easter Monday 6 April 2026.
    assert CALENDAR.add_working_hours(london(2026, 4, 2, 16), 2) == london(2026, 4, 7, 10)


def test_add_working_hours_skips_new_years_day():
    # Thursday 31 December 2026, then Friday 1 January 2027 (bank holiday), then the weekend.
    assert CALENDAR.add_working_hours(london(2026, 12, 31, 16), 2) == london(2027, 1, 4, 10)


def test_extra_closed_days_are_skipped():
    calendar = BusinessCalendar(extra_closed_days=frozenset({dt.date(2026, 3, 9)}))
    assert calendar.add_working_hours(london(2026, 3, 6, 16), 2) == london(2026, 3, 10, 10)


def test_spring_clock_change_keeps_office_hours_at_nine_local():
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
    friday_open = CALENDAR.add_working_hours(london(2026, 3, 27, 6), 0)
    monday_open = CALENDAR.add_working_hours(london(2026, 3, 28, 12), 0)
    assert friday_open == london(2026, 3, 27, 9)
    assert friday_open.astimezone(UTC) == dt.datetime(2026, 3, 27, 9, tzinfo=UTC)
    assert monday_open == london(2026, 3, 30, 9)
    assert monday_open.astimezone(UTC) == dt.datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert (monday_open.hour, monday_open.utcoffset()) == (9, dt.timedelta(hours=1))


def test_spring_clock_change_friday_to_monday_counts_real_working_hours():
    due = CALENDAR.add_working_hours(london(2026, 3, 27, 16), 2)
    assert due == london(2026, 3, 30, 10)
    assert due.astimezone(UTC) == dt.datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert CALENDAR.working_time_between(london(2026, 3, 27, 9), london(2026, 3, 30, 17)) == dt.timedelta(hours=16)


def test_autumn_clock_change_keeps_office_hours_at_nine_local():
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026.
    friday_open = CALENDAR.add_working_hours(london(2026, 10, 23, 6), 0)
    monday_open = CALENDAR.add_working_hours(london(2026, 10, 24, 12), 0)
    assert friday_open.astimezone(UTC) == dt.datetime(2026, 10, 23, 8, tzinfo=UTC)
    assert monday_open == london(2026, 10, 26, 9)
    assert monday_open.astimezone(UTC) == dt.datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert (monday_open.hour, monday_open.utcoffset()) == (9, dt.timedelta(0))


def test_autumn_clock_change_friday_to_monday_counts_real_working_hours():
    due = CALENDAR.add_working_hours(london(2026, 10, 23, 16), 2)
    assert due == london(2026, 10, 26, 10)
    assert due.astimezone(UTC) == dt.datetime(2026, 10, 26, 10, tzinfo=UTC)
    assert CALENDAR.working_time_between(london(2026, 10, 23, 9), london(2026, 10, 26, 17)) == dt.timedelta(hours=16)


def test_add_working_hours_accepts_any_timezone_and_answers_in_london_time():
    # 15:00 UTC on Friday 19 June 2026 is 16:00 BST.
    due = CALENDAR.add_working_hours(dt.datetime(2026, 6, 19, 15, tzinfo=UTC), 2)
    assert due == london(2026, 6, 22, 10)
    assert due.tzinfo == LONDON


def test_add_working_hours_naive_start_raises_value_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_working_hours(dt.datetime(2026, 3, 9, 9), 2)


def test_add_working_hours_negative_hours_raise_value_error():
    with pytest.raises(ValueError, match="must not be negative"):
        CALENDAR.add_working_hours(london(2026, 3, 9, 9), -1)


@pytest.mark.parametrize("closes", [dt.time(8, 0), dt.time(9, 0)])
def test_business_calendar_closing_not_after_opening_raises_value_error(closes):
    with pytest.raises(ValueError, match="close after they open"):
        BusinessCalendar(opens=dt.time(9, 0), closes=closes)


def test_business_calendar_without_weekdays_raises_value_error():
    with pytest.raises(ValueError, match="at least one working weekday"):
        BusinessCalendar(weekdays=frozenset())


def test_working_time_between_is_zero_when_end_is_not_after_start():
    start = london(2026, 3, 10, 12)
    assert CALENDAR.working_time_between(start, start) == dt.timedelta(0)
    assert CALENDAR.working_time_between(start, start - dt.timedelta(hours=2)) == dt.timedelta(0)


def test_deadlines_warn_at_three_quarters_and_fall_due_after_the_promised_hours():
    warn, due = deadlines(
        submitted_at=london(2026, 3, 6, 16), sla_hours=48, paused_seconds=0, warning_fraction=0.75, calendar=CALENDAR
    )
    assert (warn, due) == (london(2026, 3, 13, 12), london(2026, 3, 16, 16))


def test_deadlines_move_later_by_exactly_the_pause():
    start = london(2026, 3, 9, 9)
    _, due = deadlines(submitted_at=start, sla_hours=8, paused_seconds=0, warning_fraction=0.75, calendar=CALENDAR)
    _, later = deadlines(
        submitted_at=start, sla_hours=8, paused_seconds=2 * 3600, warning_fraction=0.75, calendar=CALENDAR
    )
    assert (due, later) == (london(2026, 3, 9, 17), london(2026, 3, 10, 11))


# --- Properties ---------------------------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),
    max_value=dt.datetime(2030, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([LONDON, UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]),
)
# Whole seconds up to 400 working hours (ten weeks), as the float hours callers pass.
hours = st.integers(min_value=0, max_value=400 * 3600).map(lambda seconds: seconds / 3600)
# Quarter hours are exact in binary floating point, so h1 + h2 loses nothing.
quarter_hours = st.integers(min_value=0, max_value=400 * 4).map(lambda quarters: quarters / 4)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(start=starts, h=hours)
def test_add_working_hours_is_never_before_the_start(start, h):
    assert CALENDAR.add_working_hours(start, h).astimezone(UTC) >= start.astimezone(UTC)


@PROPERTY_SETTINGS
@given(start=starts, h=hours)
@example(start=london(2026, 3, 27, 16), h=2.0)
@example(start=london(2026, 10, 23, 16), h=2.0)
@example(start=london(2026, 12, 24, 16, 59, 59), h=40.0)
def test_add_working_hours_then_working_time_between_gives_the_hours_back(start, h):
    end = CALENDAR.add_working_hours(start, h)
    elapsed = CALENDAR.working_time_between(start, end)
    assert elapsed == dt.timedelta(hours=h)
    assert round(elapsed.total_seconds()) == round(h * 3600)


@PROPERTY_SETTINGS
@given(start=starts, h1=hours, h2=hours)
def test_add_working_hours_is_monotonic_in_hours(start, h1, h2):
    low, high = sorted([h1, h2])
    assert CALENDAR.add_working_hours(start, low).astimezone(UTC) <= CALENDAR.add_working_hours(start, high).astimezone(
        UTC
    )


@PROPERTY_SETTINGS
@given(start=starts, h1=quarter_hours, h2=quarter_hours)
@example(start=london(2026, 3, 9, 9), h1=8.0, h2=0.0)  # the first leg ends exactly at closing time
@example(start=london(2026, 3, 6, 12), h1=5.0, h2=3.0)
def test_add_working_hours_in_two_steps_equals_adding_the_sum(start, h1, h2):
    in_two_steps = CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, h1), h2)
    at_once = CALENDAR.add_working_hours(start, h1 + h2)
    assert in_two_steps.astimezone(UTC) == at_once.astimezone(UTC)


@PROPERTY_SETTINGS
@given(start=starts, h=hours.filter(lambda h: h > 0))
def test_add_working_hours_lands_inside_office_hours_on_a_working_day(start, h):
    local = CALENDAR.add_working_hours(start, h).astimezone(LONDON)
    assert CALENDAR.is_working_day(local.date())
    assert dt.time(9, 0) < local.time() <= dt.time(17, 0)
