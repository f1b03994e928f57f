"""The value report: what a network's subscription did for its members, by London month, for the last 12 months
or the months its admin chooses (``from`` and ``to``, at most 36 months); on the page, as CSV, and as a PDF to send
to funders.

Three queries however much history there is: questions asked per month (counted in the database), the answered
questions' (month, SLA met, working hours) rows (median and 90th percentile in Python), and usage counts summed
per month and kind.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from experts import stats
from experts.stats import LONDON
from qa_site import charts
from qa_site.exports import csv_response
from qa_site.knowledge.models import Question
from subscriptions.models import UsageCount

MONTHS = 12
MAX_MONTHS = 36
EARLIEST = dt.date(2000, 1, 1)
USAGE_KINDS = {
    UsageCount.Kind.ANSWER_READ: "answers_read",
    UsageCount.Kind.DEFLECTION: "deflections",
    UsageCount.Kind.WIDGET_VIEW: "widget_views",
}


@dataclass
class Row:
    """One month's numbers, or (``month`` None) the whole report's."""

    month: dt.date | None
    label: str
    asked: int = 0
    answered: int = 0
    met: int = 0
    answers_read: int = 0
    deflections: int = 0
    widget_views: int = 0
    hours: list = field(default_factory=list, repr=False)

    @property
    def met_percent(self):
        return round(100 * self.met / self.answered, 1) if self.answered else None

    @property
    def median_hours(self):
        return percentile(self.hours, 50)

    @property
    def p90_hours(self):
        return percentile(self.hours, 90)


@dataclass
class Report:
    network: object
    rows: list  # oldest month first
    total: Row

    @property
    def start(self):
        return self.rows[0].month

    @property
    def end(self):
        """The last day of the report's last month."""
        return _add_months(self.rows[-1].month, 1) - dt.timedelta(days=1)

    @property
    def has_activity(self):
        total = self.total
        return any((total.asked, total.answered, total.answers_read, total.deflections, total.widget_views))


def percentile(values, p):
    """The ``p``th percentile of ``values`` by linear interpolation between closest ranks (the median at 50), to
    one decimal place; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_starts(today=None, months=MONTHS):
    """The first days of the last ``months`` London months, this one included, oldest first."""
    this_month = (today or timezone.localdate()).replace(day=1)
    return [_add_months(this_month, -back) for back in range(months - 1, -1, -1)]


def _month_of(value):
    """A TruncMonth result (an aware datetime in London, or a date) as the month's first day."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, LONDON).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


@dataclass(frozen=True)
class Period:
    """The report's months: ``months`` London months from ``first`` (the first day of the first), or an error."""

    first: dt.date | None
    months: int
    error: str = ""

    @property
    def query(self):
        """``from`` and ``to`` for a link to the same period."""
        if self.first is None:
            return {}
        return {"from": f"{self.first:%Y-%m}", "to": f"{_add_months(self.first, self.months - 1):%Y-%m}"}


def _parse_month(value):
    """The first day of the month in ``YYYY-MM`` (or a date ``YYYY-MM-DD`` in it); None for anything else."""
    value = value.strip()
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        if len(value) == 10:
            return dt.date.fromisoformat(value).replace(day=1)
    except ValueError:
        return None
    return None


def parse_period(params, today=None):
    """The Period asked for by a query string's ``from`` and ``to`` (months, ``YYYY-MM``; either may be left out).

    Neither: the last 12 months. Only ``to``: the 12 months ending then. Only ``from``: 12 months from then, or up to
    this month if that is sooner. A Period with ``error`` (and no months) says what is wrong.
    """
    this_month = (today or timezone.localdate()).replace(day=1)
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if not raw_from and not raw_to:
        return Period(_add_months(this_month, 1 - MONTHS), MONTHS)
    first = _parse_month(raw_from) if raw_from else None
    last = _parse_month(raw_to) if raw_to else None
    if (raw_from and first is None) or (raw_to and last is None):
        return Period(None, 0, "Write the months as year and month, for example 2025-04.")
    if last is None:
        last = min(_add_months(first, MONTHS - 1), this_month)
    if first is None:
        first = _add_months(last, 1 - MONTHS)
    if first < EARLIEST:
        return Period(None, 0, f"The report starts in {EARLIEST:%B %Y} at the earliest.")
    if last > this_month:
        return Period(
            None, 0, f"The report can end in {this_month:%B %Y} at the latest: later months have no figures yet."
        )
    if first > last:
        return Period(None, 0, "The first month must not be after the last month.")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_MONTHS:
        return Period(None, 0, f"Choose at most {MAX_MONTHS} months: from and to are {months} months apart.")
    return Period(first, months)


def value_report(network, *, today=None, months=MONTHS, first=None):
    """The report for ``months`` months from ``first`` (a month's first day), or the last ``months`` by default."""
    starts = month_starts(today, months) if first is None else [_add_months(first, k) for k in range(months)]
    first, after = starts[0], _add_months(starts[-1], 1)
    low = dt.datetime.combine(first, dt.time.min, tzinfo=LONDON)
    high = dt.datetime.combine(after, dt.time.min, tzinfo=LONDON)
    rows = {start: Row(month=start, label=f"{start:%b %Y}") for start in starts}

    asked = (
        Question.objects.filter(network=network, submitted_at__gte=low, submitted_at__lt=high)
        .annotate(month=TruncMonth("submitted_at", tzinfo=LONDON))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    for month, count in asked:
        rows[_month_of(month)].asked += count

    answered = (
        stats.answered()
        .filter(network=network, answered_at__gte=low, answered_at__lt=high, working_hours_to_answer__isnull=False)
        .annotate(month=TruncMonth("answered_at", tzinfo=LONDON))
        .order_by()
        .values_list("month", "sla_met", "working_hours_to_answer")
    )
    for month, met, hours in answered:
        row = rows[_month_of(month)]
        row.answered += 1
        row.met += bool(met)
        row.hours.append(float(hours))

    usage = (
        UsageCount.objects.filter(network=network, day__gte=first, day__lt=after, kind__in=list(USAGE_KINDS))
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values("month", "kind")
        .annotate(total=Sum("count"))
        .values_list("month", "kind", "total")
    )
    for month, kind, count in usage:
        row = rows[_month_of(month)]
        setattr(row, USAGE_KINDS[kind], getattr(row, USAGE_KINDS[kind]) + count)

    ordered = [rows[start] for start in starts]
    total = Row(month=None, label=f"Total, {months} months")
    for row in ordered:
        for name in ("asked", "answered", "met", "answers_read", "deflections", "widget_views"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.hours.extend(row.hours)
    return Report(network=network, rows=ordered, total=total)


def report_charts(report):
    """The report's numbers as charts (one measure each; months with nothing to measure as gaps), or [] when there
    is nothing to draw."""
    if not report.has_activity:
        return []
    labels = [row.label for row in report.rows]
    rows, total = report.rows, report.total
    common = {"labels": labels, "label_heading": "Month"}
    result = [
        charts.Chart(
            name="questions",
            title="Questions asked and answered",
            series={"Asked": [row.asked for row in rows], "Answered": [row.answered for row in rows]},
            unit="questions",
            **common,
        ),
    ]
    if total.answered:
        result += [
            charts.Chart(
                name="sla",
                title="Answered within the promised time",
                series={"Answered within the promised time": [row.met_percent for row in rows]},
                kind="line",
                percent=True,
                unit="% of questions answered",
                **common,
            ),
            charts.Chart(
                name="hours",
                title="Working hours to answer",
                series={
                    "Median": [row.median_hours for row in rows],
                    "90th percentile": [row.p90_hours for row in rows],
                },
                kind="line",
                unit="working hours",
                **common,
            ),
        ]
    result.append(
        charts.Chart(
            name="reading",
            title="Answers read, and questions saved, by your members",
            series={
                "Answers read": [row.answers_read for row in rows],
                "Similar answers that saved a question": [row.deflections for row in rows],
            },
            **common,
        )
    )
    if total.widget_views:
        result.append(
            charts.Chart(
                name="widget",
                title="Widget views on your members' websites",
                series={"Widget views": [row.widget_views for row in rows]},
                unit="views",
                **common,
            )
        )
    return result


def file_stem(report):
    return f"{report.network.slug}-value-report-{report.start:%Y-%m}-to-{report.end:%Y-%m}"


CSV_HEADER = [
    "Month",
    "Questions asked",
    "Answered",
    "Median working hours to answer",
    "90th percentile working hours to answer",
    "SLA met %",
    "Answers read by members",
    "Similar answers that saved a question",
    "Widget views",
]


def _csv_row(row, month):
    return [
        month,
        row.asked,
        row.answered,
        row.median_hours,
        row.p90_hours,
        row.met_percent,
        row.answers_read,
        row.deflections,
        row.widget_views,
    ]


def report_csv(report):
    rows = [_csv_row(row, f"{row.month:%Y-%m}") for row in report.rows]
    rows.append(_csv_row(report.total, "Total"))
    return csv_response(f"{file_stem(report)}.csv", CSV_HEADER, rows)
