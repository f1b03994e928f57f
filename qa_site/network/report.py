"""The value report: what a network's subscription did for its members, by London month, for the last 12 months.

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


def value_report(network, *, today=None, months=MONTHS):
    starts = month_starts(today, months)
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
    """The report's numbers as charts, or {} when there is nothing to draw."""
    if not report.has_activity:
        return {}
    labels = [row.label for row in report.rows]
    rows = report.rows
    result = {
        "asked": charts.bar(
            title="Questions asked by your members",
            labels=labels,
            series={"Questions asked": [row.asked for row in rows]},
            height=280,
        ),
        "usage": charts.bar(
            title="Answers read, and questions saved, by your members",
            labels=labels,
            series={
                "Answers read": [row.answers_read for row in rows],
                "Similar answers that saved a question": [row.deflections for row in rows],
                "Widget views": [row.widget_views for row in rows],
            },
            height=280,
        ),
    }
    if report.total.answered:
        result["sla"] = charts.line(
            title="Answered within the promised time",
            labels=labels,
            series={"SLA met (%)": [row.met_percent for row in rows]},
            percent=True,
            secondary={"Answered (right-hand scale)": [row.answered for row in rows]},
            height=280,
        )
        result["hours"] = charts.line(
            title="Working hours to answer",
            labels=labels,
            series={
                "Median": [row.median_hours for row in rows],
                "90th percentile": [row.p90_hours for row in rows],
            },
            height=280,
        )
    return result


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
    filename = f"{report.network.slug}-value-report-{report.start:%Y-%m}-to-{report.end:%Y-%m}.csv"
    return csv_response(filename, CSV_HEADER, rows)
